import { FULL_NOTIFICATION, type NotificationPurpose, type PendingView, type ThreadFull } from "../core";

/**
 * What every channel carries to a human: the request, where it lives, and how to answer;
 * or, for a thread that reached its cap on events, that it is full (an escalation).
 */
export type Notification = {
  readonly purpose: NotificationPurpose;
  readonly thread: { readonly id: string; readonly agent: string };
  /** Signed approval-page link, when HUMAN_LINK_SECRET is set. */
  readonly link?: string;
  /** Who to escalate to (ESCALATION_CONTACT), for escalations. */
  readonly escalationContact?: string;
} & ({ readonly request: PendingView; readonly full?: never } | { readonly full: ThreadFull; readonly request?: never });

/** What a receiver de-duplicates on: retries of one notification share it. */
export function deliveryId(n: Notification): string {
  return `${n.thread.id}:${n.request?.requestId ?? FULL_NOTIFICATION}:${n.purpose}`;
}

export type Channel = {
  readonly name: string;
  /** Throws on failure; the outbox turns that into a notification_failed event and retries. */
  send(notification: Notification, fetcher: typeof fetch): Promise<void>;
};

/** One line a person can read in a chat client or a mail subject. */
export function summary(n: Notification): string {
  const prefix = n.purpose === "escalation" ? `ESCALATION${n.escalationContact ? ` for ${n.escalationContact}` : ""}: ` : "";
  if (n.full) return `${prefix}${fullSentence(n.thread.id, n.full)} (agent ${n.thread.agent})`;
  const what =
    n.request.kind === "approval" && n.request.tool
      ? `Approval needed: ${n.request.tool.name} ${JSON.stringify(n.request.tool.args)}`
      : `Question: ${n.request.message}`;
  return `${prefix}${what} (agent ${n.thread.agent}, thread ${n.thread.id}, answer by ${n.request.deadline})${n.link ? ` ${n.link}` : ""}`;
}

/** What a full thread's escalation says, on every channel. */
export function fullSentence(threadId: string, full: ThreadFull): string {
  return `Thread ${threadId} reached its cap of ${full.cap} events at event ${full.seq} (${full.at}): it accepts no more messages or answers. Fork it or cancel it.`;
}
