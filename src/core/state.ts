import type { AgentName, CallId, RequestId, ThreadId, Timestamp } from "./ids";
import type { JsonObject } from "./json";
import type { EventOf, ModelErrorCode, NotificationPurpose, PostedMessage, TimeoutPolicy, ToolErrorCode } from "./events";
import type { Principal } from "./principal";
import type { McpState } from "./mcp";
import type { ApprovalRecord, DecisionWord } from "./decision";

export type ThreadStatus = "running" | "waiting_for_human" | "paused" | "done" | "failed" | "cancelled" | "waiting_for_agent";

/**
 * A tool call the model decided on that has no final outcome yet. Finished calls
 * leave the state (their outcome lives in the log), so the state stays small however
 * long the thread runs.
 */
export type ActiveCall = {
  readonly callId: CallId;
  readonly tool: string;
  readonly args: JsonObject;
  readonly phase:
    | { readonly kind: "decided" }
    | { readonly kind: "awaiting_approval"; readonly requestId: RequestId }
    // The approval carries the exact request it answered; the executor re-checks it.
    | { readonly kind: "approved"; readonly requestId: RequestId; readonly approvedArgs: JsonObject }
    | { readonly kind: "started"; readonly attempt: number; readonly approvedArgs?: JsonObject }
    // Its server could not be reached; the wake-up runs attempt `attempt + 1` at `retryAt`.
    | { readonly kind: "retrying"; readonly attempt: number; readonly retryAt: Timestamp; readonly approvedArgs?: JsonObject }
    // Handed to a child thread (Factor 10); its end comes back as this call's outcome.
    | { readonly kind: "delegated"; readonly childThreadId: ThreadId; readonly agent: AgentName; readonly deadline: Timestamp };
  /** Planned by the runtime before the first model call (Factor 13), not decided by the model. */
  readonly by?: "prefetch";
  /** A human edited the arguments while approving: what the model asked for, and who changed it. */
  readonly edited?: { readonly originalArgs: JsonObject; readonly by: Principal };
};

export type PendingRequest = EventOf<"human_requested">["data"] & {
  readonly requestedAt: Timestamp;
  readonly seq: number;
  /** The deadline was extended once after notifying the escalation contact. */
  readonly escalated: boolean;
  /** Approvals of the arguments held now (invariant 13), oldest first; absent until the first of a quorum. */
  readonly approvals?: readonly ApprovalRecord[];
  /** A human edited the held call: the model's arguments, and who edited (last edit). */
  readonly edited?: { readonly originalArgs: JsonObject; readonly by: Principal };
};

/** A notification that must still reach a human (the durable outbox, derived from the log). */
export type OutboxItem = {
  readonly requestId: RequestId;
  readonly channel: string;
  readonly purpose: NotificationPurpose;
  readonly attempts: number;
  readonly retryAt?: Timestamp;
  /** For purpose "closed": the messages to update in place (what the request's posts left behind). */
  readonly messages?: readonly PostedMessage[];
};

/** A message posted for an open request; when the request ends it becomes a "closed" outbox item. */
export type PostedRecord = { readonly requestId: RequestId; readonly channel: string; readonly message: PostedMessage };

export type ThreadEnd =
  | { readonly status: "done"; readonly message: string }
  | { readonly status: "failed"; readonly code: string; readonly message: string }
  | { readonly status: "cancelled"; readonly reason?: string };

export type LastError = { readonly code: ModelErrorCode | ToolErrorCode; readonly message: string };

export type ThreadState = {
  readonly id: ThreadId;
  readonly agent: AgentName;
  readonly createdAt: Timestamp;
  readonly updatedAt: Timestamp;
  readonly lastSeq: number;
  readonly metadata?: JsonObject;
  readonly humanTimeoutSeconds?: number;
  /** The launch's timeout policy override for every human request (absent: the agent's and tools' own). */
  readonly onHumanTimeout?: TimeoutPolicy;
  readonly paused: boolean;
  readonly end?: ThreadEnd;
  /** When the thread ended (the `at` of its end event); retention counts from here. */
  readonly endedAt?: Timestamp;
  /** Open human requests, oldest first. */
  readonly pending: readonly PendingRequest[];
  /** Calls without a final outcome, in decision order. */
  readonly calls: readonly ActiveCall[];
  /** New input (a message, a tool outcome, an answer) that the model has not seen yet. */
  readonly needsModel: boolean;
  /** Seq of the newest event that gave the model something new to look at. */
  readonly lastInputSeq: number;
  /** Errors since the last success (Factor 9). */
  readonly consecutiveErrors: number;
  readonly lastError?: LastError;
  /** A retryable model error's backoff: the model is not called before this. */
  readonly modelRetryAt?: Timestamp;
  /** An escalation after repeated errors went unanswered: the thread must fail. */
  readonly escalationExpired: boolean;
  /** A request whose timeout policy is "fail" timed out: the thread must fail. */
  readonly timeoutFailure?: RequestId;
  readonly outbox: readonly OutboxItem[];
  readonly modelTurns: number;
  // The fields below are absent until set, so a thread that uses none of them looks as before.
  /** The prompt variant in use (thread_launched, or a fork's override). */
  readonly variant?: string;
  /** A model name that overrides the configured MODEL for this thread (set by a fork). */
  readonly model?: string;
  /** This thread is a fork of another one, from that thread's event `atSeq`. */
  readonly forkedFrom?: { readonly threadId: ThreadId; readonly atSeq: number };
  /** Pre-fetch calls planned so far (Factor 13). */
  readonly prefetched?: number;
  /** Counters for variant stats (see stats.ts); absent while all are zero. */
  readonly counts?: ThreadCounts;
  /** Token usage of every model call so far (operations: usage per thread, agent and variant). */
  readonly usage?: ThreadUsage;
  // ---- Composition (Factor 10); absent on threads that never delegated or were never delegated ----
  /** The call in another thread that waits for this thread's end. */
  readonly parent?: { readonly threadId: ThreadId; readonly callId: CallId };
  /** Delegation depth (absent = 0). */
  readonly depth?: number;
  /** Every child this thread launched, in order (bounded by the fan-out limit). */
  readonly children?: readonly ChildRecord[];
  /** This child's end has reached its parent. */
  readonly parentNotified?: boolean;
  /** Channels that get this thread's requests and outcome (set at launch, e.g. by the email trigger). */
  readonly replyChannels?: readonly string[];
  /** Who launched the thread, when the launch named one: the requester a policy may forbid to approve. */
  readonly launchedBy?: Principal;
  /** The latest answers to human requests: who answered, when (invariant 10). Absent until the first. */
  readonly answers?: readonly AnswerRecord[];
  /** The thread reached its cap on events and escalated (thread_filled); it accepts no more outside input. */
  readonly full?: ThreadFull;
  /** Chat messages posted for open requests (Slack), to update when each request ends. Absent until the first. */
  readonly posted?: readonly PostedRecord[];
  /** The first chat message this thread posted: later posts reply in its (Slack) thread. */
  readonly chatThread?: PostedMessage;
  /** What the context render must find however old (unresolved errors, latest results, summaries); absent until the first. */
  readonly context?: ContextMarks;
  /** Tools listed from MCP servers on the first step (invariant 12); absent for threads that never listed. */
  readonly mcp?: McpState;
};

// What the context render must find however old it is (invariant 11), kept in the state so
// a render reads the few pinned events it needs by seq (advanced by context-marks.ts).

/** A failed tool call that nothing has resolved yet: it stays in the context, pinned. */
export type UnresolvedError = {
  readonly seq: number;
  readonly callId: CallId;
  readonly tool: string;
  readonly args: JsonObject;
  readonly code: string;
};

/** A summary of an older range (context_compacted), by the seq of its event. */
export type CompactionMark = { readonly seq: number; readonly fromSeq: number; readonly toSeq: number };

export type ContextMarks = {
  /** Oldest first. */
  readonly unresolved: readonly UnresolvedError[];
  /** The seq of the newest result of each tool. */
  readonly latestResults: Readonly<Record<string, number>>;
  /** Oldest first; only the newest MAX_COMPACTIONS_KEPT (older summaries are themselves old news). */
  readonly compactions: readonly CompactionMark[];
};

/** When a thread filled up: the seq and time of its thread_filled event, and the cap it reached. */
export type ThreadFull = { readonly seq: number; readonly at: Timestamp; readonly cap: number };

export type AnswerRecord = {
  readonly requestId: RequestId;
  readonly by: Principal;
  readonly at: Timestamp;
  readonly approved?: boolean;
  readonly decision?: DecisionWord;
};

/** A child thread as its parent's log knows it. */
export type ChildRecord = {
  readonly callId: CallId;
  readonly threadId: ThreadId;
  readonly agent: AgentName;
  readonly deadline: Timestamp;
  /** How the call ended for the parent; absent while it waits. */
  readonly outcome?: "done" | "failed" | "cancelled" | "timed_out";
  /** The child's own end has reached the parent (its report arrived). */
  readonly reported: boolean;
};

/** Tokens the thread's model calls used, added up from the model events (absent until the first one reports usage). */
export type ThreadUsage = { readonly modelCalls: number; readonly promptTokens: number; readonly completionTokens: number };

/** What a thread did, for per-variant stats: model calls, errors, escalations. */
export type ThreadCounts = { readonly steps: number; readonly errors: number; readonly escalations: number };

/** A log that has not been launched yet has no state; everything starts at thread_launched. */
export type MaybeThread = ThreadState | undefined;

/** The status a client sees. Derived, never stored, so it cannot drift from the log. */
export function statusOf(state: ThreadState): ThreadStatus {
  if (state.end) return state.end.status;
  if (state.paused) return "paused";
  // While an escalation is open the model is not called, however much input waits.
  const escalated = state.pending.some((r) => r.reason === "repeated_errors" || r.reason === "context_over_budget");
  const hasWork =
    (state.needsModel && !escalated) || state.calls.some((c) => c.phase.kind !== "awaiting_approval" && c.phase.kind !== "delegated");
  if (state.pending.length > 0 && !hasWork) return "waiting_for_human";
  // Only delegated calls are open: the thread waits for its child agents (Factor 10).
  return !hasWork && state.calls.some((c) => c.phase.kind === "delegated") ? "waiting_for_agent" : "running";
}

export function isTerminal(state: ThreadState): boolean {
  return state.end !== undefined;
}
