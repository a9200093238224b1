import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { Principal } from "../core";
import { accessConfig, verifyAccessJwt } from "../triggers/http/access";
import { credentials } from "./credentials";
import { COOKIE, readSession } from "./session";

// Who is using the console. Two sources, never both: with Cloudflare Access configured
// (ACCESS_TEAM_DOMAIN + ACCESS_AUD), the Access identity that Access puts on every request
// it lets through, verified with the API's own check (src/triggers/http/access.ts);
// otherwise the signed session cookie of a named credential. Same rule as the API, which
// takes no bearer token once Access is configured.

export type ConsoleUser =
  /** A named credential, exchanged for the session cookie at sign-in. */
  | { readonly via: "session"; readonly id: string; readonly expiresAt: number }
  /**
   * A Cloudflare Access identity (email, or a service token's name). No cookie of ours:
   * Access already signs every request with a short-lived assertion, and a copy in a
   * session of ours would outlive a revocation in Access.
   */
  | { readonly via: "cloudflare_access"; readonly id: string; readonly assertion: string };

export type IdentitySource = "access" | "credentials";

export const identitySource = (env: Env): IdentitySource => (accessConfig(env) ? "access" : "credentials");

/** The signed-in user of this request, or undefined. */
export async function consoleUser<E extends { Bindings: Env }>(c: Context<E>, nowMs: number, outbound: typeof fetch): Promise<ConsoleUser | undefined> {
  const access = accessConfig(c.env);
  if (access) {
    const assertion = c.req.header("cf-access-jwt-assertion");
    const identity = assertion ? await verifyAccessJwt(access, assertion, outbound) : undefined;
    return identity && assertion ? { via: "cloudflare_access", id: identity.id, assertion } : undefined;
  }
  const session = await readSession(c.env, getCookie(c, COOKIE), nowMs);
  return session ? { via: "session", id: session.credential, expiresAt: session.expiresAt } : undefined;
}

/** What an answer given in the console records (invariant 10). */
export const principalOf = (user: ConsoleUser): Principal => ({ kind: "console", id: user.id, verifiedBy: user.via });

/**
 * Headers that make a request to /v1 on this user's behalf, so console actions that reuse
 * an API route (fork, eval start) go through its checks as the same principal. Undefined
 * when the session's credential no longer exists.
 */
export function apiAuthorization(env: Env, user: ConsoleUser): Record<string, string> | undefined {
  if (user.via === "cloudflare_access") return { "cf-access-jwt-assertion": user.assertion };
  const credential = credentials(env).find((x) => x.name === user.id);
  return credential ? { authorization: `Bearer ${credential.token}` } : undefined;
}
