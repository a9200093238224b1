import { EmailMessage } from "cloudflare:email";

/** The reply channel of threads started by email (src/triggers/email): requests and the outcome go back by mail. */
export const EMAIL_CHANNEL = "email";

/** One composed mail, ready for the wire. */
export type OutboundEmail = {
  /** Envelope sender (our agent's address). */
  readonly from: string;
  /** Envelope recipient. */
  readonly to: string;
  /** The whole RFC 5322 message. */
  readonly raw: string;
  readonly messageId: string;
};

/**
 * Sends one mail; throws on failure (the outbox retries). Resolves with the Message-ID the
 * mail really went out with when the service assigns its own (Cloudflare's binding returns
 * it; local `wrangler dev` replaces ours). Injectable: tests capture mail instead.
 */
export type SendEmail = (env: Env, mail: OutboundEmail) => Promise<{ readonly messageId?: string } | void>;

/** Production: the `send_email` binding named EMAIL (wrangler.toml `[[send_email]]`). */
export const sendWithBinding: SendEmail = async (env, mail) => {
  const result = await env.EMAIL.send(new EmailMessage(mail.from, mail.to, mail.raw));
  return { messageId: result.messageId };
};
