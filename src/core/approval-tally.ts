import type { EventOf } from "./events";
import type { JsonObject } from "./json";
import { decisionOf, requiredOf, samePrincipal } from "./decision";
import type { Principal } from "./principal";
import type { PendingRequest } from "./state";

// How one human_responded counts toward an approval request (invariant 13). Pure: reduce.ts
// applies the outcome to the thread. The admission (commands.ts) refuses whatever this
// ignores, so an ignored answer only ever comes from a hand-written or raced log.

export type Tally =
  /** Changes nothing: a second approval by the same person, or one the policy forbids. */
  | { readonly kind: "ignored" }
  /** Ends the request without running the call (or, without a call, just ends it). */
  | { readonly kind: "rejected" }
  /** Counted; more approvals are needed. The request (and, after an edit, the call's arguments) changed. */
  | { readonly kind: "open"; readonly request: PendingRequest }
  /** Enough distinct approvals of exactly `args`: the call may run with them. */
  | { readonly kind: "approved"; readonly args: JsonObject; readonly edited?: PendingRequest["edited"] };

export function tally(request: PendingRequest, launchedBy: Principal | undefined, event: EventOf<"human_responded">): Tally {
  const call = request.call;
  const decision = decisionOf(event.data);
  const by = event.data.by;
  // Logs before decisions closed an approval on any answer, as a rejection unless `approved`.
  if (!call || decision === undefined || decision === "reject") return { kind: "rejected" };
  if (request.selfApproval === false && samePrincipal(by, launchedBy)) return { kind: "ignored" };
  const approval = { by, at: event.at };
  if (decision === "edit" && event.data.args) {
    const policy = event.data.policy;
    // An edit is the editor's approval of the new arguments; approvals of the old ones are void.
    const edited = { originalArgs: request.edited?.originalArgs ?? call.args, by };
    const required = policy ? policy.required : requiredOf(request);
    if (required <= 1) return { kind: "approved", args: event.data.args, edited };
    const { approvers: _old, ...rest } = request;
    return {
      kind: "open",
      request: {
        ...rest,
        call: { ...call, args: event.data.args },
        approvals: [approval],
        edited,
        required,
        ...(policy ? { selfApproval: policy.selfApproval } : {}),
        ...(policy ? (policy.approvers?.length ? { approvers: policy.approvers } : {}) : request.approvers ? { approvers: request.approvers } : {}),
      },
    };
  }
  const given = request.approvals ?? [];
  if (given.some((a) => samePrincipal(by, a.by))) return { kind: "ignored" };
  const approvals = [...given, approval];
  if (approvals.length >= requiredOf(request)) {
    return { kind: "approved", args: call.args, ...(request.edited ? { edited: request.edited } : {}) };
  }
  return { kind: "open", request: { ...request, approvals } };
}
