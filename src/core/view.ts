import type { AnswerRecord, ChildRecord, PendingRequest, ThreadFull, ThreadState, ThreadStatus, ThreadUsage } from "./state";
import { statusOf } from "./state";
import type { JsonObject } from "./json";
import type { Principal } from "./principal";
import { requiredOf } from "./decision";

/** A pending human request as API clients see it. */
export type PendingView = {
  readonly requestId: string;
  readonly kind: "approval" | "input";
  readonly reason: string;
  readonly message: string;
  readonly tool?: { readonly name: string; readonly args: JsonObject };
  /** When the request was made (its event's time): the console's inbox lists oldest first. */
  readonly requestedAt: string;
  readonly deadline: string;
  readonly onTimeout: "deny" | "escalate" | "fail";
  readonly escalated: boolean;
  /** Who may answer (the tool's policy); absent = any verified principal. */
  readonly approvers?: readonly string[];
  /** Signed link to the approval page, when links are configured (added by the runtime). */
  readonly link?: string;
  /** A quorum (invariant 13): how many distinct approvals the call needs, and who gave one so far; absent for a lone approval not yet given. */
  readonly approvals?: { readonly required: number; readonly given: readonly { readonly by: Principal; readonly at: string }[] };
  /** Argument fields a human may change while approving (decision "edit"). */
  readonly editable?: readonly string[];
  /** false: the principal who launched the thread may not approve or edit this call. */
  readonly selfApproval?: false;
  /** A human edited the call: the model's original arguments and who changed them (`tool.args` holds the edited ones). */
  readonly edited?: { readonly originalArgs: JsonObject; readonly by: Principal };
};

/** The thread shape of the public API (docs/http-api.md). */
export type ThreadView = {
  readonly id: string;
  readonly agent: string;
  readonly status: ThreadStatus;
  readonly pending?: PendingView;
  readonly pendingRequests: readonly PendingView[];
  readonly result?: { readonly message: string };
  readonly error?: { readonly code: string; readonly message: string };
  readonly metadata?: JsonObject;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastSeq: number;
  /** The prompt variant in use (Factor 2), when the agent has several. */
  readonly variant?: string;
  /** The model override of a fork. */
  readonly model?: string;
  /** Set on a fork: the thread and event it was copied from. */
  readonly forkedFrom?: { readonly threadId: string; readonly atSeq: number };
  /** Composition (Factor 10): the thread whose call waits for this one. */
  readonly parent?: { readonly threadId: string; readonly callId: string };
  readonly depth?: number;
  /** Composition (Factor 10): child threads this one launched, oldest first. */
  readonly children?: readonly ChildView[];
  /** Token usage of the thread's model calls so far, from the model events. */
  readonly usage?: ThreadUsage & { readonly totalTokens: number };
  /** A retryable model error is waiting out its backoff: the next model call is not before this. */
  readonly retryAt?: string;
  /** The launch's timeout policy override for every human request. */
  readonly onHumanTimeout?: "deny" | "escalate" | "fail";
  /** The latest answers (who, when, approved?), oldest first; the events hold every one. */
  readonly answers?: readonly AnswerRecord[];
  /** The thread reached its cap on events and escalated: outside input gets 409 thread_full. */
  readonly full?: ThreadFull;
};

/** A child thread as its parent shows it; the runtime refreshes `status` of running children from the child itself. */
export type ChildView = {
  readonly threadId: string;
  readonly agent: string;
  readonly callId: string;
  readonly status: ThreadStatus | "timed_out";
  readonly deadline: string;
};

export function pendingView(request: PendingRequest): PendingView {
  return {
    requestId: request.requestId,
    kind: request.kind,
    reason: request.reason,
    message: request.message,
    ...(request.call ? { tool: { name: request.call.tool, args: request.call.args } } : {}),
    requestedAt: request.requestedAt,
    deadline: request.deadline,
    onTimeout: request.onTimeout,
    escalated: request.escalated,
    ...(request.approvers?.length ? { approvers: request.approvers } : {}),
    ...(request.kind === "approval" && (requiredOf(request) > 1 || request.approvals?.length)
      ? { approvals: { required: requiredOf(request), given: request.approvals ?? [] } }
      : {}),
    ...(request.editable?.length ? { editable: request.editable } : {}),
    ...(request.selfApproval === false ? { selfApproval: false as const } : {}),
    ...(request.edited ? { edited: request.edited } : {}),
  };
}

export function threadView(state: ThreadState): ThreadView {
  const pending = state.pending.map(pendingView);
  const end = state.end;
  return {
    id: state.id,
    agent: state.agent,
    status: statusOf(state),
    ...(pending[0] ? { pending: pending[0] } : {}),
    pendingRequests: pending,
    ...(end?.status === "done" ? { result: { message: end.message } } : {}),
    ...(end?.status === "failed" ? { error: { code: end.code, message: end.message } } : {}),
    ...(!end && state.lastError && state.consecutiveErrors > 0 ? { error: state.lastError } : {}),
    ...(state.metadata ? { metadata: state.metadata } : {}),
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    lastSeq: state.lastSeq,
    ...(state.parent ? { parent: state.parent, depth: state.depth ?? 1 } : {}),
    ...(state.children ? { children: state.children.map(childView) } : {}),
    ...(state.variant ? { variant: state.variant } : {}),
    ...(state.model ? { model: state.model } : {}),
    ...(state.forkedFrom ? { forkedFrom: state.forkedFrom } : {}),
    ...(state.usage ? { usage: { ...state.usage, totalTokens: state.usage.promptTokens + state.usage.completionTokens } } : {}),
    ...(!end && state.modelRetryAt ? { retryAt: state.modelRetryAt } : {}),
    ...(state.onHumanTimeout ? { onHumanTimeout: state.onHumanTimeout } : {}),
    ...(state.answers ? { answers: state.answers } : {}),
    ...(state.full ? { full: state.full } : {}),
  };
}

function childView(child: ChildRecord): ChildView {
  return { threadId: child.threadId, agent: child.agent, callId: child.callId, status: child.outcome ?? "running", deadline: child.deadline };
}
