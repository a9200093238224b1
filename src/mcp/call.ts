import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AgentDefinition } from "../agents/types";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { Json, mayRun, remoteRetryDelayMs, REMOTE_RETRY_DELAYS_MS, type ActiveCall, type McpToolEntry, type NewEvent, type ThreadState } from "../core";
import { callRemoteTool, type RemoteFailure } from "./client";
import { resolveServers } from "../agents/mcp";
import { argumentProblem, threadCatalog } from "./tools";

/** What a remote call needs from the thread object performing it; passed in, not reached for. */
export type McpStepHost = {
  readonly env: Env;
  readonly now: () => number;
  readonly fetch: typeof fetch;
  append(event: NewEvent): unknown;
};

const MAX_TEXT_CHARS = 8_000;
const MAX_STRUCTURED_BYTES = 32 * 1024;

/**
 * One call of a remote tool as one durable step (invariants 3, 5, 12): the approval and the
 * arguments are checked against the pinned list before anything is sent, `tool_started` is
 * logged, then exactly one outcome. An unreachable server schedules a retry instead (nothing
 * ran); after a crash mid-call the ordinary rule applies (`outcome_unknown` unless idempotent).
 */
export async function mcpToolStep(host: McpStepHost, state: ThreadState, agent: AgentDefinition, call: ActiveCall, attempt: number, entry: McpToolEntry): Promise<void> {
  const base = { callId: call.callId, tool: call.tool };
  const finish = (event: NewEvent) => host.append({ ...event, key: `outcome:${call.callId}` });
  const facts = threadCatalog(agent, state, host.env)(call.tool);
  if (!facts || !mayRun(call, facts)) {
    return void finish({ type: "tool_failed", data: { ...base, code: "approval_missing", message: `${call.tool} needs a human's approval of these exact arguments.` } });
  }
  const problem = argumentProblem(entry, call.args);
  if (problem) {
    return void finish({ type: "tool_failed", data: { ...base, code: "invalid_arguments", message: `The arguments for ${call.tool} do not match its schema: ${problem}` } });
  }
  const server = resolveServers(agent.mcp, host.env).find((s) => s.name === entry.server);
  if (!server) {
    return void finish({ type: "tool_failed", data: { ...base, code: "server_unreachable", message: `MCP server ${entry.server} is no longer configured; ${call.tool} was not run.` } });
  }
  host.append({ type: "tool_started", data: { ...base, args: call.args, attempt }, key: `start:${call.callId}:${attempt}` });
  const started = host.now();
  const result = await callRemoteTool(server, entry.remote, call.args, host.fetch);
  const latencyMs = host.now() - started;
  if (result.ok) return void finish(outcomeOf(call, entry, result.value, latencyMs));
  const delay = result.failure.kind === "unreachable" ? remoteRetryDelayMs(attempt) : undefined;
  if (delay !== undefined) {
    host.append({
      type: "tool_retry_scheduled",
      data: { ...base, attempt, message: result.failure.message, retryAt: new Date(host.now() + delay).toISOString() },
      key: `retry:${call.callId}:${attempt}`,
    });
    return;
  }
  finish({ type: "tool_failed", data: { ...base, ...failureOf(entry, result.failure, attempt), latencyMs } });
}

function outcomeOf(call: ActiveCall, entry: McpToolEntry, result: CallToolResult, latencyMs: number): NewEvent {
  const text = textOf(result);
  // The official SDK's servers answer a call of a tool they no longer have with this error result.
  if (result.isError && new RegExp(`^MCP error ${ErrorCode.InvalidParams}: Tool .* (not found|disabled)$`).test(text.trim())) {
    return { type: "tool_failed", data: { callId: call.callId, tool: call.tool, ...vanished(entry), latencyMs } };
  }
  if (result.isError) {
    return { type: "tool_failed", data: { callId: call.callId, tool: call.tool, code: "tool_error", message: (text || "The tool reported an error.").slice(0, 1000), latencyMs } };
  }
  const structured = Json.safeParse(result.structuredContent);
  const size = structured.success ? new TextEncoder().encode(JSON.stringify(structured.data)).length : 0;
  const compact: Record<string, Json> = { text: text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}\n…[truncated ${text.length - MAX_TEXT_CHARS} characters]` : text };
  if (structured.success && result.structuredContent !== undefined) {
    if (size <= MAX_STRUCTURED_BYTES) compact["structuredContent"] = structured.data;
    else compact["structuredContentOmitted"] = `${size} bytes`;
  }
  return { type: "tool_succeeded", data: { callId: call.callId, tool: call.tool, result: compact, latencyMs } };
}

/** Text parts as they are; other parts as a one-line note (an image's bytes never reach the context). */
function textOf(result: CallToolResult): string {
  return (result.content ?? [])
    .map((part) => {
      switch (part.type) {
        case "text":
          return part.text;
        case "image":
        case "audio":
          return `[${part.type} ${part.mimeType}, ${part.data.length} base64 characters]`;
        case "resource":
          return "text" in part.resource && typeof part.resource.text === "string" ? part.resource.text : `[resource ${part.resource.uri}]`;
        case "resource_link":
          return `[resource link ${part.uri}]`;
        default:
          return "";
      }
    })
    .filter((t) => t.length > 0)
    .join("\n");
}

function vanished(entry: McpToolEntry): { code: "unknown_tool"; message: string } {
  return { code: "unknown_tool", message: `${entry.name} is no longer offered by MCP server ${entry.server} (it was listed when this thread started); it was not run.` };
}

function failureOf(entry: McpToolEntry, failure: RemoteFailure, attempt: number): { code: "server_unreachable" | "tool_http_error" | "tool_timeout" | "unknown_tool" | "tool_error"; message: string } {
  switch (failure.kind) {
    case "unreachable":
      return { code: "server_unreachable", message: `${failure.message} Gave up after ${attempt} attempts (${REMOTE_RETRY_DELAYS_MS.length} retries); ${entry.name} was not run.` };
    case "unauthorized":
    case "http":
      return { code: "tool_http_error", message: failure.message };
    case "timeout":
      return { code: "tool_timeout", message: failure.message };
    case "rpc":
      // The server no longer knows the tool the thread was offered (the list is pinned; the server moved on).
      if (failure.code === ErrorCode.InvalidParams || failure.code === ErrorCode.MethodNotFound) {
        if (/not found|unknown tool/i.test(failure.message)) return vanished(entry);
      }
      return { code: "tool_error", message: failure.message };
    case "lost":
      return { code: "tool_error", message: failure.message };
  }
}
