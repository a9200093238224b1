import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { canonicalJson, JsonObject, MAX_TOOLS_PER_SERVER, McpAnnotations, mcpToolName, remoteRetryDelayMs, type McpToolEntry, type NewEvent } from "../core";
import { listRemoteTools } from "./client";
import type { McpServer } from "../agents/mcp";

/** A schema larger than this is not offered (it would crowd the model's context and the log). */
const MAX_SCHEMA_BYTES = 16 * 1024;

/**
 * The first step's listing of one server (invariant 12): its tools go into the log as the
 * model will see them. Unreachable: a retry at a backoff (the wake-up lists again), then an
 * empty list with the reason. A rejected token or any other error: an empty list at once.
 */
export async function listServer(server: McpServer | undefined, name: string, attempt: number, fetcher: typeof fetch, now: () => number): Promise<NewEvent> {
  const listed = (tools: McpToolEntry[], error?: string): NewEvent => ({
    type: "mcp_tools_listed",
    data: { server: name, tools, ...(error ? { error: error.slice(0, 600) } : {}) },
    key: `mcp_list:${name}`,
  });
  if (!server) return listed([], `MCP server ${name} is no longer configured.`);
  const result = await listRemoteTools(server, fetcher);
  if (!result.ok) {
    const delay = result.failure.kind === "unreachable" ? remoteRetryDelayMs(attempt) : undefined;
    if (delay === undefined) {
      const tried = result.failure.kind === "unreachable" ? ` Gave up after ${attempt} attempts.` : "";
      return listed([], `${result.failure.message}${tried} Its tools are not available in this thread.`);
    }
    return {
      type: "mcp_list_failed",
      data: { server: name, attempt, message: result.failure.message, retryAt: new Date(now() + delay).toISOString() },
      key: `mcp_list_failed:${name}:${attempt}`,
    };
  }
  const entries: McpToolEntry[] = [];
  const skipped: string[] = [];
  for (const tool of result.value) {
    if (server.allow && !server.allow.includes(tool.name)) continue;
    const entry = await toEntry(name, tool);
    if (entry && entries.length < MAX_TOOLS_PER_SERVER) entries.push(entry);
    else skipped.push(tool.name);
  }
  return listed(entries, skipped.length > 0 ? `Left out ${skipped.length} tools of ${name} (bad name, schema over ${MAX_SCHEMA_BYTES} bytes, or past ${MAX_TOOLS_PER_SERVER}): ${skipped.slice(0, 10).join(", ")}.` : undefined);
}

async function toEntry(server: string, tool: Tool): Promise<McpToolEntry | undefined> {
  const name = mcpToolName(server, tool.name);
  const schema = JsonObject.safeParse(tool.inputSchema);
  if (!name || !schema.success) return undefined;
  const json = canonicalJson(schema.data);
  if (new TextEncoder().encode(json).length > MAX_SCHEMA_BYTES) return undefined;
  const annotations = McpAnnotations.safeParse(tool.annotations ?? {});
  const hints = annotations.success ? annotations.data : {};
  return {
    name,
    server,
    remote: tool.name,
    description: (tool.description ?? tool.title ?? tool.name).slice(0, 2048),
    inputSchema: schema.data,
    schemaHash: await sha256(json),
    ...(Object.keys(hints).length > 0 ? { annotations: hints } : {}),
  };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
