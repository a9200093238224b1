import { signHmacSha256 } from "../../hmac";

// Each request mail carries a reply address of its own: `<agent>+<threadId>.<mac>@<domain>`,
// where mac = HMAC-SHA256(HUMAN_LINK_SECRET, "reply-address", thread, request, recipient)
// cut to 20 hex digits (80 bits). It names one request and one recipient, cannot be
// guessed from the thread id, and stops answering anything once its request closes or
// expires (the thread checks it against its open requests only). Hex, so a mail system
// that lowercases local parts does not break it; the whole local part stays within
// RFC 5321's 64 octets for thread ids up to ~30 characters.

export const REPLY_MAC_HEX = 20;

export async function replyMac(secret: string, threadId: string, requestId: string, recipient: string): Promise<string> {
  const mac = await signHmacSha256(secret, `reply-address\n${threadId}\n${requestId}\n${recipient.toLowerCase()}`);
  return mac.slice(0, REPLY_MAC_HEX);
}

/** The plus-address tag of a request's reply address. */
export async function requestReplyTag(secret: string, threadId: string, requestId: string, recipient: string): Promise<string> {
  return `${threadId}.${await replyMac(secret, threadId, requestId, recipient)}`;
}

/** Splits a plus-address tag: a bare thread id, or a thread id with a request mac. */
export function splitReplyTag(tag: string): { readonly threadId: string; readonly mac?: string } {
  const dot = tag.lastIndexOf(".");
  if (dot < 0) return { threadId: tag };
  return { threadId: tag.slice(0, dot), mac: tag.slice(dot + 1).toLowerCase() };
}

/** Compares two macs without an early exit. */
export function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
