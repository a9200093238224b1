import { composeEmail, type EmailContent } from "../../channels/email/compose";
import { outboundMessageId } from "../../channels/email/message-id";
import type { SendEmail } from "../../channels/email/send";
import { FULL_NOTIFICATION, pendingView, type OutboxItem, type PendingView, type ThreadState } from "../../core";
import { conversationOf, emailHistory, emailStarter } from "./email-thread";
import { requestReplyTag } from "../../channels/email/reply-address";
import type { ThreadLog } from "../log/thread-log";

/** Email goes out only with a domain to send from. */
export function emailConfigured(env: Env): boolean {
  return Boolean(env.EMAIL_DOMAIN);
}

export type EmailOutboxHost = {
  readonly env: Env;
  readonly log: ThreadLog;
  readonly now: () => number;
  readonly sendEmail: SendEmail;
  withLink(request: PendingView, to: string): Promise<PendingView>;
};

/**
 * Sends one outbox item of the email channel to whoever started the thread: a question,
 * an approval request (with its signed link), an escalation, or the outcome. Throws on
 * failure (the outbox retries); undefined when there is nothing left to send.
 */
export async function sendThreadEmail(host: EmailOutboxHost, item: OutboxItem, state: ThreadState): Promise<{ messageId: string } | undefined> {
  const content = await contentOf(host, item, state);
  if (!content) return undefined;
  const domain = host.env.EMAIL_DOMAIN;
  if (!domain) throw new Error("EMAIL_DOMAIN is not set: email cannot be sent");
  const conversation = conversationOf(emailHistory(host.log.store), state, domain);
  if (!conversation) throw new Error(`thread ${state.id} was not started by email; nobody to write to`);
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  // The seq the thread stands at numbers the mail: it grows with every mail sent, like a
  // count of them would, without reading them all back (the random part makes it unique).
  const messageId = outboundMessageId(state.id, state.lastSeq, random, domain);
  // A request mail gets its own signed reply address, bound to this request and recipient.
  const secret = host.env.HUMAN_LINK_SECRET;
  const replyTag = "request" in content && secret ? await requestReplyTag(secret, state.id, content.request.requestId, conversation.to) : undefined;
  const mail = composeEmail({ ...conversation, ...(replyTag ? { replyTag } : {}) }, content, messageId, new Date(host.now()));
  const sent = await host.sendEmail(host.env, mail);
  // The id the mail really carries is the one replies will quote: log that one.
  const actual = sent?.messageId?.trim();
  return { messageId: actual ? (actual.startsWith("<") ? actual : `<${actual}>`) : messageId };
}

async function contentOf(host: EmailOutboxHost, item: OutboxItem, state: ThreadState): Promise<EmailContent | undefined> {
  if (item.purpose === "result") {
    const end = state.end;
    if (end?.status === "done") return { purpose: "result", status: "done", message: end.message };
    if (end?.status === "failed") return { purpose: "result", status: "failed", message: `${end.code}: ${end.message}` };
    return undefined;
  }
  if (item.purpose === "closed") return undefined; // mail is never updated in place
  const contact = host.env.ESCALATION_CONTACT;
  if (item.requestId === FULL_NOTIFICATION) {
    return state.full ? { purpose: "full", full: state.full, ...(contact ? { escalationContact: contact } : {}) } : undefined;
  }
  const request = state.pending.find((r) => r.requestId === item.requestId);
  if (!request) return undefined; // answered or closed meanwhile
  const to = emailStarter(host.log.store)?.from ?? "email";
  const view = await host.withLink(pendingView(request), to);
  return { purpose: item.purpose, request: view, ...(item.purpose === "escalation" && contact ? { escalationContact: contact } : {}) };
}
