import { EmailMessage } from "cloudflare:email";
import { composeRefusal, type Refusal } from "../../channels/email/refusal";

/** Email Routing refuses to reply to a mail whose References list is this long (a loop guard). */
const MAX_REFERENCES_REPLYABLE = 100;

/** A refused mail whose sender was authenticated: who to answer, from which agent, about what. */
export type Answerable = Omit<Refusal, "messageId" | "references" | "reason">;

/** How a refusal reached its sender: our own reply, or the receiving MTA's bounce (setReject), and why. */
export type RefusalAnswer = { readonly by: "reply" } | { readonly by: "bounce"; readonly why: string };

/**
 * Tells the sender of a refused mail why. Only an authenticated sender (the caller passes
 * `refusal` only after a DMARC pass aligned with From) gets a reply we compose, through
 * Email Routing's `message.reply()`: a mail that failed authentication may carry a forged
 * From, and a reply would send our mail to whoever was forged (backscatter). Those, and
 * every mail we must not or cannot answer, get `setReject(reason)`, which the sending
 * server turns into a bounce to its own user.
 */
export async function answerRefusal(message: ForwardableEmailMessage, reason: string, refusal: Answerable | undefined, now: Date): Promise<RefusalAnswer> {
  if (!refusal) return bounce(message, reason, "the sender is not authenticated");
  const why = notReplyable(message, refusal);
  if (why) return bounce(message, reason, why);
  const messageId = message.headers.get("message-id")?.trim() ?? "";
  const references = (message.headers.get("references") ?? "").replace(/\s+/g, " ").trim();
  const ours = `<refused-${crypto.randomUUID()}@${refusal.domain}>`;
  const mail = composeRefusal({ ...refusal, messageId, references, reason }, ours, now);
  try {
    await message.reply(new EmailMessage(mail.from, message.from, mail.raw));
    return { by: "reply" };
  } catch (error) {
    // Email Routing has rules of its own (e.g. the sender's DMARC as it sees it): its refusal is not ours to hide.
    return bounce(message, reason, `reply() failed: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`);
  }
}

/** Why this mail must not get a reply from us, if it must not. */
function notReplyable(message: ForwardableEmailMessage, refusal: { readonly to: string; readonly domain: string }): string | undefined {
  const header = (name: string) => message.headers.get(name)?.trim();
  // Never write to ourselves: a mail "from" our own domain answered by us could loop.
  if (refusal.to.toLowerCase().endsWith(`@${refusal.domain.toLowerCase()}`)) return "the sender is this service's own domain";
  const suppress = header("x-auto-response-suppress")?.toLowerCase();
  if (suppress && suppress !== "none") return `the sender asked for no automatic replies (X-Auto-Response-Suppress: ${suppress})`;
  if (!header("message-id")) return "the mail has no Message-ID to reply to";
  if ((header("references")?.match(/</g)?.length ?? 0) >= MAX_REFERENCES_REPLYABLE) return `the mail's References list has ${MAX_REFERENCES_REPLYABLE} or more entries (a loop guard)`;
  return undefined;
}

function bounce(message: ForwardableEmailMessage, reason: string, why: string): RefusalAnswer {
  message.setReject(reason);
  return { by: "bounce", why };
}
