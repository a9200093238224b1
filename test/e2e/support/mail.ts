/// <reference types="node" />
/**
 * TEST ONLY: mail in and out of a `wrangler dev` Worker. In: POST a raw RFC 5322 message
 * to miniflare's email trigger. Out: the `send_email` binding writes each sent mail to an
 * .eml file and logs `Email: <path>`; we read the paths from the server output and parse
 * the files with postal-mime, as a mail client would.
 */
import { readFileSync } from "node:fs";
import PostalMime, { type Email } from "postal-mime";

/**
 * The documented local trigger endpoints. wrangler's proxy rewrites `/cdn-cgi/handler/*` to
 * miniflare's `/cdn-cgi/local/*`, which runs the Worker's email() / scheduled() handler.
 */
export const EMAIL_TRIGGER = "/cdn-cgi/handler/email";
export const SCHEDULED_TRIGGER = "/cdn-cgi/handler/scheduled";

export type OutgoingMail = {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  text: string;
  inReplyTo?: string;
  references?: string;
  /** Extra headers, e.g. `Auto-Submitted`. */
  headers?: Record<string, string>;
  /**
   * The verdict Cloudflare Email Routing prepends (Authentication-Results, RFC 8601; its
   * authserv-id is EMAIL_AUTHSERV_ID). Miniflare's local email trigger adds none, so the
   * test plays Email Routing: by default a DMARC pass for the From domain, as a genuine
   * sender's mail gets; a string gives another verdict, `null` none at all.
   */
  authResults?: string | null;
};

/** The DMARC pass Email Routing records for mail genuinely from `from`'s domain. */
export function dmarcPass(from: string): string {
  const address = /<([^<>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
  return `mx.cloudflare.net; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`;
}

/** A plain-text message with CRLF line ends, as an MTA hands it over. */
export function rawMail(m: OutgoingMail): string {
  const verdict = m.authResults === undefined ? dmarcPass(m.from) : m.authResults;
  const headers = [
    ...(verdict === null ? [] : [`Authentication-Results: ${verdict}`]),
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Message-ID: ${m.messageId}`,
    `Date: Mon, 02 Mar 2026 09:00:00 +0000`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
  ];
  return `${headers.join("\r\n")}\r\n\r\n${m.text.replace(/\r?\n/g, "\r\n")}\r\n`;
}

/** Delivers one raw mail to the Worker's email() handler; resolves with miniflare's answer. */
export async function deliver(baseUrl: string, envelope: { from: string; to: string }, raw: string): Promise<{ status: number; text: string }> {
  const query = new URLSearchParams(envelope);
  const response = await fetch(`${baseUrl}${EMAIL_TRIGGER}?${query}`, { method: "POST", body: raw });
  return { status: response.status, text: await response.text() };
}

/** What miniflare's email trigger reports with `?format=json`: the outcome, a setReject reason, and every reply the handler sent. */
export type Handled = { outcome: string; rejectReason?: string; replies: { messageId: string; sender: string; raw: string; parsed: Email }[] };

/** Delivers one raw mail and reads back what the handler did to it, replies (their raw MIME) included. */
export async function deliverJson(baseUrl: string, envelope: { from: string; to: string }, raw: string): Promise<Handled> {
  const query = new URLSearchParams({ ...envelope, format: "json" });
  const response = await fetch(`${baseUrl}${EMAIL_TRIGGER}?${query}`, { method: "POST", body: raw });
  const body = (await response.json()) as Omit<Handled, "replies"> & { replies: { messageId: string; sender: string; raw: string }[] };
  return { ...body, replies: await Promise.all(body.replies.map(async (r) => ({ ...r, parsed: await PostalMime.parse(r.raw) }))) };
}

export type SentMail = { path: string; raw: string; parsed: Email; header(name: string): string | undefined };

// The log line is coloured; strip the escapes before matching the path.
const ANSI = /\u001b\[[0-9;]*m/g;

/** Every mail the Worker has sent so far, in the order wrangler logged them. */
export async function sentMails(output: string): Promise<SentMail[]> {
  const paths = [...output.replace(ANSI, "").matchAll(/^Email: (\S+\.eml)\s*$/gm)].map((m) => m[1] ?? "");
  return Promise.all(
    paths.map(async (path) => {
      const raw = readFileSync(path, "utf8");
      const parsed = await PostalMime.parse(raw);
      const header = (name: string) => parsed.headers.find((h) => h.key === name.toLowerCase())?.value;
      return { path, raw, parsed, header };
    }),
  );
}

/** Polls the server output until a sent mail matches (the outbox sends after the event is logged). */
export async function waitForMail(output: () => string, match: (m: SentMail) => boolean, withinMs = 30_000): Promise<SentMail> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const found = (await sentMails(output())).find(match);
    if (found) return found;
    if (Date.now() > giveUp) throw new Error(`no matching mail sent within ${withinMs} ms; server output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the Worker's email() handler logged, one `{"email": {...}}` JSON line per mail, in order. */
export function emailOutcomes(output: string): Record<string, unknown>[] {
  return output
    .replace(ANSI, "")
    .split("\n")
    .flatMap((line) => {
      const start = line.indexOf('{"email":');
      if (start < 0) return [];
      const parsed = JSON.parse(line.slice(start)) as { email: Record<string, unknown> };
      return [parsed.email];
    });
}
