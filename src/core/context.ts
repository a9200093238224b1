import type { Event } from "./events";
import { canonicalJson, type Json } from "./json";

// Factor 3, own your context window: the thread is rendered as compact tagged blocks
// in one user message, newest events kept first when the budget runs out.

export type ContextBudget = {
  /** Upper bound on the rendered thread, in characters (a cheap, deterministic proxy for tokens). */
  readonly maxChars: number;
  /** Upper bound for any single block, so one huge tool result cannot crowd out the rest. */
  readonly maxBlockChars: number;
  /**
   * Upper bound on the events read, shown or not: events the model never sees (tool_started,
   * notifications, pauses) fill no characters, so without it a run of them would be read
   * to the launch, and the read would grow with the log.
   */
  readonly maxEvents?: number;
};

export const DEFAULT_BUDGET = { maxChars: 48_000, maxBlockChars: 6_000, maxEvents: 4_096 } as const satisfies ContextBudget;

export type RenderedThread = {
  readonly text: string;
  /** Events rendered as blocks (after hiding and budgeting). */
  readonly shown: number;
  /** Events (of any kind) between the launch and the oldest event read, left out for budget. */
  readonly omitted: number;
  /** Errors hidden because a later success resolved them (Factor 9). */
  readonly hiddenErrors: number;
};

/**
 * Renders a thread from its launch event and the rest of its events, newest first.
 * Taking the tail newest-first lets the caller stream rows from storage and stop
 * reading as soon as the budget is full, so rendering cost does not grow with the log.
 */
export function renderThread(
  launch: Event,
  newestFirst: Iterable<Event>,
  budget: ContextBudget = DEFAULT_BUDGET,
): RenderedThread {
  const first = block(launch, budget);
  let used = first?.length ?? 0;
  const blocks: string[] = [];
  let sawSuccess = false;
  let hiddenErrors = 0;
  let omitted = 0;
  let read = 0;
  for (const event of newestFirst) {
    if (event.seq <= launch.seq) break;
    if (++read > (budget.maxEvents ?? DEFAULT_BUDGET.maxEvents)) {
      omitted = event.seq - launch.seq;
      break;
    }
    if (event.type === "tool_succeeded") sawSuccess = true;
    // Walking backwards, any error older than a success has been resolved.
    if (sawSuccess && (event.type === "model_failed" || event.type === "tool_failed")) {
      hiddenErrors++;
      continue;
    }
    const rendered = block(event, budget);
    if (rendered === undefined) continue;
    if (used + rendered.length + 2 > budget.maxChars) {
      // Stop reading: everything between the launch and here is left out.
      omitted = event.seq - launch.seq;
      break;
    }
    used += rendered.length + 2;
    blocks.push(rendered);
  }
  blocks.reverse();
  const parts = [
    ...(first ? [first] : []),
    ...(omitted > 0 ? [`<omitted events="${omitted}" reason="context budget"/>`] : []),
    ...blocks,
  ];
  return { text: parts.join("\n\n"), shown: blocks.length + (first ? 1 : 0), omitted, hiddenErrors };
}

/** One event as a tagged block, or undefined for events the model does not need. */
export function block(event: Event, budget: ContextBudget = DEFAULT_BUDGET): string | undefined {
  const cap = (text: string) => truncate(text, budget.maxBlockChars);
  switch (event.type) {
    case "thread_launched":
      return tag("user_message", cap(event.data.message), event.data.metadata ? { metadata: canonicalJson(event.data.metadata) } : {});
    case "user_messaged":
      return tag("user_message", cap(event.data.text));
    case "model_decided":
    case "call_planned": // a pre-fetched call reads exactly as if the model had asked for it (Factor 13)
      return tag(event.data.tool, cap(yamlish(event.data.args)), { call: event.data.callId });
    case "model_failed":
      return tag("error", cap(event.data.message), { code: event.data.code });
    case "tool_succeeded":
      return tag(`${event.data.tool}_result`, cap(yamlish(event.data.result)), {
        call: event.data.callId,
        ...(event.data.truncatedFromBytes ? { truncated_from_bytes: String(event.data.truncatedFromBytes) } : {}),
      });
    case "tool_failed":
      return tag("error", cap(event.data.message), { call: event.data.callId, tool: event.data.tool, code: event.data.code });
    case "human_requested":
      return tag("human_request", cap(event.data.message), { id: event.data.requestId, kind: event.data.kind });
    case "human_responded": {
      const fields: Record<string, Json> = {};
      if (event.data.approved !== undefined) fields["approved"] = event.data.approved;
      if (event.data.answer !== undefined) fields["answer"] = event.data.answer;
      if (event.data.comment !== undefined) fields["comment"] = event.data.comment;
      return tag("human_response", cap(yamlish(fields)), { request: event.data.requestId });
    }
    case "human_timed_out":
      return tag("human_timeout", "Nobody answered before the deadline. Treat the request as denied.", {
        request: event.data.requestId,
      });
    case "agent_delegated":
      return tag("agent_delegated", `Handed to ${event.data.agent} (thread ${event.data.childThreadId}); its result arrives as this call's result. Deadline ${event.data.deadline}.`, {
        call: event.data.callId,
      });
    case "mcp_tools_listed":
      // The tools themselves are offered as tools; a server that gave none is worth a line.
      return event.data.error ? tag("error", cap(event.data.error), { mcp_server: event.data.server }) : undefined;
    case "mcp_list_failed":
    case "tool_retry_scheduled":
    case "human_response_refused":
    case "agent_reported":
    case "parent_notified":
    case "tool_started":
    case "human_escalated":
    case "thread_filled":
    case "notification_sent":
    case "notification_failed":
    case "thread_paused":
    case "thread_resumed":
    case "thread_cancelled":
    case "thread_finished":
    case "thread_failed":
    case "thread_forked":
      return undefined;
  }
}

function tag(name: string, body: string, attrs: Record<string, string> = {}): string {
  const attributes = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join("");
  return `<${name}${attributes}>\n${body}\n</${name}>`;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** Flat objects as `key: value` lines (denser than JSON for the model); anything nested stays JSON. */
export function yamlish(value: Json): string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return canonicalJson(value);
  const entries = Object.entries(value as { readonly [key: string]: Json });
  if (entries.length === 0) return "{}";
  return entries
    .map(([k, v]) => `${k}: ${typeof v === "string" && !v.includes("\n") ? v : canonicalJson(v)}`)
    .join("\n");
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.length - max;
  return `${text.slice(0, max)}\n…[truncated ${cut} characters]`;
}
