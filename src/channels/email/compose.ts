import { createMimeMessage, Mailbox } from "mimetext";
import { quorumLine } from "../edit-form";
import type { PendingView, ThreadFull } from "../../core";
import { fullSentence } from "../notification";
import type { OutboundEmail } from "./send";

/** Who the thread writes to and how its mail threads in the human's client. */
export type Conversation = {
  readonly agent: string;
  readonly threadId: string;
  readonly domain: string;
  /** The human who started the thread by email. */
  readonly to: string;
  /** The subject of the mail that started the thread. */
  readonly subject: string;
  /** The newest mail from the human in this thread (In-Reply-To). */
  readonly inReplyTo: string;
  /** Every Message-ID of the conversation so far, oldest first (References). */
  readonly references: readonly string[];
  /** The plus-address tag replies go to: a request's signed tag, else the bare thread id. */
  readonly replyTag?: string;
};

export type EmailContent =
  | { readonly purpose: "request" | "escalation"; readonly request: PendingView; readonly escalationContact?: string }
  | { readonly purpose: "result"; readonly status: "done" | "failed"; readonly message: string }
  /** The thread reached its cap on events: an escalation that asks nothing. */
  | { readonly purpose: "full"; readonly full: ThreadFull; readonly escalationContact?: string };

/** Mail clients nest at most this many References; older ones add nothing. */
const MAX_REFERENCES = 20;

export function replySubject(subject: string): string {
  const trimmed = subject.trim() || "(no subject)";
  return /^re:/i.test(trimmed) ? trimmed : `Re: ${trimmed}`;
}

/** The agent's plus address: a reply to it reaches exactly this thread. */
export function replyAddress(c: Pick<Conversation, "agent" | "threadId" | "domain" | "replyTag">): string {
  return `${c.agent}+${c.replyTag ?? c.threadId}@${c.domain}`;
}

/** Composes one mail of a thread with mimetext: threading headers, plain text, UTF-8 (base64). */
export function composeEmail(c: Conversation, content: EmailContent, messageId: string, date: Date): OutboundEmail {
  return autoReply(
    { agent: c.agent, domain: c.domain, to: c.to, subject: c.subject, messageId, date, inReplyTo: c.inReplyTo, references: c.references.slice(-MAX_REFERENCES).join(" ") },
    body(c, content),
    { "Reply-To": new Mailbox(replyAddress(c)), "X-Agent-Thread": c.threadId },
  );
}

/** The headers every mail we write carries: who, to whom, and where it threads. */
export type AutoReplyHeaders = {
  readonly agent: string;
  readonly domain: string;
  readonly to: string;
  /** The subject of the mail answered; "Re: " is added once. */
  readonly subject: string;
  readonly messageId: string;
  readonly date: Date;
  readonly inReplyTo: string;
  /** The References header, as it must go out. */
  readonly references: string;
};

/** One plain-text mail from `<agent>@<domain>`, marked as an automatic reply (RFC 3834). */
export function autoReply(h: AutoReplyHeaders, text: string, extra: Record<string, string | Mailbox> = {}): OutboundEmail {
  const from = `${h.agent}@${h.domain}`;
  const msg = createMimeMessage();
  msg.setSender({ name: h.agent, addr: from });
  msg.setRecipient(h.to);
  msg.setSubject(replySubject(h.subject));
  msg.setHeader("Message-ID", h.messageId);
  msg.setHeader("Date", h.date.toUTCString().replace("GMT", "+0000"));
  msg.setHeader("In-Reply-To", h.inReplyTo);
  if (h.references) msg.setHeader("References", h.references);
  // RFC 3834: we are an automatic responder; other responders must not answer us (no mail loops).
  msg.setHeader("Auto-Submitted", "auto-replied");
  msg.setHeader("X-Auto-Response-Suppress", "All");
  for (const [name, value] of Object.entries(extra)) msg.setHeader(name, value);
  msg.addMessage({ contentType: "text/plain", encoding: "base64", data: base64Lines(text) });
  // mimetext ends lines with the host's EOL; the wire wants CRLF (the body is base64, so this is safe).
  const raw = msg.asRaw().replace(/\r?\n/g, "\r\n");
  return { from, to: h.to, raw, messageId: h.messageId };
}

function body(c: Conversation, content: EmailContent): string {
  const footer = `\n\n--\n${c.agent} (thread ${c.threadId})`;
  if (content.purpose === "result") {
    const text = content.status === "done" ? content.message : `I could not finish this: ${content.message}`;
    return `${text}${footer}`;
  }
  if (content.purpose === "full") {
    return `ESCALATION${content.escalationContact ? ` for ${content.escalationContact}` : ""}: ${fullSentence(c.threadId, content.full)}${footer}`;
  }
  const { request } = content;
  const lines: string[] = [];
  if (content.purpose === "escalation") {
    lines.push(`ESCALATION${content.escalationContact ? ` for ${content.escalationContact}` : ""}: this request is still waiting for an answer.`, "");
  }
  if (request.kind === "approval") {
    lines.push(`${c.agent} needs your approval before it runs ${request.tool?.name ?? "a tool"}.`, "");
    if (request.tool) lines.push("Arguments:", JSON.stringify(request.tool.args, null, 2), "");
    lines.push(request.message, "", 'Reply with "approve" or "reject" as the first word; anything after it is passed on as a comment.');
    const quorum = quorumLine(request);
    if (quorum) lines.push(quorum);
    // A mail reply cannot carry edited arguments safely: the page behind the link can (docs/humans.md).
    if (request.editable?.length) lines.push(`To change ${request.editable.join(", ")} before approving, use the web page below.`);
  } else {
    lines.push(request.message, "", "Reply to this email with your answer.");
  }
  if (request.link) lines.push(`Or answer on the web: ${request.link}`);
  lines.push(`Answer by ${request.deadline}.`);
  return `${lines.join("\n")}${footer}`;
}

/** UTF-8 text as base64 in 76-character lines (RFC 2045). */
function base64Lines(text: string): string {
  const bytes = new TextEncoder().encode(text.replace(/\r?\n/g, "\r\n"));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return (btoa(binary).match(/.{1,76}/g) ?? []).join("\r\n");
}
