import PostalMime, { type Email } from "postal-mime";
import { describeAttachments, htmlToText, stripQuotedAndSignature, truncate, type AttachmentInfo } from "./text";
import { sha256Hex } from "../../hmac";
import { messageIds } from "./address";

/**
 * Why a mail must never start or feed a thread, judged from its headers alone (before
 * the body is read). Auto-replies and bounces are dropped silently: answering or
 * rejecting them is how mail loops start (RFC 3834).
 */
export function automatedReason(envelopeFrom: string, headers: Headers): string | undefined {
  const header = (name: string) => headers.get(name)?.trim().toLowerCase();
  const autoSubmitted = header("auto-submitted");
  if (autoSubmitted && autoSubmitted !== "no") return `auto-submitted: ${autoSubmitted}`;
  if (headers.has("x-autoreply") || headers.has("x-autorespond")) return "x-autoreply header";
  const precedence = header("precedence");
  if (precedence && ["bulk", "auto_reply", "junk"].includes(precedence)) return `precedence: ${precedence}`;
  const from = envelopeFrom.trim().toLowerCase();
  if (from === "" || from === "<>") return "empty envelope sender (a bounce)";
  if (/^(mailer-daemon|postmaster)@/.test(from)) return `bounce from ${from}`;
  if (header("return-path") === "<>") return "empty Return-Path (a bounce)";
  if (/^multipart\/report\b/.test(header("content-type") ?? "")) return "delivery report (multipart/report)";
  return undefined;
}

/** What the runtime keeps of an inbound mail. */
export type InboundMail = {
  /**
   * With angle brackets. When the mail has none: a hash of the envelope sender and the raw
   * bytes, so a redelivery still matches but two senders' identical mails stay apart.
   */
  readonly messageId: string;
  readonly subject: string;
  /** The new text only: quoted history and signature removed, truncated for the model. */
  readonly text: string;
  readonly attachments: readonly AttachmentInfo[];
  readonly inReplyTo: readonly string[];
  readonly references: readonly string[];
  /** The From header's address (lowercased); the envelope sender may differ. */
  readonly from?: string;
  /** Authentication-Results and ARC-Authentication-Results headers, topmost first (as the receiving service prepended them). */
  readonly authResults: readonly { readonly name: string; readonly value: string }[];
};

/** Parses a raw mail; throws (postal-mime's limits: MIME nesting, header size) on mail it cannot read. */
export async function parseMail(raw: Uint8Array, envelopeFrom = ""): Promise<InboundMail> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  const messageId = messageIds(email.messageId)[0] ?? `<sha256.${(await sha256Hex(concat(envelopeFrom.toLowerCase(), raw))).slice(0, 40)}@no-message-id>`;
  const attachments = email.attachments.map((a) => ({
    filename: a.filename ?? "(unnamed)",
    mimeType: a.mimeType,
    bytes: byteLength(a.content),
  }));
  const from = email.from && "address" in email.from && email.from.address ? email.from.address.toLowerCase() : undefined;
  return {
    messageId,
    subject: clipSubject((email.subject ?? "").trim()),
    text: truncate(stripQuotedAndSignature(bodyText(email))),
    attachments,
    inReplyTo: messageIds(email.inReplyTo),
    references: messageIds(email.references),
    ...(from ? { from } : {}),
    authResults: email.headers
      .filter((h) => h.key === "authentication-results" || h.key === "arc-authentication-results")
      .slice(0, 20)
      .map((h) => ({ name: h.key, value: h.value.slice(0, 4000) })),
  };
}

/**
 * RFC 5322 caps a header line at 998 characters; a longer subject is cut there. It is
 * stored twice (launch message and event source), and mail may be megabytes: rows stay small.
 */
export const MAX_SUBJECT_CHARS = 998;
const clipSubject = (subject: string) => (subject.length > MAX_SUBJECT_CHARS ? `${subject.slice(0, MAX_SUBJECT_CHARS - 3)}...` : subject);

function concat(prefix: string, raw: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${prefix}\n`);
  const out = new Uint8Array(head.byteLength + raw.byteLength);
  out.set(head);
  out.set(raw, head.byteLength);
  return out;
}

/** Plain text preferred; HTML converted when that is all there is. */
function bodyText(email: Email): string {
  if (email.text && email.text.trim()) return email.text;
  return email.html ? htmlToText(email.html) : "";
}

function byteLength(content: ArrayBuffer | Uint8Array | string): number {
  if (typeof content === "string") return new TextEncoder().encode(content).byteLength;
  return content.byteLength;
}

/** The launch message a new mail becomes: who wrote, the subject, the cleaned text, the attachments. */
export function launchMessage(sender: string, mail: InboundMail): string {
  const parts = [`Email from ${sender}`, `Subject: ${mail.subject || "(no subject)"}`, "", mail.text || "(no text)"];
  const listed = describeAttachments(mail.attachments);
  if (listed) parts.push("", listed);
  return parts.join("\n");
}

/** A reply's text for the thread: the cleaned text plus its attachments, listed. */
export function replyText(mail: InboundMail): string {
  const listed = describeAttachments(mail.attachments);
  return listed ? `${mail.text}\n\n${listed}`.trim() : mail.text;
}
