import type { EventBody } from "./events";
import type { RequestId } from "./ids";
import type { JsonObject } from "./json";
import type { ThreadState } from "./state";
import { isApprover, type Principal } from "./principal";

// Inbound commands are checked against the state before anything is appended
// (invariant 7): the answer is either the event to append or a rejection with a code.

export type Rejection = {
  readonly status: 400 | 403 | 404 | 409;
  readonly code: string;
  readonly message: string;
  readonly details?: JsonObject;
};

export type Decision = { readonly ok: true; readonly event: EventBody } | { readonly ok: false; readonly rejection: Rejection };

const accept = (event: EventBody): Decision => ({ ok: true, event });
const reject = (rejection: Rejection): Decision => ({ ok: false, rejection });

function closed(state: ThreadState): Decision | undefined {
  if (!state.end) return undefined;
  return reject({
    status: 409,
    code: "thread_closed",
    message: `Thread ${state.id} is ${state.end.status}; it accepts no more input.`,
    details: { status: state.end.status },
  });
}

export function decideMessage(state: ThreadState, text: string): Decision {
  return closed(state) ?? accept({ type: "user_messaged", data: { text } });
}

export function decidePause(state: ThreadState, reason?: string): Decision {
  if (state.paused && !state.end) return reject({ status: 409, code: "already_paused", message: `Thread ${state.id} is already paused.` });
  return closed(state) ?? accept({ type: "thread_paused", data: reason ? { reason } : {} });
}

export function decideResume(state: ThreadState): Decision {
  const isClosed = closed(state);
  if (isClosed) return isClosed;
  if (!state.paused) return reject({ status: 409, code: "not_paused", message: `Thread ${state.id} is not paused.` });
  return accept({ type: "thread_resumed", data: {} });
}

export function decideCancel(state: ThreadState, reason?: string): Decision {
  return closed(state) ?? accept({ type: "thread_cancelled", data: reason ? { reason } : {} });
}

/** What the log says happened to a request that is no longer open. */
export type ClosedRequest = "answered" | "timed_out" | "withdrawn";

export type HumanAnswer = {
  readonly requestId: RequestId;
  readonly approved?: boolean;
  readonly comment?: string;
  readonly answer?: string;
  /** The verified principal answering; every path that answers must name one (invariant 10). */
  readonly by: Principal;
};

/**
 * A human's answer. `now` is the runtime's clock, passed in: an answer after the
 * deadline loses even if the timer has not fired yet (the caller then appends the
 * timeout first, so the log settles the race).
 */
export function decideResponse(
  state: ThreadState,
  answer: HumanAnswer,
  now: string,
  history: ClosedRequest | undefined,
):
  | Decision
  | { readonly ok: false; readonly expire: RequestId; readonly rejection: Rejection }
  /** Refused, and kept for the audit trail: append `record`, act on nothing. */
  | { readonly ok: false; readonly record: EventBody; readonly rejection: Rejection } {
  const isClosed = closed(state);
  if (isClosed) return isClosed;
  const request = state.pending.find((r) => r.requestId === answer.requestId);
  if (!request) {
    if (history === "answered")
      return reject({ status: 409, code: "already_answered", message: `Request ${answer.requestId} was already answered.` });
    if (history === "timed_out")
      return reject({ status: 409, code: "request_expired", message: `Request ${answer.requestId} timed out before this answer.` });
    if (history === "withdrawn")
      return reject({ status: 409, code: "request_withdrawn", message: `Request ${answer.requestId} is no longer open.` });
    return reject({ status: 404, code: "unknown_request", message: `Thread ${state.id} has no request ${answer.requestId}.` });
  }
  if (Date.parse(now) >= Date.parse(request.deadline)) {
    return {
      ok: false,
      expire: request.requestId,
      rejection: {
        status: 409,
        code: "request_expired",
        message: `Request ${answer.requestId} expired at ${request.deadline}.`,
      },
    };
  }
  if (!isApprover(answer.by, request.approvers)) {
    return {
      ok: false,
      record: {
        type: "human_response_refused",
        data: {
          requestId: request.requestId,
          by: answer.by,
          code: "not_an_approver",
          ...(typeof answer.approved === "boolean" ? { approved: answer.approved } : {}),
        },
      },
      rejection: {
        status: 403,
        code: "not_an_approver",
        message: `${answer.by.kind} ${answer.by.id} may not answer request ${request.requestId}; its approvers are ${request.approvers?.join(", ")}.`,
        details: { approvers: [...(request.approvers ?? [])] },
      },
    };
  }
  if (request.kind === "approval" && typeof answer.approved !== "boolean") {
    return reject({ status: 400, code: "approval_required", message: "This request is an approval: send \"approved\": true or false." });
  }
  if (request.kind === "input" && !answer.answer && !answer.comment) {
    return reject({ status: 400, code: "answer_required", message: "This request is a question: send \"answer\" with the text." });
  }
  return accept({
    type: "human_responded",
    data: {
      requestId: request.requestId,
      ...(answer.approved !== undefined && request.kind === "approval" ? { approved: answer.approved } : {}),
      ...(answer.comment !== undefined ? { comment: answer.comment } : {}),
      ...(answer.answer !== undefined ? { answer: answer.answer } : {}),
      by: answer.by,
    },
  });
}

