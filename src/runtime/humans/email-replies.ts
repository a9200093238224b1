import { RequestId, type EventSource, type HumanAnswer, type PendingRequest, type Principal, type ThreadView } from "../../core";
import { replyMac, sameMac } from "../../channels/email/reply-address";
import { interpretReply } from "../../channels/email/reply";
import { emailStarter } from "./email-thread";
import type { ThreadLog } from "../log/thread-log";
import type { EmailReply, EmailReplyOutcome, Result } from "../thread-rpc";

type Outcome = Result<{ readonly outcome: EmailReplyOutcome; readonly thread?: ThreadView }>;
type Answered = Result<{ thread: ThreadView; duplicate: boolean }>;

export type EmailReplyHost = {
  readonly log: ThreadLog;
  /** HUMAN_LINK_SECRET: the key of the signed reply addresses. */
  readonly secret: string | undefined;
  respond(answer: HumanAnswer, key: string, source: EventSource): Promise<Answered>;
  message(text: string, key: string, source: EventSource): Promise<Answered>;
};

const refuse = (status: 403 | 409, code: string, message: string): Outcome => ({ ok: false, rejection: { status, code, message } });

/**
 * Applies an email reply inside the thread object (invariant 10). Only mail to a request's
 * own signed reply address answers that request, and only from the recipient it was sent
 * to or a declared approver. Mail to the bare plus address (or routed by In-Reply-To) is a
 * user message, and only from whoever started the thread by email, and only while no
 * request is open (a message would otherwise answer an open question). One key covers
 * both shapes, so a duplicate delivery appends nothing even after the request closed.
 */
export async function applyEmailReply(host: EmailReplyHost, reply: EmailReply, source: EventSource): Promise<Outcome> {
  const { store } = host.log;
  if (store.byKey(`response:${reply.key}`) || store.byKey(`message:${reply.key}`)) return { ok: true, value: { outcome: "duplicate" } };
  const state = host.log.state;
  if (!state) return { ok: false, rejection: { status: 404, code: "thread_not_found", message: "No thread here." } };
  const starter = emailStarter(store)?.from;
  const by: Principal = { kind: "email", id: reply.sender, verifiedBy: reply.verifiedBy };

  if (reply.mac === undefined) {
    if (!starter || starter !== reply.sender) {
      return refuse(403, "not_the_requester", `Only ${starter ? "whoever started this thread by email" : "the API"} may write to thread ${state.id}; ${reply.sender} did not start it.`);
    }
    if (state.pending.length > 0) {
      return refuse(409, "reply_to_request_address", "This thread is waiting for an answer: reply to the request's own mail (its Reply-To address) to answer it.");
    }
    const result = await host.message(reply.text, reply.key, source);
    return result.ok ? { ok: true, value: { outcome: "messaged", thread: result.value.thread } } : result;
  }

  const request = await requestOf(host.secret, state.id, state.pending, starter, reply.mac);
  if (!request) return refuse(403, "unknown_reply_address", "This reply address belongs to no open request of this thread (it was answered, expired or never issued).");
  // The request mail went to the starter; anyone else must be one of its named approvers.
  const named = (request.approvers?.length ?? 0) > 0;
  if (reply.sender !== starter && !named) {
    return refuse(403, "not_the_recipient", `Request ${request.requestId} was sent to its recipient only; ${reply.sender} may not answer it.`);
  }
  const action = interpretReply([{ requestId: request.requestId, kind: request.kind }], reply.text, request.requestId);
  if (action.kind === "message") {
    if (reply.sender !== starter) return refuse(409, "unclear_answer", 'Start your reply with "approve" or "reject".');
    const result = await host.message(action.text, reply.key, source);
    return result.ok ? { ok: true, value: { outcome: action.unclear ? "unclear_kept_as_message" : "messaged", thread: result.value.thread } } : result;
  }
  const answer: HumanAnswer = {
    requestId: RequestId.parse(action.requestId),
    ...(action.approved !== undefined ? { approved: action.approved } : {}),
    ...(action.comment !== undefined ? { comment: action.comment } : {}),
    ...(action.answer !== undefined ? { answer: action.answer } : {}),
    by,
  };
  const result = await host.respond(answer, reply.key, source);
  if (!result.ok) return result;
  const outcome = action.approved === true ? "approved" : action.approved === false ? "rejected" : "answered";
  return { ok: true, value: { outcome, thread: result.value.thread } };
}

/** The open request whose signed reply address carries this mac (every one is checked, no early exit on the comparison itself). */
async function requestOf(
  secret: string | undefined,
  threadId: string,
  pending: readonly PendingRequest[],
  recipient: string | undefined,
  mac: string,
): Promise<PendingRequest | undefined> {
  if (!secret || !recipient) return undefined;
  let found: PendingRequest | undefined;
  for (const request of pending) {
    if (sameMac(await replyMac(secret, threadId, request.requestId, recipient), mac) && !found) found = request;
  }
  return found;
}
