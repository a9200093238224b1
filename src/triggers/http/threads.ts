import type { Context, MiddlewareHandler } from "hono";
import type { RequestId } from "../../core";
import { listThreads } from "../../runtime/index/thread-index";
import type { Result } from "../../runtime/thread-rpc";
import { threadStub } from "../../runtime/thread-stub";
import { ApiError, sendJson } from "./errors";
import { parseThreadId, type AppEnv } from "./env";
import { idempotencyKey } from "./idempotency";
import { decodeCursor, encodeCursor } from "./schemas";
import { limitDepth, requireJson } from "./validate";
import { resumeFrom, streamResponse } from "./stream";
import { contractApp, serve } from "./contract/serve";
import * as route from "./contract/thread-routes";
import { traceLink } from "../../traces/link";
import { httpSource } from "./source";

/** A thread object's answer, or its rejection thrown for the one error handler. */
function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw ApiError.from(result.rejection);
  return result.value;
}

const stub = (c: Context<AppEnv>) => threadStub(c.env, c.var.threadId);

export function threadRoutes() {
  const routes = contractApp();
  const body = [requireJson, limitDepth];

  serve(routes, route.listThreads, async (c) => {
    const query = c.req.valid("query");
    const before = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    if (query.cursor !== undefined && !before) throw new ApiError(400, "invalid_cursor", "The cursor is not one this API issued.");
    const page = await listThreads(c.env, {
      limit: query.limit,
      ...(query.agent ? { agent: query.agent } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(before ? { before } : {}),
    });
    return sendJson(c, { threads: page.threads, ...(page.next ? { next: encodeCursor(page.next) } : {}) });
  });

  const withThreadId: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set("threadId", parseThreadId(c.req.param("id") ?? ""));
    await next();
  };
  routes.use("/:id", withThreadId);
  routes.use("/:id/*", withThreadId);

  serve(routes, route.getThread, async (c) => {
    const thread = await stub(c).thread(c.var.principal);
    if (!thread) throw new ApiError(404, "thread_not_found", `No thread ${c.var.threadId}.`);
    // The trace id is derived from the thread id (src/traces/ids.ts): the same whether or not the export is on.
    return sendJson(c, { ...thread, traceId: traceLink(c.env, thread.id).id });
  });

  serve(routes, route.threadEvents, async (c) => {
    const { after, limit } = c.req.valid("query");
    const s = stub(c);
    if (!(await s.thread())) throw new ApiError(404, "thread_not_found", `No thread ${c.var.threadId}.`);
    return sendJson(c, await s.events(after, limit));
  });

  serve(routes, route.threadStream, async (c) =>
    streamResponse(c.env, c.var.threadId, resumeFrom(c.req.header("last-event-id"), c.req.valid("query").after)),
  );

  serve(routes, route.threadContext, async (c) => sendJson(c, unwrap(await stub(c).context())));

  serve(routes, route.postMessage, async (c) => {
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const result = unwrap(await stub(c).message(c.req.valid("json").text, key, httpSource(c)));
    return sendJson(c, { thread: result.thread, event: result.event }, result.duplicate ? 200 : 202);
  }, ...body);

  serve(routes, route.postResponse, async (c) => {
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const body = c.req.valid("json");
    const answer = {
      requestId: body.requestId as RequestId,
      ...(body.approved !== undefined ? { approved: body.approved } : {}),
      ...(body.decision !== undefined ? { decision: body.decision } : {}),
      ...(body.args !== undefined ? { args: body.args } : {}),
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      ...(body.answer !== undefined ? { answer: body.answer } : {}),
      by: c.var.principal,
    };
    const result = unwrap(await stub(c).respond(answer, key, httpSource(c)));
    return sendJson(c, { thread: result.thread, event: result.event }, 200);
  }, ...body);

  serve(routes, route.pauseThread, async (c) => sendJson(c, unwrap(await stub(c).pause(c.req.valid("json").reason)).thread), ...body);
  serve(routes, route.resumeThread, async (c) => sendJson(c, unwrap(await stub(c).resume()).thread), ...body);
  serve(routes, route.cancelThread, async (c) => sendJson(c, unwrap(await stub(c).cancel(c.req.valid("json").reason)).thread), ...body);

  serve(routes, route.deleteThread, async (c) => {
    unwrap(await stub(c).erase());
    return c.body(null, 204);
  });

  return routes;
}
