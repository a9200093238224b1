import { z } from "zod";
import { RequestId, ThreadId } from "../core";
import { hmacKey } from "../hmac";

// A human link names one pending request of one thread. The token is its own
// credential (anyone holding it may answer), so it is signed and expires with the request:
//   base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part))

export const LinkClaims = z.strictObject({
  threadId: ThreadId,
  requestId: RequestId,
  /** Epoch seconds; the link stops working at this instant. */
  exp: z.number().int().positive(),
  /** Whom the link was issued to (a mail address, "webhook", "api:<credential>"): the principal of its answer. */
  to: z.string().min(1).max(320).optional(),
});
export type LinkClaims = z.infer<typeof LinkClaims>;

export type LinkFailure = "malformed" | "bad_signature" | "expired";
export type VerifiedLink = { ok: true; claims: LinkClaims } | { ok: false; reason: LinkFailure };

/** Longer than any token we sign; refuse before decoding anything. */
const MAX_TOKEN_CHARS = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();

export async function signLink(secret: string, claims: { threadId: string; requestId: string; exp: number; to?: string }): Promise<string> {
  if (!secret) throw new Error("signLink needs a non-empty secret (HUMAN_LINK_SECRET).");
  const payload = toBase64Url(encoder.encode(JSON.stringify(LinkClaims.parse(claims))));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), encoder.encode(payload));
  return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
}

export async function verifyLink(secret: string, token: string, nowMs: number): Promise<VerifiedLink> {
  const parts = token.length <= MAX_TOKEN_CHARS ? token.split(".") : [];
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature || !BASE64URL.test(payload) || !BASE64URL.test(signature)) {
    return { ok: false, reason: "malformed" };
  }
  const signatureBytes = fromBase64Url(signature);
  if (!signatureBytes) return { ok: false, reason: "malformed" };
  if (!secret) return { ok: false, reason: "bad_signature" };
  // crypto.subtle.verify compares in constant time; never compare signatures as strings.
  const genuine = await crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), signatureBytes, encoder.encode(payload));
  if (!genuine) return { ok: false, reason: "bad_signature" };
  const claims = LinkClaims.safeParse(parseJson(fromBase64Url(payload)));
  if (!claims.success) return { ok: false, reason: "malformed" };
  if (claims.data.exp * 1000 <= nowMs) return { ok: false, reason: "expired" };
  return { ok: true, claims: claims.data };
}

/** The page a human opens: `${publicUrl}/h/${token}` (a trailing slash on publicUrl is ignored). */
export function linkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/h/${token}`;
}

/** A link for a pending request; it lives exactly as long as the request (its deadline). */
export async function requestLink(
  config: { secret: string; publicUrl: string },
  threadId: string,
  request: { requestId: string; deadline: string },
  to?: string,
): Promise<string> {
  const exp = Math.floor(Date.parse(request.deadline) / 1000);
  return linkUrl(config.publicUrl, await signLink(config.secret, { threadId, requestId: request.requestId, exp, ...(to ? { to } : {}) }));
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict: only the one canonical spelling decodes, so no two tokens carry the same bytes. */
function fromBase64Url(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return toBase64Url(bytes) === text ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return undefined;
  }
}
