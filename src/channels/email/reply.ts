// What a human's email reply means for a thread (the email channel's inbound half).
// Pure: the caller passes the open requests and the cleaned text, and gets back the one
// thing to append.

export type ReplyDecision = { readonly approved: boolean; readonly comment: string };

const APPROVE = new Set(["approve", "approved", "yes", "lgtm"]);
const REJECT = new Set(["reject", "rejected", "deny", "denied", "no"]);

/**
 * An approval by its first word: approve / approved / yes / lgtm, or reject / rejected /
 * deny / denied / no (any case, trailing punctuation ignored). The rest is the comment.
 * Anything else is unclear and gives undefined: we never guess an approval.
 */
export function parseDecision(text: string): ReplyDecision | undefined {
  const match = /^\s*([A-Za-z]+)[.,!:;]*(?=\s|$)([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const word = (match[1] ?? "").toLowerCase();
  const comment = (match[2] ?? "").replace(/^[\s,.:;!-]+/, "").trim();
  if (APPROVE.has(word)) return { approved: true, comment };
  if (REJECT.has(word)) return { approved: false, comment };
  return undefined;
}

export type OpenRequest = { readonly requestId: string; readonly kind: "approval" | "input" };

export type ReplyAction =
  | { readonly kind: "respond"; readonly requestId: string; readonly approved?: boolean; readonly comment?: string; readonly answer?: string }
  /** Recorded as a user message. `unclear` names an approval the text did not clearly answer. */
  | { readonly kind: "message"; readonly text: string; readonly unclear?: string };

/**
 * The request a reply answers is the one whose notification it replied to, else the
 * oldest open one. An approval needs a clear first word; an unclear reply is kept as a
 * user message (nothing is lost, the model sees it) and the approval stays open.
 */
export function interpretReply(open: readonly OpenRequest[], text: string, repliedTo?: string): ReplyAction {
  const request = open.find((r) => r.requestId === repliedTo) ?? open[0];
  if (!request) return { kind: "message", text };
  if (request.kind === "input") return { kind: "respond", requestId: request.requestId, answer: text };
  const decision = parseDecision(text);
  if (!decision) return { kind: "message", text, unclear: request.requestId };
  return {
    kind: "respond",
    requestId: request.requestId,
    approved: decision.approved,
    ...(decision.comment ? { comment: decision.comment } : {}),
  };
}
