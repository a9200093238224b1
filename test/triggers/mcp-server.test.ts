import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { describe, expect, it } from "vitest";
import type { ThreadView } from "../../src/core";
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { httpApp } from "../../src/app";
import { agents } from "../support/agents";
import { eventsOf, launch, settle } from "../support/api";
import { executions, model, testFetch } from "../support/harness";
import { awaitFreshRateWindow } from "../support/rate-window";

// The runtime as an MCP server (docs/mcp.md), driven by the official SDK client through the
// Worker's real fetch handler.

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input, init));

async function connect(token: string, through: typeof fetch = workerFetch): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("https://agents.test/mcp"), {
    fetch: through,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "test", version: "1" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  await client.connect(transport);
  return client;
}

const structured = <T>(result: unknown) => (result as { structuredContent: T }).structuredContent;

describe("/mcp: the runtime as an MCP server", () => {
  it("no token or a wrong one gets 401 before any MCP message is read; GET is 405 (stateless)", async () => {
    const init = { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{not json" };
    const none = await exports.default.fetch(new Request("https://agents.test/mcp", init));
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
    const wrong = await exports.default.fetch(new Request("https://agents.test/mcp", { ...init, headers: { ...init.headers, authorization: "Bearer nope" } }));
    expect(wrong.status).toBe(401);
    expect((await exports.default.fetch(new Request("https://agents.test/mcp", { headers: { authorization: "Bearer test-token", accept: "text/event-stream" } }))).status).toBe(405);
    await expect(connect("nope")).rejects.toThrow(/unauthorized.*The bearer token is wrong/);
  });

  it("launch, list pending, respond: the answer is recorded with the caller's mcp principal", async () => {
    const client = await connect("rm-token-1234");
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["get_thread", "launch_thread", "list_agents", "list_pending", "respond", "send_message"]);
      const agents = structured<{ agents: { name: string }[] }>(await client.callTool({ name: "list_agents", arguments: {} }));
      expect(agents.agents.map((a) => a.name)).toContain("deploybot");

      const marker = model.script("mcp-server-approve", [
        { tool: "deploy_backend", args: { tag: "v9.9.9", environment: "production" } },
        { tool: "done_for_now", args: { message: "deployed over MCP" } },
      ]);
      const launched = await client.callTool({ name: "launch_thread", arguments: { agent: "deploybot", message: `deploy ${marker}`, threadId: "mcp-server-approve" } });
      expect(structured<ThreadView>(launched)).toMatchObject({ id: "mcp-server-approve", agent: "deploybot" });
      await settle("mcp-server-approve");

      const pending = structured<{ pending: { threadId: string; request: { requestId: string; tool?: { name: string } } }[] }>(
        await client.callTool({ name: "list_pending", arguments: { agent: "deploybot" } }),
      );
      const mine = pending.pending.find((p) => p.threadId === "mcp-server-approve");
      expect(mine?.request.tool?.name).toBe("deploy_backend");

      const unknown = await client.callTool({ name: "respond", arguments: { threadId: "mcp-server-approve", requestId: "no-such-request", approved: true } });
      expect(unknown).toMatchObject({ isError: true, structuredContent: { error: { code: expect.any(String) } } });

      const answered = await client.callTool({ name: "respond", arguments: { threadId: "mcp-server-approve", requestId: mine?.request.requestId, approved: true, comment: "via MCP" } });
      expect(answered.isError).toBeFalsy();
      expect((await settle("mcp-server-approve")).status).toBe("done");
      const events = await eventsOf("mcp-server-approve");
      expect(events.find((e) => e.type === "human_responded")).toMatchObject({
        data: { approved: true, comment: "via MCP", by: { kind: "mcp", id: "release-manager", verifiedBy: "api_token" } },
        source: { kind: "mcp" },
      });
      const thread = structured<ThreadView>(await client.callTool({ name: "get_thread", arguments: { threadId: "mcp-server-approve" } }));
      expect(thread).toMatchObject({ status: "done", result: { message: "deployed over MCP" } });
      const bad = await client.callTool({ name: "get_thread", arguments: { threadId: "not a valid id!" } });
      expect(bad).toMatchObject({ isError: true, structuredContent: { error: { code: "invalid_thread_id" } } });
    } finally {
      await client.close();
    }
  });

  it("obeys named approvers like every other path: a credential that is not named is refused (recorded, never acted on), a named one runs the call once", async () => {
    const label = `mcp-named-${crypto.randomUUID()}`;
    const marker = model.script("mcp-server-named", [{ tool: "guarded_named", args: { label } }, { tool: "done_for_now", args: { message: "ran" } }]);
    const { thread } = await launch("probe", `named ${marker}`, { threadId: "mcp-server-named" });
    const requestId = (await settle(thread.id)).pending?.requestId;
    const intern = await connect("intern-token-1234");
    try {
      const refused = await intern.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, approved: true } });
      expect(refused).toMatchObject({ isError: true, structuredContent: { error: { code: "not_an_approver" } } });
    } finally {
      await intern.close();
    }
    expect(executions.get(label)).toBeUndefined();
    const manager = await connect("rm-token-1234");
    try {
      expect((await manager.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, approved: true } })).isError).toBeFalsy();
    } finally {
      await manager.close();
    }
    expect((await settle(thread.id)).status).toBe("done");
    expect(executions.get(label)).toBe(1);
    const events = await eventsOf(thread.id);
    expect(events.find((e) => e.type === "human_response_refused")).toMatchObject({ data: { by: { kind: "mcp", id: "intern" }, code: "not_an_approver" } });
    expect(events.find((e) => e.type === "human_responded")).toMatchObject({ data: { by: { kind: "mcp", id: "release-manager", verifiedBy: "api_token" } } });
  });

  it("counts against the credential's rate limit like /v1: past it, 429 rate_limited before any MCP message is read", async () => {
    const tight = (env as unknown as { TEST_TIGHT_RATE_LIMIT: RateLimit }).TEST_TIGHT_RATE_LIMIT;
    const app = httpApp(agents, { fetch: testFetch });
    const post = () =>
      app.request(
        "https://agents.test/mcp",
        { method: "POST", headers: { authorization: "Bearer test-token", "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) },
        { ...env, API_RATE_LIMIT: tight },
        createExecutionContext(),
      );
    const statuses: number[] = [];
    await awaitFreshRateWindow(60); // vitest.config.ts: TEST_TIGHT_RATE_LIMIT's period
    for (let i = 0; i < 4; i++) statuses.push((await post()).status);
    expect(statuses.slice(3)).toEqual([429]);
  });
});

describe("/mcp: decisions (invariant 13)", () => {
  it("edits over MCP as one of two approvers; the launcher on MCP is refused as on the API; the edited call runs once", async () => {
    const label = `mcp-board-${crypto.randomUUID()}`;
    const fixed = `${label}-fixed`;
    const marker = model.script("mcp-server-board", [{ tool: "board_change", args: { label, env: "production" } }, { tool: "done_for_now", args: { message: "changed" } }]);
    // Launched over the API with the default credential: its "default" name is the requester on every channel.
    const { thread } = await launch("probe", `board ${marker}`, { threadId: "mcp-server-board" });
    const requestId = (await settle(thread.id)).pending?.requestId;
    const launcher = await connect("test-token");
    try {
      const self = await launcher.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, decision: "approve" } });
      expect(self).toMatchObject({ isError: true, structuredContent: { error: { code: "self_approval_refused" } } });
    } finally {
      await launcher.close();
    }
    const manager = await connect("rm-token-1234");
    try {
      const bad = await manager.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, decision: "edit", args: { env: "staging" } } });
      expect(bad).toMatchObject({ isError: true, structuredContent: { error: { code: "field_not_editable" } } });
      expect((await manager.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, decision: "edit", args: { label: fixed } } })).isError).toBeFalsy();
    } finally {
      await manager.close();
    }
    expect((await settle(thread.id)).pending).toMatchObject({ approvals: { required: 2, given: [{ by: { kind: "mcp", id: "release-manager" } }] } });
    const intern = await connect("intern-token-1234");
    try {
      expect((await intern.callTool({ name: "respond", arguments: { threadId: thread.id, requestId, approved: true } })).isError).toBeFalsy();
    } finally {
      await intern.close();
    }
    expect((await settle(thread.id)).status).toBe("done");
    expect(executions.get(fixed)).toBe(1);
    expect(executions.get(label)).toBeUndefined();
  });
});
