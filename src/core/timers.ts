import { childrenToCancel, delegatedCalls, reportForParent } from "./delegation";
import type { ModelErrorCode } from "./events";
import type { ThreadState } from "./state";

/**
 * Invariant 9: time lives in the log, an alarm is only a wake-up. This module lists every
 * timed obligation of a thread with the moment it is due; the runtime keeps ONE wake-up
 * armed at the earliest of them, and each wake does what is due and re-arms from the new
 * state. Nothing here reads a clock: due times come from the log (deadlines, retryAt) or,
 * for retries of calls whose failure is not an event, from the runtime's own bookkeeping.
 */
export type Obligation =
  /** A human request's deadline (or its escalation's extended one). */
  | { readonly kind: "human_deadline"; readonly requestId: string; readonly dueAt: number }
  /** An outbox notification: its first attempt (due at once) or its next retry. */
  | { readonly kind: "notification"; readonly requestId: string; readonly channel: string; readonly dueAt: number }
  /** A delegated call's deadline. */
  | { readonly kind: "agent_deadline"; readonly callId: string; readonly dueAt: number }
  /** A retryable model error's backoff is over: call the model again. */
  | { readonly kind: "model_retry"; readonly dueAt: number }
  /** An unreachable MCP server: list its tools again, or run the waiting call again (invariant 12). */
  | { readonly kind: "mcp_list_retry"; readonly dueAt: number }
  | { readonly kind: "tool_retry"; readonly callId: string; readonly dueAt: number }
  | { readonly kind: RuntimeRetryKind; readonly dueAt: number };

/** Settings that add obligations of their own. */
export type TimerOptions = {
  /** Erase a finished thread this long after it ended; absent = keep forever. */
  readonly retentionMs?: number;
};

/** Obligations whose failed attempts the log does not record (a call into another object failed on the wire). */
export type RuntimeRetryKind = "report_to_parent" | "launch_children" | "cancel_children" | "sync_index" | "drive" | "erase" | "export_traces";

/**
 * When the runtime will try each of those again (epoch ms), set before an attempt and
 * cleared after its success. Lost with the instance, which is fine: every start resumes
 * all owed work at once, and report_to_parent, which the log can see is owed, is then
 * due immediately.
 */
export type RuntimeRetries = Partial<Record<RuntimeRetryKind, number>>;

/** Due "now", whatever now is: the earliest possible time. */
const AT_ONCE = 0;

export function timers(state: ThreadState | undefined, retries: RuntimeRetries = {}, options: TimerOptions = {}): Obligation[] {
  const out: Obligation[] = [];
  if (retries.sync_index !== undefined) out.push({ kind: "sync_index", dueAt: retries.sync_index });
  // Spans owed to the OTLP collector (runtime/thread/trace-export.ts): its cursor and retry live in its own row.
  if (retries.export_traces !== undefined) out.push({ kind: "export_traces", dueAt: retries.export_traces });
  if (!state) return out;
  // The step loop stopped on a storage or programming error: run it again.
  if (retries.drive !== undefined && !state.end) out.push({ kind: "drive", dueAt: retries.drive });
  for (const request of state.pending) {
    out.push({ kind: "human_deadline", requestId: request.requestId, dueAt: Date.parse(request.deadline) });
  }
  for (const item of state.outbox) {
    out.push({ kind: "notification", requestId: item.requestId, channel: item.channel, dueAt: item.retryAt ? Date.parse(item.retryAt) : AT_ONCE });
  }
  if (!state.end) {
    for (const call of delegatedCalls(state)) out.push({ kind: "agent_deadline", callId: call.callId, dueAt: Date.parse(call.phase.deadline) });
    if (retries.launch_children !== undefined && delegatedCalls(state).length > 0) out.push({ kind: "launch_children", dueAt: retries.launch_children });
    if (state.modelRetryAt && !state.paused) out.push({ kind: "model_retry", dueAt: Date.parse(state.modelRetryAt) });
    if (state.mcp?.retry && !state.paused) out.push({ kind: "mcp_list_retry", dueAt: Date.parse(state.mcp.retry.retryAt) });
    for (const call of state.calls) {
      if (call.phase.kind === "retrying" && !state.paused) out.push({ kind: "tool_retry", callId: call.callId, dueAt: Date.parse(call.phase.retryAt) });
    }
  }
  if (reportForParent(state)) out.push({ kind: "report_to_parent", dueAt: retries.report_to_parent ?? AT_ONCE });
  if (retries.cancel_children !== undefined && childrenToCancel(state).length > 0) out.push({ kind: "cancel_children", dueAt: retries.cancel_children });
  // Only once nothing is owed to anyone: the erase itself re-checks children (docs/operations.md).
  if (options.retentionMs !== undefined && state.end && state.endedAt && !reportForParent(state)) {
    // Retention (THREAD_RETENTION_DAYS): due once the thread is that old, or at the retry after a refused erase.
    out.push({ kind: "erase", dueAt: Math.max(Date.parse(state.endedAt) + options.retentionMs, retries.erase ?? 0) });
  }
  return out;
}

/** The earliest due time of all obligations, or undefined when nothing is owed. */
export function nextDue(obligations: readonly Obligation[]): number | undefined {
  let earliest: number | undefined;
  for (const o of obligations) if (earliest === undefined || o.dueAt < earliest) earliest = o.dueAt;
  return earliest;
}

// ---- Model retry backoff (Factor 9: a flaky endpoint gets time, not a hammering) ----

/** Errors worth waiting for: the endpoint is overloaded, down, slow or unreachable. Others go straight back to the model. */
export const RETRYABLE_MODEL_ERRORS: ReadonlySet<ModelErrorCode> = new Set(["model_rate_limited", "model_unavailable", "model_timeout", "model_unreachable"]);

export const MODEL_RETRY_BASE_MS = 1_000;
export const MODEL_RETRY_MAX_MS = 30_000;
/** A Retry-After beyond this is cut to it: the thread retries (and may escalate) rather than sleep for hours. */
export const RETRY_AFTER_CAP_MS = 60_000;

/**
 * How long to wait before model attempt `failures + 1`: exponential (1 s, 2 s, 4 s, ... up
 * to 30 s) scaled by a jitter in [0.5, 1) so many threads do not retry in lockstep, and
 * never shorter than the endpoint's Retry-After (capped). `jitter` in [0, 1) comes from the
 * runtime and is recorded in the event, so a replay computes the same wait.
 */
export function modelRetryDelayMs(failures: number, jitter: number, retryAfterMs?: number): number {
  const exponential = Math.min(MODEL_RETRY_MAX_MS, MODEL_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  const jittered = Math.floor(exponential * (0.5 + Math.min(Math.max(jitter, 0), 1) / 2));
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(0, retryAfterMs), RETRY_AFTER_CAP_MS);
  return Math.max(jittered, floor);
}
