import { autoReply } from "./compose";
import type { OutboundEmail } from "./send";

/** A refused inbound mail, as the reply that explains the refusal needs it. */
export type Refusal = {
  /** The agent the mail was addressed to; the reply comes from `<agent>@<domain>`. */
  readonly agent: string;
  readonly domain: string;
  /** The authenticated sender (the DMARC-aligned From address). */
  readonly to: string;
  readonly subject: string;
  /** The refused mail's own Message-ID and References header, for In-Reply-To and References. */
  readonly messageId: string;
  readonly references: string;
  /** Why it was refused, in words for the sender. */
  readonly reason: string;
};

/**
 * The mail that tells a sender why their mail was refused. It answers the refused mail
 * (In-Reply-To, and References with the refused mail's id appended, as Email Routing's
 * `reply()` requires) and is marked as an automatic reply, so it is never answered in turn.
 */
export function composeRefusal(r: Refusal, messageId: string, date: Date): OutboundEmail {
  const text = [
    `Your mail to ${r.agent}@${r.domain} was refused; nothing was done with it.`,
    "",
    `Why: ${r.reason}`,
    "",
    "--",
    `${r.agent} (automatic reply; answers to it are not read)`,
  ].join("\n");
  const references = `${r.references} ${r.messageId}`.trim();
  return autoReply({ agent: r.agent, domain: r.domain, to: r.to, subject: r.subject, messageId, date, inReplyTo: r.messageId, references }, text);
}
