import type { EventOf } from "./events";
import type { McpState, McpToolEntry } from "./mcp";
import type { ActiveCall, ThreadState } from "./state";

// How the MCP events change a thread (invariant 12), and what the first step lists. Pure.

const EMPTY: McpState = { listed: [], tools: [] };

/** A server's list is pinned: a second list for the same server (a replayed duplicate) changes nothing. */
export function applyToolsListed(s: ThreadState, event: EventOf<"mcp_tools_listed">): ThreadState {
  const mcp = s.mcp ?? EMPTY;
  if (mcp.listed.includes(event.data.server)) return s;
  const { retry: _done, ...rest } = mcp;
  const taken = new Set(mcp.tools.map((t) => t.name));
  const tools = event.data.tools.filter((t) => !taken.has(t.name));
  return { ...s, mcp: { ...rest, listed: [...mcp.listed, event.data.server], tools: [...mcp.tools, ...tools] } };
}

export function applyListFailed(s: ThreadState, event: EventOf<"mcp_list_failed">): ThreadState {
  const mcp = s.mcp ?? EMPTY;
  if (mcp.listed.includes(event.data.server)) return s;
  return { ...s, mcp: { ...mcp, retry: { server: event.data.server, attempt: event.data.attempt, retryAt: event.data.retryAt } } };
}

/** The call waits for its retry; the approval it ran with (if any) stays with it. */
export function applyRetryScheduled(s: ThreadState, event: EventOf<"tool_retry_scheduled">): ThreadState {
  const update = (c: ActiveCall): ActiveCall => {
    if (c.phase.kind !== "started") return c;
    const approvedArgs = c.phase.approvedArgs;
    return { ...c, phase: { kind: "retrying", attempt: event.data.attempt, retryAt: event.data.retryAt, ...(approvedArgs ? { approvedArgs } : {}) } };
  };
  return { ...s, calls: s.calls.map((c) => (c.callId === event.data.callId ? update(c) : c)) };
}

/** The pinned MCP tool the model knows by `name`, if the thread listed one. */
export function pinnedTool(state: ThreadState, name: string): McpToolEntry | undefined {
  return state.mcp?.tools.find((t) => t.name === name);
}

export type ListingStep =
  | { readonly kind: "list_tools"; readonly server: string; readonly attempt: number }
  | { readonly kind: "wait"; readonly reason: "mcp_retry" };

/**
 * The thread's first step lists each configured MCP server once, before the model is first
 * called. A thread that has called the model never lists again: it keeps what it was offered,
 * and new servers or tools reach new threads only.
 */
export function nextListing(state: ThreadState, servers: readonly string[] | undefined, now: number | undefined): ListingStep | undefined {
  if (!servers || state.modelTurns > 0) return undefined;
  const server = servers.find((name) => !(state.mcp?.listed ?? []).includes(name));
  if (server === undefined) return undefined;
  const retry = state.mcp?.retry;
  if (retry && retry.server === server) {
    if (now === undefined || now < Date.parse(retry.retryAt)) return { kind: "wait", reason: "mcp_retry" };
    return { kind: "list_tools", server, attempt: retry.attempt + 1 };
  }
  return { kind: "list_tools", server, attempt: 1 };
}
