import type { MiddlewareHandler } from "hono";
import { correlationIdFrom, infoLines, logLine } from "../../log";
import type { ThreadId } from "../../core";

/**
 * One log line per request, and one correlation id per request: taken from the caller's
 * `X-Correlation-Id` (or Cloudflare's `cf-ray`), echoed in the response, and carried on the
 * events the request appends (their `source.correlationId`), so the thread's step lines and
 * this line can be joined. The route pattern is logged, never the path: `/h/<token>` paths
 * hold credentials.
 */
/** What the request log sets (the correlation id) and reads (the thread id, when a thread route set it). */
export type RequestLogEnv = { Bindings: Env; Variables: { correlationId: string; threadId?: ThreadId } };

export const requestLog: MiddlewareHandler<RequestLogEnv> = async (c, next) => {
  const started = Date.now();
  const correlationId = correlationIdFrom(c.req.header("x-correlation-id"), c.req.header("cf-ray"));
  c.set("correlationId", correlationId);
  try {
    await next();
  } finally {
    c.header("x-correlation-id", correlationId);
    if (infoLines(c.env)) logLine("request", {
      correlationId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      latencyMs: Date.now() - started,
      threadId: c.var.threadId,
    });
  }
};
