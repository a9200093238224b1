import type { MiddlewareHandler } from "hono";
import { ApiError } from "../triggers/http/errors";
import { consoleUser, identitySource, type ConsoleUser } from "./identity";

export type ConsoleEnv = { Bindings: Env; Variables: { user: ConsoleUser } };

// Who may use the console: a signed-in user (identity.ts) for every route behind sign-in, and,
// for every state change (sign-in and sign-out included), a same-origin request. The
// cookie is SameSite=Strict already; the Origin check covers browsers or proxies that
// do not honour it and refuses forms posted from other sites (login CSRF included).

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("content-security-policy", CONSOLE_CSP);
  c.res.headers.set("x-content-type-options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
  c.res.headers.set("referrer-policy", "same-origin");
  c.res.headers.set("x-frame-options", "DENY");
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
};

export const sameOrigin: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const origin = c.req.header("origin");
    const allowed = new Set([new URL(c.req.url).origin]);
    try {
      if (c.env.PUBLIC_URL) allowed.add(new URL(c.env.PUBLIC_URL).origin);
    } catch {
      // A malformed PUBLIC_URL adds nothing; the request's own origin still counts.
    }
    const fetchSite = c.req.header("sec-fetch-site");
    const ok = origin !== undefined ? allowed.has(origin) : fetchSite === "same-origin";
    if (!ok || (fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none")) {
      throw new ApiError(403, "cross_site_request", "Console changes must come from the console's own pages (Origin check).");
    }
    return next();
};

export function requireSession(now: () => number, outbound: typeof fetch): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const user = await consoleUser(c, now(), outbound);
    if (!user) {
      const navigation = c.req.method === "GET" && (c.req.header("accept") ?? "").includes("text/html");
      if (navigation) return c.redirect(`/console/sign-in?next=${encodeURIComponent(c.req.path)}`, 303);
      const how = identitySource(c.env) === "access" ? "Come through Cloudflare Access (no valid Cf-Access-Jwt-Assertion)." : "Sign in to the console first (POST /console/sign-in).";
      throw new ApiError(401, "signed_out", how);
    }
    c.set("user", user);
    return next();
  };
}
