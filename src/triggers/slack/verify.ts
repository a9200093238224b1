import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/env";
import { ApiError } from "../http/errors";
import { verifySlack } from "../webhooks/slack";

// Every /v1/slack route is authorised by Slack's v0 signature over the raw body (the same
// check as the Events API webhook: HMAC-SHA256 with the signing secret, a 5-minute window,
// compared in constant time). Nothing of the body is parsed before it passes.

export type SlackEnv = AppEnv & { Variables: { rawBody: Uint8Array<ArrayBuffer> } };

export const verifiedSlack =
  (now: () => number): MiddlewareHandler<SlackEnv> =>
  async (c, next) => {
    const secret = c.env.WEBHOOK_SECRET_SLACK;
    if (!secret) throw new ApiError(503, "slack_not_configured", "WEBHOOK_SECRET_SLACK (the Slack app's signing secret) is not set; Slack requests are refused.");
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verified = await verifySlack({ headers: c.req.raw.headers, body, now: now() }, secret);
    if (!verified.ok) throw new ApiError(401, verified.code, verified.message);
    c.set("rawBody", body);
    await next();
  };

/** The signed body as form fields (Slack posts interactivity and commands form-encoded). */
export function formOf(body: Uint8Array, contentType: string | undefined): URLSearchParams {
  if ((contentType ?? "").split(";")[0]?.trim().toLowerCase() !== "application/x-www-form-urlencoded") {
    throw new ApiError(415, "unsupported_media_type", "Slack sends application/x-www-form-urlencoded bodies.");
  }
  try {
    return new URLSearchParams(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    throw new ApiError(400, "malformed_form", "The body is not valid UTF-8.");
  }
}
