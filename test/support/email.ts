/**
 * TEST ONLY: a ForwardableEmailMessage built from a raw message, as Cloudflare Email
 * Routing hands one to the Worker's email() handler, with everything the handler does
 * to it (setReject, forward, reply) recorded. The handler under test is the real one.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import PostalMime, { type Email } from "postal-mime";
import worker from "./worker";

/** A reply the handler sent through `message.reply()`: envelope, raw MIME, and the parsed mail. */
export type Reply = { from: string; to: string; raw: string; email: Email };

export type Delivery = {
  /** The reason given to setReject (the receiving MTA's bounce). */
  rejected?: string;
  /** Why the sender was told their mail was refused, by bounce or by our reply (its "Why:" line). */
  refused?: string;
  forwarded: string[];
  replies: Reply[];
};

/**
 * The raw MIME of an EmailMessage. Miniflare's `cloudflare:email` EmailMessage (the one the
 * Vitest integration runs) is a plain object that keeps it under this key; workerd's keeps it private.
 */
const MINIFLARE_RAW = "EmailMessage::raw";

async function captured(m: EmailMessage): Promise<Reply> {
  const raw = Reflect.get(m, MINIFLARE_RAW);
  if (typeof raw !== "string") throw new Error("the reply's raw MIME is not readable here (expected miniflare's EmailMessage)");
  return { from: m.from, to: m.to, raw, email: await PostalMime.parse(raw) };
}

/** Header block of a raw message as a Headers object (folded lines unfolded). */
function headersOf(raw: string): Headers {
  const end = raw.search(/\r?\n\r?\n/);
  const block = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const headers = new Headers();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Raw fixtures are written with LF; the wire uses CRLF. */
export const crlf = (raw: string) => raw.replace(/\r?\n/g, "\r\n");

export function emailMessage(raw: string, envelope: { from: string; to: string; rawSize?: number }) {
  const bytes = new TextEncoder().encode(crlf(raw));
  const delivery: Delivery = { forwarded: [], replies: [] };
  const message: ForwardableEmailMessage = {
    from: envelope.from,
    to: envelope.to,
    headers: headersOf(raw),
    raw: new Response(bytes).body as ReadableStream<Uint8Array>,
    rawSize: envelope.rawSize ?? bytes.byteLength,
    canBeForwarded: true,
    setReject(reason: string) {
      delivery.rejected = reason;
      delivery.refused = reason;
    },
    async forward(rcptTo: string) {
      delivery.forwarded.push(rcptTo);
      return { messageId: "<forwarded@test>" };
    },
    async reply(m: EmailMessage | EmailReplyMessageBuilder) {
      if (!("to" in m)) throw new Error("the handler replies with a composed EmailMessage");
      const reply = await captured(m);
      delivery.replies.push(reply);
      delivery.refused = /^Why: (.*)$/m.exec(reply.email.text ?? "")?.[1]?.trim();
      return { messageId: reply.email.messageId ?? "<reply@test>" };
    },
  };
  return { message, delivery };
}

/** Delivers a raw message to the Worker's real email() handler; resolves with what the handler did. */
export async function deliver(
  raw: string,
  envelope: { from: string; to: string; rawSize?: number; authResults?: string | null },
  vars: Partial<Env> = {},
): Promise<Delivery> {
  const { message, delivery } = emailMessage(withAuthResults(raw, envelope), envelope);
  const ctx = createExecutionContext();
  // `vars` overrides configuration for this one delivery (e.g. EMAIL_AUTH "off").
  await worker.email(message, { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return delivery;
}

/**
 * Email Routing prepends its verdicts (Authentication-Results) to what it hands the Worker.
 * By default a test mail gets a DMARC pass for its From domain, as a genuine sender's
 * would; `authResults` gives another verdict, `null` none at all.
 */
export function withAuthResults(raw: string, envelope: { from: string; authResults?: string | null }): string {
  if (envelope.authResults === null) return raw;
  const from = headersOf(raw).get("from") ?? envelope.from;
  const address = /<([^<>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf("@") + 1).trim().toLowerCase();
  const verdict = envelope.authResults ?? `mx.cloudflare.net; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`;
  return `Authentication-Results: ${verdict}\n${raw}`;
}

/** Parses captured outbound MIME the way a mail client would. */
export function parsed(raw: string): Promise<Email> {
  return PostalMime.parse(raw);
}
