import type { EventBody } from "./events";
import type { RequestId } from "./ids";
import type { JsonObject } from "./json";
import type { ThreadState } from "./state";
import { isApprover, type Principal } from "./principal";
import type { EventOf } from "./events";
import type { PendingRequest } from "./state";
import { canonicalJson } from "./json";
import { applyEdit, changedFields, decisionOf, editViolations, requiredOf, samePrincipal, type ApprovalPolicy, type DecisionWord } from "./decision";

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
  /** The shorthand of decision approve (true) or reject (false). */
  readonly approved?: boolean;
  /** approve, reject, or edit: approve `args` instead (invariant 13). */
  readonly decision?: DecisionWord;
  /** decision "edit": the fields to change, over the held arguments. */
  readonly args?: JsonObject;
  readonly comment?: string;
  readonly answer?: string;
  /** The verified principal answering; every path that answers must name one (invariant 10). */
  readonly by: Principal;
};

/**
 * Checks edited arguments against the tool's schema and evaluates its approval policy on
 * them (the runtime's: the schema and the settings live there). Deterministic for one log.
 */
export type EditCheck = (
  tool: string,
  args: JsonObject,
) => { readonly ok: true; readonly policy: ApprovalPolicy } | { readonly ok: false; readonly message: string; readonly details?: JsonObject };

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
  checkEdit?: EditCheck,
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
          ...(answer.decision ? { decision: answer.decision } : {}),
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
  if (request.kind === "input") {
    if (answer.decision !== undefined || answer.args !== undefined) {
      return reject({ status: 400, code: "not_an_approval", message: `Request ${request.requestId} is a question: send "answer", not a decision.` });
    }
    if (!answer.answer && !answer.comment) {
      return reject({ status: 400, code: "answer_required", message: "This request is a question: send \"answer\" with the text." });
    }
  }
  const decided = request.kind === "approval" ? decideApproval(state, request, answer, checkEdit) : { ok: true as const, extra: {} };
  if (!decided.ok) return decided;
  return accept({
    type: "human_responded",
    data: {
      requestId: request.requestId,
      ...decided.extra,
      ...(answer.comment !== undefined ? { comment: answer.comment } : {}),
      ...(answer.answer !== undefined ? { answer: answer.answer } : {}),
      by: answer.by,
    },
  });
}

const refuse = (rejection: Rejection) => ({ ok: false as const, rejection });

type ApprovalFields = Pick<EventOf<"human_responded">["data"], "approved" | "decision" | "args" | "policy">;

/**
 * An answer to an approval (invariant 13): which decision, whether this principal may give
 * it, and for an edit the checked arguments and the policy on them. Rejections append nothing.
 */
function decideApproval(
  state: ThreadState,
  request: PendingRequest,
  answer: HumanAnswer,
  checkEdit: EditCheck | undefined,
): { readonly ok: true; readonly extra: ApprovalFields } | { readonly ok: false; readonly rejection: Rejection } {
  const word = answer.decision ?? (answer.approved === true ? "approve" : answer.approved === false ? "reject" : undefined);
  if (!word) return refuse({ status: 400, code: "approval_required", message: "This request is an approval: send \"decision\" (approve, reject, edit) or \"approved\": true or false." });
  if (answer.approved !== undefined && answer.approved !== (word !== "reject")) {
    return refuse({ status: 400, code: "conflicting_decision", message: `"approved": ${answer.approved} contradicts "decision": "${word}".` });
  }
  if (answer.args !== undefined && word !== "edit") {
    return refuse({ status: 400, code: "args_need_edit", message: `"args" come only with "decision": "edit".` });
  }
  if (word === "reject") return { ok: true, extra: { approved: false, ...(answer.decision ? { decision: word } : {}) } };
  if (request.selfApproval === false && samePrincipal(answer.by, state.launchedBy)) {
    return refuse({
      status: 403,
      code: "self_approval_refused",
      message: `${answer.by.kind} ${answer.by.id} launched this thread; its policy needs someone else to ${word} ${request.call?.tool ?? "the call"}.`,
    });
  }
  const held = request.call;
  if (word === "edit") {
    if (!held || !request.editable?.length) {
      return refuse({ status: 400, code: "edit_not_allowed", message: `${held?.tool ?? "This call"} declares no editable fields: approve or reject it.` });
    }
    if (!answer.args) return refuse({ status: 400, code: "args_required", message: `"decision": "edit" needs "args": the fields to change (${request.editable.join(", ")}).` });
    const refused = editViolations(held.args, answer.args, request.editable);
    if (refused.length > 0) {
      return refuse({
        status: 400,
        code: "field_not_editable",
        message: `${held.tool} lets a human change only ${request.editable.join(", ")}; not ${refused.join(", ")}.`,
        details: { fields: refused, editable: [...request.editable] },
      });
    }
    const args = applyEdit(held.args, answer.args);
    // Nothing changed: that is a plain approval (and it must not void the others).
    if (changedFields(held.args, args).length > 0) {
      const checked = checkEdit ? checkEdit(held.tool, args) : { ok: false as const, message: "Edits cannot be checked here." };
      if (!checked.ok) {
        return refuse({ status: 400, code: "invalid_arguments", message: checked.message, ...(checked.details ? { details: checked.details } : {}) });
      }
      return { ok: true, extra: { approved: true, decision: "edit", args, policy: checked.policy } };
    }
  }
  if ((request.approvals ?? []).some((a) => samePrincipal(answer.by, a.by))) {
    return refuse({
      status: 409,
      code: "already_approved",
      message: `${answer.by.kind} ${answer.by.id} already approved request ${request.requestId}; it needs ${requiredOf(request)} different approvers.`,
    });
  }
  return { ok: true, extra: { approved: true, ...(answer.decision ? { decision: "approve" as const } : {}) } };
}

/** A retry under the same idempotency key must carry the same answer as the logged one. */
export function sameAnswer(logged: EventOf<"human_responded">["data"], answer: HumanAnswer): boolean {
  const word = answer.decision === "edit" ? "edit" : (answer.decision ?? (answer.approved === undefined ? undefined : answer.approved ? "approve" : "reject"));
  const loggedWord = decisionOf(logged);
  const sameWord = word === loggedWord || (word === "edit" && loggedWord === "approve" && logged.args === undefined);
  const patch = answer.args ?? {};
  const samePatch = Object.keys(patch).every((k) => canonicalJson(patch[k] ?? null) === canonicalJson(logged.args?.[k] ?? null) || logged.args === undefined);
  return (
    logged.requestId === answer.requestId &&
    sameWord &&
    samePatch &&
    logged.comment === answer.comment &&
    logged.answer === answer.answer &&
    samePrincipal(answer.by, logged.by)
  );
}

