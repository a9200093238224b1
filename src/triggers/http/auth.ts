import type { MiddlewareHandler } from "hono";
import type { Principal } from "../../core";
import { accessConfig, verifyAccessJwt } from "./access";
import { configuredCredentials, credentialFor } from "./credentials";
import { ApiError } from "./errors";
import { rateLimit } from "./rate-limit";

/** What the API auth sets: who is calling. */
export type AuthEnv = { Bindings: Env; Variables: { principal: Principal } };

/** RFC 6750: a 401 names the scheme it wants. */
const challenge = { "WWW-Authenticate": 'Bearer realm="edge-agents"' };
const unauthorized = (message: string) => new ApiError(401, "unauthorized", message, undefined, challenge);

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=:-]+)[ \t]*$/i;

/**
 * Who is calling /v1 (invariant 10). With Cloudflare Access configured, the Access
 * identity in `Cf-Access-Jwt-Assertion` (verified against the team's keys); otherwise a
 * named bearer credential (API_TOKEN as "default", API_TOKENS name:token pairs). The
 * principal lands in `c.var.principal`; every answer given on this request records it.
 * Then, for writes, the caller's rate limit: 429 with Retry-After past it.
 */
export function requireApiToken(outbound: typeof fetch): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const access = accessConfig(c.env);
    if (access) {
      const jwt = c.req.header("cf-access-jwt-assertion");
      if (!jwt) throw unauthorized("Cloudflare Access protects this API: the request carries no Cf-Access-Jwt-Assertion.");
      const identity = await verifyAccessJwt(access, jwt, outbound);
      if (!identity) throw unauthorized("The Cloudflare Access assertion does not verify (signature, issuer, audience or expiry).");
      c.set("principal", { kind: "api", id: identity.id, verifiedBy: "cloudflare_access" });
    } else {
      const credentials = configuredCredentials(c.env);
      const header = c.req.header("authorization");
      if (!header) throw unauthorized("Send Authorization: Bearer <token>.");
      const token = BEARER.exec(header)?.[1];
      if (!token) throw unauthorized("Malformed Authorization header: send Bearer <token>.");
      const credential = await credentialFor(credentials, token);
      if (!credential) throw unauthorized("The bearer token is wrong.");
      c.set("principal", { kind: "api", id: credential.name, verifiedBy: "api_token" });
    }
    // Writes are limited per credential (launches, messages, answers, forks); reads are not,
    // so a client polling a thread it waits on is never turned away.
    if (c.req.method !== "GET" && c.req.method !== "HEAD") await rateLimit(c.env.API_RATE_LIMIT, `api:${c.var.principal.id}`, "API_RATE_LIMIT");
    await next();
  };
}
