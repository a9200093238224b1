import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { ApiError, type ErrorBody } from "./errors";

const unauthorized = (message: string) => () =>
  Response.json({ error: { code: "unauthorized", message } } satisfies ErrorBody, { status: 401 });

/** `Authorization: Bearer <API_TOKEN>`, compared in constant time. Every failure is a 401 in our error shape. */
export const requireApiToken: MiddlewareHandler<{ Bindings: Env }> = (c, next) => {
  const expected = c.env.API_TOKEN;
  if (!expected) {
    throw new ApiError(503, "server_misconfigured", "API_TOKEN is not set on this Worker (see .dev.vars.example).");
  }
  return bearerAuth<{ Bindings: Env }>({
    verifyToken: (token) => timingSafeEqual(token, expected),
    noAuthenticationHeader: { message: unauthorized("Send Authorization: Bearer <API_TOKEN>.") },
    invalidAuthenticationHeader: { message: unauthorized("Malformed Authorization header: send Bearer <API_TOKEN>.") },
    invalidToken: { message: unauthorized("The bearer token is wrong.") },
  })(c, next);
};
