import type { NotificationPurpose, PendingView } from "../core";

/** What every channel carries to a human: the request, where it lives, and how to answer. */
export type Notification = {
  readonly purpose: NotificationPurpose;
  readonly thread: { readonly id: string; readonly agent: string };
  readonly request: PendingView;
  /** Signed approval-page link, when HUMAN_LINK_SECRET is set. */
  readonly link?: string;
  /** Who to escalate to (ESCALATION_CONTACT), for escalations. */
  readonly escalationContact?: string;
};

export type Channel = {
  readonly name: string;
  /** Throws on failure; the outbox turns that into a notification_failed event and retries. */
  send(notification: Notification, fetcher: typeof fetch): Promise<void>;
};

/** One line a person can read in a chat client or a mail subject. */
export function summary(n: Notification): string {
  const what =
    n.request.kind === "approval" && n.request.tool
      ? `Approval needed: ${n.request.tool.name} ${JSON.stringify(n.request.tool.args)}`
      : `Question: ${n.request.message}`;
  const prefix = n.purpose === "escalation" ? `ESCALATION${n.escalationContact ? ` for ${n.escalationContact}` : ""}: ` : "";
  return `${prefix}${what} (agent ${n.thread.agent}, thread ${n.thread.id}, answer by ${n.request.deadline})${n.link ? ` ${n.link}` : ""}`;
}
