import { RequestId, type EventSource, type HumanAnswer, type ThreadView } from "../core";
import { interpretReply } from "../triggers/email/reply";
import { emailHistory } from "./email-thread";
import type { ThreadLog } from "./thread-log";
import type { Result } from "./thread-object";

/** A human's email to an existing thread, as the email trigger hands it over. */
export type EmailReply = {
  /** Idempotency key derived from the Message-ID: a duplicate delivery appends nothing. */
  readonly key: string;
  /** The cleaned text (quoted history and signature removed). */
  readonly text: string;
  /** In-Reply-To and References: which of our mails it answers. */
  readonly repliesTo: readonly string[];
  /** Recorded as `by` on an answer, e.g. "email:alice@example.com". */
  readonly by: string;
};

export type EmailReplyOutcome = "approved" | "rejected" | "answered" | "messaged" | "unclear_kept_as_message" | "duplicate";

type Outcome = Result<{ readonly outcome: EmailReplyOutcome; readonly thread?: ThreadView }>;
type Answered = Result<{ thread: ThreadView; duplicate: boolean }>;

export type EmailReplyHost = {
  readonly log: ThreadLog;
  respond(answer: HumanAnswer, key: string, source: EventSource): Promise<Answered>;
  message(text: string, key: string, source: EventSource): Promise<Answered>;
};

/**
 * Applies an email reply inside the thread object: it answers the open request whose
 * mail it replied to (else the oldest open one), or becomes a user message. One key
 * covers both shapes, so a duplicate delivery appends nothing even after the request closed.
 */
export async function applyEmailReply(host: EmailReplyHost, reply: EmailReply, source: EventSource): Promise<Outcome> {
  const { store } = host.log;
  if (store.byKey(`response:${reply.key}`) || store.byKey(`message:${reply.key}`)) return { ok: true, value: { outcome: "duplicate" } };
  const state = host.log.state;
  if (!state) return { ok: false, rejection: { status: 404, code: "thread_not_found", message: "No thread here." } };
  const repliedTo = emailHistory(host.log).sent.find((s) => reply.repliesTo.includes(s.messageId))?.requestId;
  const action = interpretReply(
    state.pending.map((r) => ({ requestId: r.requestId, kind: r.kind })),
    reply.text,
    repliedTo,
  );
  if (action.kind === "message") {
    const result = await host.message(action.text, reply.key, source);
    return result.ok ? { ok: true, value: { outcome: action.unclear ? "unclear_kept_as_message" : "messaged", thread: result.value.thread } } : result;
  }
  const answer: HumanAnswer = {
    requestId: RequestId.parse(action.requestId),
    ...(action.approved !== undefined ? { approved: action.approved } : {}),
    ...(action.comment !== undefined ? { comment: action.comment } : {}),
    ...(action.answer !== undefined ? { answer: action.answer } : {}),
    by: reply.by,
  };
  const result = await host.respond(answer, reply.key, source);
  if (!result.ok) return result;
  const outcome = action.approved === true ? "approved" : action.approved === false ? "rejected" : "answered";
  return { ok: true, value: { outcome, thread: result.value.thread } };
}
