import type { AgentDefinition } from "../agents/types";
import { resolveServers } from "../agents/mcp";
import { listServer } from "./listing";
import { mcpFacts } from "./tools";

/** An MCP tool as `GET /v1/agents` lists it: like ours, plus where it comes from. */
export type DescribedTool = {
  readonly name: string;
  readonly description: string;
  readonly intent: "act";
  readonly needsApproval: "always" | "never";
  readonly idempotent: boolean;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly source: { readonly kind: "mcp"; readonly server: string };
};

export type McpDescription = {
  readonly tools: DescribedTool[];
  /** Per configured server: reached, or why not (a new thread would list the same). */
  readonly mcp: { readonly configured: boolean; readonly message?: string; readonly servers: { readonly name: string; readonly error?: string }[] };
};

/**
 * What a new thread of this agent would be offered now: each configured server is asked once
 * (no retries here; a thread retries at its own first step). The tokens stay in the headers.
 */
export async function describeMcp(agent: AgentDefinition, env: Env, fetcher: typeof fetch): Promise<McpDescription | undefined> {
  if (!agent.mcp) return undefined;
  const servers = resolveServers(agent.mcp, env);
  if (servers.length === 0) {
    return { tools: [], mcp: { configured: false, message: agent.mcp.unconfigured ?? "No MCP server is configured.", servers: [] } };
  }
  const listings = await Promise.all(servers.map((server) => listServer(server, server.name, Number.MAX_SAFE_INTEGER, fetcher, () => 0)));
  const tools: DescribedTool[] = [];
  const described: { name: string; error?: string }[] = [];
  for (const [i, listing] of listings.entries()) {
    const server = servers[i];
    if (!server) continue;
    if (listing.type !== "mcp_tools_listed") continue;
    described.push({ name: server.name, ...(listing.data.error ? { error: listing.data.error } : {}) });
    for (const entry of listing.data.tools) {
      const facts = mcpFacts(entry, server.policy[entry.remote]);
      tools.push({
        name: entry.name,
        description: entry.description,
        intent: "act",
        needsApproval: facts.needsApproval({}) ? "always" : "never",
        idempotent: facts.idempotent,
        parameters: entry.inputSchema,
        source: { kind: "mcp", server: server.name },
      });
    }
  }
  return { tools, mcp: { configured: true, servers: described } };
}
