import { z } from "zod";
import type { Event } from "../core";
import type { Conversation } from "../channels/email/compose";
import type { ThreadLog } from "./thread-log";

/** What the email trigger records on a thread's events (EventSource.detail of kind "email"). */
export const EmailSourceDetail = z.object({
  from: z.string(),
  to: z.string(),
  messageId: z.string(),
  subject: z.string(),
});
export type EmailSourceDetail = z.infer<typeof EmailSourceDetail>;

/** A thread's email conversation, read from its log: who started it, what was received and sent. */
export type EmailHistory = {
  readonly started?: EmailSourceDetail;
  /** Message-IDs of mail received, oldest first. */
  readonly received: readonly string[];
  /** Message-IDs of mail sent, oldest first, with the request each one carried. */
  readonly sent: readonly { readonly messageId: string; readonly requestId: string }[];
  /** Every Message-ID of the conversation, received or sent, in log order. */
  readonly all: readonly string[];
};

export function emailHistory(log: ThreadLog): EmailHistory {
  let started: EmailSourceDetail | undefined;
  const received: string[] = [];
  const sent: { messageId: string; requestId: string }[] = [];
  const all: string[] = [];
  for (const event of log.store.all()) {
    const detail = inboundDetail(event);
    if (detail) {
      if (event.type === "thread_launched") started = detail;
      received.push(detail.messageId);
      all.push(detail.messageId);
    }
    if (event.type === "notification_sent" && event.data.messageId) {
      sent.push({ messageId: event.data.messageId, requestId: event.data.requestId });
      all.push(event.data.messageId);
    }
  }
  return { ...(started ? { started } : {}), received, sent, all };
}

function inboundDetail(event: Event): EmailSourceDetail | undefined {
  if (event.source?.kind !== "email") return undefined;
  const parsed = EmailSourceDetail.safeParse(event.source.detail);
  return parsed.success ? parsed.data : undefined;
}

/** The conversation outbound mail continues; undefined when the thread was not started by email. */
export function conversationOf(history: EmailHistory, thread: { id: string; agent: string }, domain: string): Conversation | undefined {
  const started = history.started;
  if (!started) return undefined;
  return {
    agent: thread.agent,
    threadId: thread.id,
    domain,
    to: started.from,
    subject: started.subject,
    inReplyTo: history.received.at(-1) ?? started.messageId,
    references: [...new Set(history.all)],
  };
}
