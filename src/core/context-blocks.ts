import { compactError } from "./compact-error";
import type { Event } from "./events";
import { canonicalJson, type Json } from "./json";

// Each event as the model reads it: a compact tagged block (Factor 3), errors compacted
// (Factor 9). The render (context.ts) decides which blocks go in; this file only writes them.

/** Upper bound for any single block, so one huge tool result cannot crowd out the rest. */
export const DEFAULT_MAX_BLOCK_CHARS = 6_000;

/** One event as a tagged block, or undefined for events the model does not need. */
export function block(event: Event, maxBlockChars: number = DEFAULT_MAX_BLOCK_CHARS): string | undefined {
  const cap = (text: string) => truncate(text, maxBlockChars);
  switch (event.type) {
    case "thread_launched":
      return tag("user_message", cap(event.data.message), event.data.metadata ? { metadata: canonicalJson(event.data.metadata) } : {});
    case "user_messaged":
      return tag("user_message", cap(event.data.text));
    case "model_decided":
    case "call_planned": // a pre-fetched call reads exactly as if the model had asked for it (Factor 13)
      return tag(event.data.tool, cap(yamlish(event.data.args)), { call: event.data.callId });
    case "model_failed":
      return tag("error", cap(compactError(event.data.code, event.data.message)), { code: event.data.code });
    case "tool_succeeded":
      return tag(`${event.data.tool}_result`, cap(yamlish(event.data.result)), {
        call: event.data.callId,
        ...(event.data.truncatedFromBytes ? { truncated_from_bytes: String(event.data.truncatedFromBytes) } : {}),
      });
    case "tool_failed":
      return tag("error", cap(compactError(event.data.code, event.data.message)), { call: event.data.callId, tool: event.data.tool, code: event.data.code });
    case "human_requested":
      return tag("human_request", cap(event.data.message), { id: event.data.requestId, kind: event.data.kind });
    case "human_responded": {
      const fields: Record<string, Json> = {};
      if (event.data.approved !== undefined) fields["approved"] = event.data.approved;
      if (event.data.answer !== undefined) fields["answer"] = event.data.answer;
      if (event.data.comment !== undefined) fields["comment"] = event.data.comment;
      if (event.data.decision === "edit" && event.data.args) {
        // The model must know its call did not run as it asked (invariant 13), and how it changed.
        fields["decision"] = "edit";
        fields["edited_by"] = `${event.data.by.kind} ${event.data.by.id}`;
        fields["note"] = "A human changed the arguments of your call before approving it; it runs with edited_args, not with yours.";
        fields["edited_args"] = event.data.args;
      }
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
    case "context_compacted":
      return tag("summary", cap(event.data.summary), { from_seq: String(event.data.fromSeq), to_seq: String(event.data.toSeq) });
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
