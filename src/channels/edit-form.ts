import { canonicalJson, type Json, type JsonObject, type PendingView } from "../core";

// Edit-and-approve on an HTML form (the approval link page and the console): one input per
// editable field, named `edit.<field>`, holding the held value. Strings are edited as text;
// any other value as JSON. The core decides what an edit may change (commands.ts): a crafted
// `edit.<other field>` reaches it and gets field_not_editable.

export const EDIT_PREFIX = "edit.";

export type EditInput = { readonly field: string; readonly name: string; readonly value: string; readonly json: boolean };

export function editInputs(request: PendingView): EditInput[] {
  const args = request.tool?.args ?? {};
  return (request.editable ?? []).map((field) => {
    const held = args[field];
    const json = held !== undefined && typeof held !== "string";
    return { field, name: `${EDIT_PREFIX}${field}`, value: json ? canonicalJson(held) : (held ?? ""), json };
  });
}

/** The fields the form changed, as an edit's `args`; values that did not change are left out. */
export function patchFromForm(request: PendingView, form: Readonly<Record<string, unknown>>): JsonObject {
  const args = request.tool?.args ?? {};
  const patch: Record<string, Json> = {};
  for (const [name, raw] of Object.entries(form)) {
    if (!name.startsWith(EDIT_PREFIX) || typeof raw !== "string") continue;
    const field = name.slice(EDIT_PREFIX.length);
    const held = args[field];
    const value = held !== undefined && typeof held !== "string" ? parseOrText(raw) : raw;
    if (canonicalJson(value) !== canonicalJson(held ?? null)) patch[field] = value;
  }
  return patch;
}

function parseOrText(raw: string): Json {
  try {
    return JSON.parse(raw) as Json;
  } catch {
    return raw; // not JSON: the tool's schema check says what is wrong with it
  }
}

/** "1 of 2 approvals (alice@example.com)" for a quorum; undefined for a lone approval. */
export function quorumLine(request: PendingView): string | undefined {
  const approvals = request.approvals;
  if (!approvals) return undefined;
  const who = approvals.given.map((a) => a.by.id).join(", ");
  const more = approvals.required - approvals.given.length;
  return `${approvals.given.length} of ${approvals.required} approvals${who ? ` (${who})` : ""}; ${more} more needed.`;
}
