// SHA-256 and HMAC-SHA256, the one implementation: content hashes (ids, idempotency keys,
// prompt versions), inbound webhook verifiers, the outbound webhook channel and signed
// human links. Verification goes through
// crypto.subtle.verify, which compares in constant time, over the exact bytes the
// sender signed (never a re-serialised body).

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export async function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** Whether `hexSignature` is HMAC-SHA256(secret, message). A malformed signature is simply false. */
export async function verifyHmacSha256(secret: string, message: Uint8Array<ArrayBuffer>, hexSignature: string): Promise<boolean> {
  if (!HEX_SHA256.test(hexSignature)) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), hexToBytes(hexSignature), message);
}

/** Hex HMAC-SHA256 of bytes or UTF-8 text, for signers (the verifiers never compare strings). */
export async function signHmacSha256(secret: string, message: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), bytes);
  return toHex(mac);
}

/** Hex SHA-256 of bytes or UTF-8 text. */
export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Concatenates byte arrays (Slack signs a prefix plus the raw body). */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
