import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { McpServer } from "../agents/mcp";

// The MCP client side, over the official SDK (docs/mcp.md says why this one). Each operation
// opens its own short session (initialize, the request, end), because a thread's step may run
// in a fresh isolate and must never depend on a connection an earlier step held. Failures are
// values with a kind the caller turns into events; tokens never reach a message.

export type RemoteFailure = {
  /**
   * unreachable: the request never reached the server (connection refused, DNS, a 5xx before
   * the call was sent), so trying again is safe; unauthorized: 401/403; http: another HTTP
   * error; timeout: no answer in time; rpc: the server answered with a JSON-RPC error;
   * lost: the connection broke after the call was sent (it may have run).
   */
  readonly kind: "unreachable" | "unauthorized" | "http" | "timeout" | "rpc" | "lost";
  readonly message: string;
  /** The JSON-RPC error code, for `rpc`. */
  readonly code?: number;
};

export type Remote<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: RemoteFailure };

/** A fetch that failed before any response: the server was not reached. */
class Unreached extends Error {}

const CONNECT_TIMEOUT_MS = 10_000;
const MAX_PAGES = 10;

/** Every tool the server lists (following its cursor, at most MAX_PAGES pages). */
export async function listRemoteTools(server: McpServer, fetcher: typeof fetch): Promise<Remote<Tool[]>> {
  return withSession(server, fetcher, async (client) => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await client.listTools(cursor ? { cursor } : {}, { timeout: server.timeoutMs });
      tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return tools;
  });
}

export async function callRemoteTool(server: McpServer, tool: string, args: Record<string, unknown>, fetcher: typeof fetch): Promise<Remote<CallToolResult>> {
  return withSession(server, fetcher, async (client) => {
    const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: server.timeoutMs });
    return result as CallToolResult;
  });
}

async function withSession<T>(server: McpServer, fetcher: typeof fetch, run: (client: Client) => Promise<T>): Promise<Remote<T>> {
  const marked: typeof fetch = async (input, init) => {
    try {
      return await fetcher(input, init);
    } catch (error) {
      if (init?.signal?.aborted) throw error;
      throw new Unreached(error instanceof Error ? error.message : String(error));
    }
  };
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { fetch: marked, requestInit: { headers: { ...server.headers } } });
  // The Workers-safe validator: the SDK's default (Ajv) compiles schemas with `new Function`.
  const client = new Client({ name: "edge-agents", version: "1" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  const secrets = Object.values(server.headers).flatMap((v) => [v, ...v.split(/\s+/)]).filter((v) => v.length >= 6);
  let connected = false;
  try {
    await client.connect(transport, { timeout: Math.min(CONNECT_TIMEOUT_MS, server.timeoutMs) });
    connected = true;
    return { ok: true, value: await run(client) };
  } catch (error) {
    const failure = classify(server.name, error, connected);
    return { ok: false, failure: { ...failure, message: scrub(failure.message, secrets) } };
  } finally {
    // Ends the session on servers that keep one; a failure here changes nothing for the caller.
    if (connected) await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

function classify(server: string, error: unknown, connected: boolean): RemoteFailure {
  if (error instanceof Unreached) {
    return connected
      ? { kind: "lost", message: `The connection to MCP server ${server} broke during the call (${error.message}); it may or may not have taken effect.` }
      : { kind: "unreachable", message: `MCP server ${server} could not be reached (${error.message}).` };
  }
  if (error instanceof StreamableHTTPError) {
    const status = error.code ?? 0;
    if (status === 401 || status === 403) return { kind: "unauthorized", message: `Token rejected by server ${server} (HTTP ${status}).` };
    // A server error before the call was sent ran nothing: like an unreachable server, try again.
    if (status >= 500 && !connected) return { kind: "unreachable", message: `MCP server ${server} is unavailable (HTTP ${status}).` };
    return { kind: "http", message: `MCP server ${server} answered HTTP ${status}: ${short(error.message)}` };
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return { kind: "timeout", message: `MCP server ${server} did not answer in time; the call may still complete on its own.` };
    return { kind: "rpc", code: error.code, message: `MCP server ${server} answered with an error: ${short(error.message)}` };
  }
  return { kind: connected ? "lost" : "unreachable", message: `MCP server ${server}: ${short(error instanceof Error ? error.message : String(error))}` };
}

function short(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** A server may echo a header back in an error body: its values never reach an event or a log. */
function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join("[redacted]"), message);
}
