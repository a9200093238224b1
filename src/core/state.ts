import type { AgentName, CallId, RequestId, ThreadId, Timestamp } from "./ids";
import type { JsonObject } from "./json";
import type { EventOf, ModelErrorCode, NotificationPurpose, ToolErrorCode } from "./events";

export type ThreadStatus = "running" | "waiting_for_human" | "paused" | "done" | "failed" | "cancelled";

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
    | { readonly kind: "started"; readonly attempt: number; readonly approvedArgs?: JsonObject };
};

export type PendingRequest = EventOf<"human_requested">["data"] & {
  readonly requestedAt: Timestamp;
  readonly seq: number;
  /** The deadline was extended once after notifying the escalation contact. */
  readonly escalated: boolean;
};

/** A notification that must still reach a human (the durable outbox, derived from the log). */
export type OutboxItem = {
  readonly requestId: RequestId;
  readonly channel: string;
  readonly purpose: NotificationPurpose;
  readonly attempts: number;
  readonly retryAt?: Timestamp;
};

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
  readonly paused: boolean;
  readonly end?: ThreadEnd;
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
  /** An escalation after repeated errors went unanswered: the thread must fail. */
  readonly escalationExpired: boolean;
  /** A request whose timeout policy is "fail" timed out: the thread must fail. */
  readonly timeoutFailure?: RequestId;
  readonly outbox: readonly OutboxItem[];
  readonly modelTurns: number;
  /** Channels that get this thread's requests and outcome (set at launch, e.g. by the email trigger). */
  readonly replyChannels?: readonly string[];
};

/** A log that has not been launched yet has no state; everything starts at thread_launched. */
export type MaybeThread = ThreadState | undefined;

/** The status a client sees. Derived, never stored, so it cannot drift from the log. */
export function statusOf(state: ThreadState): ThreadStatus {
  if (state.end) return state.end.status;
  if (state.paused) return "paused";
  // While an escalation is open the model is not called, however much input waits.
  const escalated = state.pending.some((r) => r.reason === "repeated_errors");
  const hasWork = (state.needsModel && !escalated) || state.calls.some((c) => c.phase.kind !== "awaiting_approval");
  return state.pending.length > 0 && !hasWork ? "waiting_for_human" : "running";
}

export function isTerminal(state: ThreadState): boolean {
  return state.end !== undefined;
}
