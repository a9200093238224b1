import { z } from "zod";
import { canonicalJson, type JsonObject } from "./json";
import { ApproverEntry, type Principal } from "./principal";

// A human's decision on a held call (invariant 13): approve, reject, or edit (approve other
// arguments instead). A tool's policy may ask for several distinct approvers and forbid the
// requester's own approval. Pure facts and checks; reduce.ts and commands.ts apply them.

export const DecisionWord = z.enum(["approve", "reject", "edit"]);
export type DecisionWord = z.infer<typeof DecisionWord>;

/** More would be a committee, not a change board; the schema keeps a typo (`20`) from waiting forever. */
export const MAX_APPROVALS_REQUIRED = 10;

/**
 * A tool's approval policy evaluated on one set of arguments. `required` 0: these arguments
 * need no approval at all (an edit turned production into staging).
 */
export const ApprovalPolicy = z.strictObject({
  required: z.number().int().min(0).max(MAX_APPROVALS_REQUIRED),
  /** false: the principal who launched the thread may not approve or edit its calls. */
  selfApproval: z.boolean(),
  approvers: z.array(ApproverEntry).max(100).optional(),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/** One approval of the arguments a request holds now. */
export type ApprovalRecord = { readonly by: Principal; readonly at: string };

/**
 * Who a principal is, across channels: an address is one person whether it arrives by mail,
 * a link issued to it, the console or an Access identity on the API; a Slack user is its
 * `<team>:<user>`; a credential or console name is that name; a link issued to a channel
 * (not to an address) is that link's recipient only.
 */
export function principalKey(p: Principal): string {
  const id = p.id.toLowerCase();
  if (p.kind === "slack") return `slack:${id}`;
  if (id.includes("@")) return `address:${id}`;
  if (p.kind === "link" || p.kind === "email") return `${p.kind}:${id}`;
  return `name:${id}`;
}

export function samePrincipal(a: Principal, b: Principal | undefined): boolean {
  return b !== undefined && principalKey(a) === principalKey(b);
}

/** What a human_responded event decided: old logs carry only `approved` (or an answer). */
export function decisionOf(data: { readonly decision?: DecisionWord; readonly approved?: boolean }): DecisionWord | undefined {
  if (data.decision) return data.decision;
  if (data.approved === true) return "approve";
  if (data.approved === false) return "reject";
  return undefined;
}

/** The request's policy as logged; requests logged before quorums need one approval and allow the requester's. */
export function requiredOf(request: { readonly required?: number }): number {
  return request.required ?? 1;
}

/**
 * An edit is a patch over the held arguments. A field outside `editable` is refused unless
 * it repeats the held value (a client may send the whole object back).
 */
export function editViolations(held: JsonObject, patch: JsonObject, editable: readonly string[] | undefined): string[] {
  const allowed = new Set(editable ?? []);
  return Object.keys(patch).filter((field) => !allowed.has(field) && canonicalJson(patch[field] ?? null) !== canonicalJson(held[field] ?? null));
}

export function applyEdit(held: JsonObject, patch: JsonObject): JsonObject {
  return { ...held, ...patch };
}

/** The fields whose values differ, for the model's context and the audit trail. */
export function changedFields(before: JsonObject, after: JsonObject): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null));
}
