import type { Event } from "../core";
import { EMPTY_FOLD, type OpenHuman, type OpenTool, type TraceFold, type TraceOptions } from "./fold";
import { GENAI, OURS } from "./names";
import type { Attributes, TraceSpan } from "./span";
import { chatSpan, closeHuman, endThread, modelCall, ms, rootEvent, toolOutcome, usage, withUsage } from "./span-builders";

/**
 * Spans derived from the log (invariant 14), never from timers in memory: a crash, an
 * eviction or a three-day wait for a human changes nothing, and deriving twice gives the
 * same spans with the same ids. Pure: a fold over events, each completed span emitted by
 * the event that ends it (so the exporter sends each span once its end is in the log).
 *
 *   invoke_agent {agent}        the thread's run: launch (or fork) to its end; the root
 *     chat {model}              each model call (and each compaction summary)
 *     execute_tool {tool}       each tool call: started (or delegated) to its outcome
 *     human_request {kind}      each human request: asked to answered / timed out / closed
 *
 * A thread is one trace. A child thread's root links to its parent's `execute_tool` span
 * and a fork's root to its source's root: Workers carry no trace context between Durable
 * Objects, and the ids are derived, so the link needs none.
 */

/** Every span the log holds, in the order their end events were appended. */
export function traceSpans(events: Iterable<Event>, options: TraceOptions): TraceSpan[] {
  let fold = EMPTY_FOLD;
  const spans: TraceSpan[] = [];
  for (const event of events) {
    const step = foldTrace(fold, event, options);
    fold = step.fold;
    spans.push(...step.spans);
  }
  return spans;
}

/** One event: the new fold and the spans this event ended. */
export function foldTrace(fold: TraceFold, event: Event, options: TraceOptions): { fold: TraceFold; spans: TraceSpan[] } {
  if (fold.ended) return { fold, spans: [] };
  const at = ms(event.at);
  switch (event.type) {
    case "thread_launched": {
      const d = event.data;
      return {
        fold: {
          ...fold,
          threadId: d.threadId,
          agent: d.agent,
          startMs: at,
          ...(d.variant !== undefined ? { variant: d.variant } : {}),
          ...(d.depth !== undefined ? { depth: d.depth } : {}),
          ...(d.parent ? { parent: d.parent } : {}),
          ...(options.captureContent ? { message: d.message } : {}),
        },
        spans: [],
      };
    }
    case "thread_forked": {
      // From here on this log is another thread: its own trace, starting now, linked to the source.
      const d = event.data;
      return {
        fold: { ...fold, threadId: d.threadId, startMs: at, forkedFrom: { threadId: d.from, atSeq: d.atSeq }, ...(d.variant !== undefined ? { variant: d.variant } : {}) },
        spans: [],
      };
    }
    case "user_messaged":
    case "thread_paused":
    case "thread_resumed":
      return { fold: rootEvent(fold, event.type, at, event.type === "user_messaged" && options.captureContent ? { message: event.data.text } : {}), spans: [] };
    case "model_decided":
    case "model_failed":
      return modelCall(fold, event, options);
    case "context_compacted": {
      const d = event.data;
      const attributes: Attributes = {
        [OURS.purpose]: "context_compaction",
        [OURS.tokensBefore]: d.tokensBefore,
        [OURS.tokensAfter]: d.tokensAfter,
        [GENAI.agentVersion]: d.promptVersion,
        ...usage(d.usage),
      };
      return { fold: withUsage(fold, d.usage), spans: [chatSpan(fold, event.seq, at - (d.latencyMs ?? 0), at, d.model, attributes, { code: "unset" })] };
    }
    case "mcp_tools_listed":
      return { fold: { ...fold, mcp: { ...fold.mcp, ...Object.fromEntries(event.data.tools.map((t) => [t.name, t.server])) } }, spans: [] };
    case "tool_started": {
      const d = event.data;
      const open = fold.tools[d.callId];
      const args = options.captureContent ? JSON.stringify(d.args) : undefined;
      const tool: OpenTool = open
        ? { ...open, attempts: open.attempts + 1 }
        : { tool: d.tool, startMs: at, attempts: 1, ...(args !== undefined ? { args } : {}) };
      return { fold: { ...fold, tools: { ...fold.tools, [d.callId]: tool } }, spans: [] };
    }
    case "agent_delegated": {
      const d = event.data;
      const open = fold.tools[d.callId];
      const tool: OpenTool = { ...(open ?? { tool: d.tool, startMs: at, attempts: 1 }), childThreadId: d.childThreadId };
      return { fold: { ...fold, tools: { ...fold.tools, [d.callId]: tool } }, spans: [] };
    }
    case "tool_succeeded":
    case "tool_failed":
      return toolOutcome(fold, event, options);
    case "human_requested": {
      const d = event.data;
      const human: OpenHuman = {
        kind: d.kind,
        reason: d.reason,
        startMs: at,
        channels: d.notify,
        delivered: [],
        onTimeout: d.onTimeout,
        ...(d.call ? { callId: d.call.callId, tool: d.call.tool } : {}),
      };
      return { fold: { ...fold, humans: { ...fold.humans, [d.requestId]: human } }, spans: [] };
    }
    case "human_escalated": {
      const open = fold.humans[event.data.requestId];
      if (!open) return { fold, spans: [] };
      const human = { ...open, escalatedAtMs: at, channels: [...new Set([...open.channels, ...event.data.notify])] };
      return { fold: { ...fold, humans: { ...fold.humans, [event.data.requestId]: human } }, spans: [] };
    }
    case "notification_sent": {
      const open = fold.humans[event.data.requestId];
      if (!open || open.delivered.includes(event.data.channel)) return { fold, spans: [] };
      return { fold: { ...fold, humans: { ...fold.humans, [event.data.requestId]: { ...open, delivered: [...open.delivered, event.data.channel] } } }, spans: [] };
    }
    case "human_responded": {
      const d = event.data;
      const open = fold.humans[d.requestId];
      if (!open) return { fold, spans: [] };
      const outcome = open.kind === "approval" ? (d.approved ? "approved" : "rejected") : "answered";
      const content: Attributes = options.captureContent && (d.answer ?? d.comment) !== undefined ? { [OURS.humanAnswer]: d.answer ?? d.comment ?? "" } : {};
      const attributes = { [OURS.humanAnsweredBy]: `${d.by.kind}:${d.by.id}`, [OURS.humanAnsweredVia]: event.source?.kind ?? d.by.kind, ...content };
      return closeHuman(fold, d.requestId, open, at, event.seq, outcome, attributes);
    }
    case "human_timed_out": {
      const open = fold.humans[event.data.requestId];
      return open ? closeHuman(fold, event.data.requestId, open, at, event.seq, "timed_out", {}) : { fold, spans: [] };
    }
    case "thread_finished":
    case "thread_failed":
    case "thread_cancelled":
      return endThread(fold, event, options);
    case "human_response_refused":
    case "notification_failed":
    case "thread_filled":
    case "agent_reported":
    case "parent_notified":
    case "call_planned":
    case "mcp_list_failed":
    case "tool_retry_scheduled":
      return { fold, spans: [] };
    default:
      return assertNever(event);
  }
}

function assertNever(event: never): never {
  throw new Error(`unhandled event ${JSON.stringify(event)}`);
}

