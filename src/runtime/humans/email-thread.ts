import { z } from "zod";
import type { Event } from "../../core";
import type { Conversation } from "../../channels/email/compose";
import type { EventStore } from "../log/event-store";

/** What the email trigger records on a thread's events (EventSource.detail of kind "email"). */
export const EmailSourceDetail = z.object({
  from: z.string(),
  to: z.string(),
  messageId: z.string(),
  subject: z.string(),
});
export type EmailSourceDetail = z.infer<typeof EmailSourceDetail>;

/**
 * Mail clients nest at most 20 References (compose.ts keeps the newest 20); reading twice
 * as many mail events leaves room for ids that repeat, and keeps the read bounded however
 * long the conversation (issue 15: no operation reads the whole log).
 */
const TAIL = 40;

/** A thread's email conversation, from its log's indexes: who started it, the last mail received, the newest ids. */
export type EmailHistory = {
  readonly started?: EmailSourceDetail;
  /** Message-ID of the newest mail received. */
  readonly lastReceived?: string;
  /** The newest Message-IDs of the conversation, received or sent, distinct, in log order. */
  readonly recent: readonly string[];
};

/** Who started the thread by email, if anyone: the launch is always the first event. */
export function emailStarter(store: EventStore): EmailSourceDetail | undefined {
  const first = store.first();
  return first?.type === "thread_launched" ? inboundDetail(first) : undefined;
}

export function emailHistory(store: EventStore): EmailHistory {
  const started = emailStarter(store);
  const last = store.lastMailIn();
  const lastReceived = last && inboundDetail(last)?.messageId;
  const recent: string[] = [];
  for (const event of store.mailTail(TAIL)) {
    const id = inboundDetail(event)?.messageId ?? (event.type === "notification_sent" ? event.data.messageId : undefined);
    if (id) recent.push(id);
  }
  return { ...(started ? { started } : {}), ...(lastReceived ? { lastReceived } : {}), recent: [...new Set(recent)] };
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
    inReplyTo: history.lastReceived ?? started.messageId,
    references: history.recent,
  };
}
