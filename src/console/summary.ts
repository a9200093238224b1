import type { Event, JsonObject } from "../core";

// One line of plain text per log event, and the colour family it is drawn in. Both are
// exhaustive switches over the event union: a new event type does not compile until it
// has a summary and a kind here (the `never` at the end of each switch).

export type EventKind = "model" | "tool" | "human" | "timer" | "error" | "lifecycle";

/** Earlier facts of the same thread a line may refer to (a timeout names its request's policy). */
export type SummaryContext = {
  readonly requests?: ReadonlyMap<string, { readonly onTimeout: string; readonly tool?: string }>;
};

const unreachable = (value: never): never => {
  throw new Error(`no summary for ${JSON.stringify(value)}`);
};

const MAX_TEXT = 120;
const MAX_VALUE = 40;

/** One line: whitespace folded, cut with an ellipsis. */
export function clip(text: string, max = MAX_TEXT): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A JSON value as a short scalar: strings bare, everything else as compact JSON. */
export function short(value: unknown, max = MAX_VALUE): string {
  return clip(typeof value === "string" ? value : JSON.stringify(value) ?? "null", max);
}

/** `tag=v1.2.3 environment=production`, in the arguments' own order. */
export function argsLine(args: JsonObject): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${short(v)}`)
    .join(" ");
}

const ms = (n: number) => `${Math.round(n)} ms`;

const principal = (by: { kind: string; id: string; verifiedBy: string }) => `${by.id} (${by.kind}${by.verifiedBy === "legacy" ? ", unverified legacy record" : ""})`;

export function eventKind(event: Event): EventKind {
  switch (event.type) {
    case "model_decided":
    case "context_compacted":
      return "model";
    case "tool_started":
    case "tool_succeeded":
    case "call_planned":
    case "agent_delegated":
    case "agent_reported":
    case "mcp_tools_listed":
      return "tool";
    case "human_requested":
    case "human_responded":
    case "human_response_refused":
    case "notification_sent":
    case "user_messaged":
      return "human";
    case "human_timed_out":
    case "human_escalated":
    case "tool_retry_scheduled":
      return "timer";
    case "model_failed":
    case "tool_failed":
    case "thread_failed":
    case "notification_failed":
    case "mcp_list_failed":
      return "error";
    case "thread_launched":
    case "thread_paused":
    case "thread_resumed":
    case "thread_cancelled":
    case "thread_finished":
    case "thread_filled":
    case "thread_forked":
    case "parent_notified":
      return "lifecycle";
    default:
      return unreachable(event);
  }
}

export function summarize(event: Event, context: SummaryContext = {}): string {
  switch (event.type) {
    case "thread_launched": {
      const d = event.data;
      const extras = [d.variant ? `variant ${d.variant}` : "", d.parent ? `delegated by ${d.parent.threadId}` : ""].filter(Boolean);
      return `launched ${d.agent}: “${clip(d.message, 80)}”${extras.length ? ` · ${extras.join(" · ")}` : ""}`;
    }
    case "user_messaged":
      return `message: “${clip(event.data.text, 100)}”`;
    case "model_decided": {
      const d = event.data;
      const tokens = d.usage ? `${d.usage.promptTokens}+${d.usage.completionTokens} tokens` : "tokens not reported";
      return clip(`chose ${d.tool} ${argsLine(d.args)}`, 90) + ` · ${ms(d.latencyMs)} · ${tokens}`;
    }
    case "model_failed": {
      const d = event.data;
      return `model failed: ${d.code} ${clip(d.message, 60)}${d.retryAt ? ` · retry at ${d.retryAt}` : ""}`;
    }
    case "tool_started":
      return clip(`${event.data.tool} started ${argsLine(event.data.args)}`, 100) + (event.data.attempt > 1 ? ` · attempt ${event.data.attempt}` : "");
    case "tool_succeeded": {
      const d = event.data;
      return `${d.tool} succeeded → ${short(d.result, 70)} · ${ms(d.latencyMs)}${d.truncatedFromBytes ? ` · truncated from ${d.truncatedFromBytes} bytes` : ""}`;
    }
    case "tool_failed": {
      const d = event.data;
      return `${d.tool} failed: ${d.code} ${clip(d.message, 70)}${d.latencyMs === undefined ? "" : ` · ${ms(d.latencyMs)}`}`;
    }
    case "human_requested": {
      const d = event.data;
      const what = d.kind === "approval" ? `approval of ${d.call ? `${d.call.tool} ${argsLine(d.call.args)}` : "an action"}` : `input: “${clip(d.message, 60)}”`;
      const who = d.approvers?.length ? ` · approvers ${d.approvers.join(", ")}` : "";
      return `${clip(`asks for ${what}`, 100)}${who} · on timeout ${d.onTimeout}`;
    }
    case "human_escalated":
      return `timed out → escalated${event.data.notify.length ? ` via ${event.data.notify.join(", ")}` : ""} · new deadline ${event.data.deadline}`;
    case "notification_sent":
      return `${event.data.purpose} sent by ${event.data.channel}${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`;
    case "notification_failed": {
      const d = event.data;
      return `${d.purpose} by ${d.channel} failed (attempt ${d.attempt}): ${clip(d.message, 60)}${d.retryAt ? ` · retry at ${d.retryAt}` : " · gave up"}`;
    }
    case "human_responded": {
      const d = event.data;
      const verb = d.approved === true ? "approved" : d.approved === false ? "rejected" : "answered";
      const said = d.answer ? `: “${clip(d.answer, 60)}”` : d.comment ? ` · “${clip(d.comment, 60)}”` : "";
      return `${verb} by ${principal(d.by)}${said}`;
    }
    case "human_response_refused":
      return `refused answer by ${principal(event.data.by)}: ${event.data.code.replaceAll("_", " ")}`;
    case "human_timed_out": {
      const request = context.requests?.get(event.data.requestId);
      return `timed out${request ? ` → ${request.onTimeout === "fail" ? "thread fails" : request.onTimeout === "deny" ? "denied" : "no answer after escalation"}` : ""}`;
    }
    case "thread_filled":
      return `event cap ${event.data.cap} reached: no more outside input${event.data.notify.length ? ` · notified ${event.data.notify.join(", ")}` : ""}`;
    case "thread_paused":
      return `paused${event.data.reason ? `: ${clip(event.data.reason, 80)}` : ""}`;
    case "thread_resumed":
      return "resumed";
    case "thread_cancelled":
      return `cancelled${event.data.reason ? `: ${clip(event.data.reason, 80)}` : ""}`;
    case "thread_finished":
      return `done: “${clip(event.data.message, 100)}”`;
    case "thread_failed":
      return `failed: ${event.data.code} ${clip(event.data.message, 80)}`;
    case "agent_delegated": {
      const d = event.data;
      return `${d.tool} delegated to ${d.agent} (thread ${d.childThreadId}) · depth ${d.depth} · deadline ${d.deadline}`;
    }
    case "agent_reported":
      return `child ${event.data.childThreadId} ${event.data.status} after its call stopped waiting: “${clip(event.data.message, 60)}”`;
    case "parent_notified":
      return `told parent ${event.data.threadId}: ${event.data.status}${event.data.accepted ? "" : " (no longer waiting)"}`;
    case "call_planned":
      return clip(`prefetch planned ${event.data.tool} ${argsLine(event.data.args)}`, 110);
    case "thread_forked": {
      const d = event.data;
      const extras = [d.variant ? `variant ${d.variant}` : "", d.model ? `model ${d.model}` : ""].filter(Boolean);
      return `forked from ${d.from} at #${d.atSeq}${extras.length ? ` · ${extras.join(" · ")}` : ""}`;
    }
    case "context_compacted": {
      const d = event.data;
      return `compacted #${d.fromSeq}–#${d.toSeq}: ${d.tokensBefore} → ${d.tokensAfter} tokens · ${d.model}`;
    }
    case "mcp_tools_listed": {
      const d = event.data;
      if (d.error) return `${d.server}: no tools · ${clip(d.error, 80)}`;
      return clip(`${d.server} offers ${d.tools.length} tool${d.tools.length === 1 ? "" : "s"}: ${d.tools.map((t) => t.name).join(", ")}`, 120);
    }
    case "mcp_list_failed":
      return `listing ${event.data.server} failed (attempt ${event.data.attempt}): ${clip(event.data.message, 60)} · retry at ${event.data.retryAt}`;
    case "tool_retry_scheduled": {
      const d = event.data;
      return `${d.tool} unreachable (attempt ${d.attempt}): ${clip(d.message, 60)} · retry at ${d.retryAt}`;
    }
    default:
      return unreachable(event);
  }
}

/** The requests a page of events opened, for the lines that refer back to them. */
export function summaryContext(events: readonly Event[]): SummaryContext {
  const requests = new Map<string, { onTimeout: string; tool?: string }>();
  for (const e of events) {
    if (e.type === "human_requested") requests.set(e.data.requestId, { onTimeout: e.data.onTimeout, ...(e.data.call ? { tool: e.data.call.tool } : {}) });
  }
  return { requests };
}
