import { describe, expect, it } from "vitest";
import { defineAgent, doneForNow } from "../../src/agents/define";
import { mcpbotServers } from "../../src/agents/mcpbot";
import { annotationPolicy, type McpToolEntry } from "../../src/core";
import { resolveServers } from "../../src/agents/mcp";
import { mcpFacts } from "../../src/mcp/tools";

const env = {} as Env;

const entry = (annotations?: McpToolEntry["annotations"]): McpToolEntry => ({
  name: "s_t",
  server: "s",
  remote: "t",
  description: "",
  inputSchema: { type: "object" },
  schemaHash: "x",
  ...(annotations ? { annotations } : {}),
});

describe("MCP configuration and policy", () => {
  it("mcpbot reads `name=url, name=url` and `name:token, ...`; bad entries are left out", () => {
    const servers = resolveServers(
      { servers: mcpbotServers("everything=http://127.0.0.1:3001/mcp, ledger = https://l.example/mcp, Bad Name=http://x, nourl=, ftp=ftp://x", "ledger:tok-123456, other:zzz") },
      env,
    );
    expect(servers.map((s) => [s.name, s.url, s.headers])).toEqual([
      ["everything", "http://127.0.0.1:3001/mcp", {}],
      ["ledger", "https://l.example/mcp", { authorization: "Bearer tok-123456" }],
    ]);
    expect(resolveServers({ servers: mcpbotServers(undefined, undefined) }, env)).toEqual([]);
  });

  it("policy from annotations: read-only runs inline and is idempotent; unannotated needs approval; idempotentHint allows a re-run; code overrides", () => {
    expect(annotationPolicy({ readOnlyHint: true })).toEqual({ requiresApproval: false, idempotent: true });
    expect(annotationPolicy(undefined)).toEqual({ requiresApproval: true, idempotent: false });
    expect(annotationPolicy({ destructiveHint: false, idempotentHint: true })).toEqual({ requiresApproval: true, idempotent: true });
    const overridden = mcpFacts(entry({ readOnlyHint: true }), { requiresApproval: true });
    expect([overridden.needsApproval({}), overridden.idempotent]).toEqual([true, true]);
    const relaxed = mcpFacts(entry(), { requiresApproval: false, idempotent: true });
    expect([relaxed.needsApproval({}), relaxed.idempotent]).toEqual([false, true]);
  });

  it("a fixed server list is checked at definition: bad or duplicate names throw", () => {
    const base = { name: "x", description: "x", prompt: { file: "x", template: "x" }, tools: [doneForNow] };
    expect(() => defineAgent({ ...base, mcp: { servers: [{ name: "Bad_Name", url: () => "http://x" }] } })).toThrow(/MCP server name/);
    expect(() => defineAgent({ ...base, mcp: { servers: [{ name: "a", url: () => "http://x" }, { name: "a", url: () => "http://y" }] } })).toThrow(/defined twice/);
  });
});
