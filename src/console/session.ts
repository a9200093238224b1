import { timingSafeEqual } from "hono/utils/buffer";
import { z } from "zod";
import { signHmacSha256 } from "../hmac";
import { credentials, type Credential } from "./credentials";
import { setting } from "../settings";

// The console session: a signed, expiring cookie naming the credential that signed in.
// Stateless: the MAC key is derived from that credential's token, so rotating or removing
// the token ends every session made with it; signing out clears the cookie in this browser.

export const COOKIE = "console_session";

const Claims = z.object({ n: z.string(), exp: z.number().int() });
export type Session = { readonly credential: string; readonly expiresAt: number };

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (text: string) => atob(text.replace(/-/g, "+").replace(/_/g, "/"));

const keyFor = (credential: Credential) => `console-session\n${credential.name}\n${credential.token}`;

export async function issueSession(credential: Credential, nowMs: number, lifetimeSeconds: number): Promise<{ value: string; expiresAt: number }> {
  const exp = Math.floor(nowMs / 1000) + lifetimeSeconds;
  const payload = b64url(JSON.stringify({ n: credential.name, exp }));
  return { value: `${payload}.${await signHmacSha256(keyFor(credential), payload)}`, expiresAt: exp * 1000 };
}

export async function readSession(env: Env, cookie: string | undefined, nowMs: number): Promise<Session | undefined> {
  if (!cookie || cookie.length > 1000) return undefined;
  const [payload, mac] = cookie.split(".");
  if (!payload || !mac) return undefined;
  let claims: z.infer<typeof Claims>;
  try {
    const parsed = Claims.safeParse(JSON.parse(unb64url(payload)));
    if (!parsed.success) return undefined;
    claims = parsed.data;
  } catch {
    return undefined;
  }
  const credential = credentials(env).find((c) => c.name === claims.n);
  if (!credential || claims.exp * 1000 <= nowMs) return undefined;
  const expected = await signHmacSha256(keyFor(credential), payload);
  if (!(await timingSafeEqual(expected, mac))) return undefined;
  return { credential: credential.name, expiresAt: claims.exp * 1000 };
}

export function sessionLifetime(env: Env): number {
  return Math.floor(setting(env, "CONSOLE_SESSION_SECONDS"));
}
