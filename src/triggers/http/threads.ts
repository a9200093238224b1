import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { RequestId } from "../../core";
import { listThreads } from "../../runtime/thread-index";
import type { Result } from "../../runtime/thread-object";
import { threadStub } from "../../runtime/thread-stub";
import { ApiError, sendJson } from "./errors";
import { parseThreadId, type AppEnv } from "./app";
import { idempotencyKey } from "./agents";
import { decodeCursor, encodeCursor, EventsQuery, ListQuery, MessageBody, ReasonBody, ResponseBody } from "./schemas";
import { jsonBody, queryOf, requireJson } from "./validate";

/** A thread object's answer, or its rejection thrown for the one error handler. */
function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw ApiError.from(result.rejection);
  return result.value;
}

const stub = (c: Context<AppEnv>) => threadStub(c.env, c.var.threadId);

export function threadRoutes() {
  const routes = new Hono<AppEnv>();

  routes.get("/", queryOf(ListQuery), async (c) => {
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

  routes.get("/:id", async (c) => {
    const thread = await stub(c).thread(c.var.principal);
    if (!thread) throw new ApiError(404, "thread_not_found", `No thread ${c.var.threadId}.`);
    return sendJson(c, thread);
  });

  routes.get("/:id/events", queryOf(EventsQuery), async (c) => {
    const { after, limit } = c.req.valid("query");
    const s = stub(c);
    if (!(await s.thread())) throw new ApiError(404, "thread_not_found", `No thread ${c.var.threadId}.`);
    return sendJson(c, await s.events(after, limit));
  });

  routes.get("/:id/context", async (c) => sendJson(c, unwrap(await stub(c).context())));

  routes.post("/:id/messages", requireJson, jsonBody(MessageBody), async (c) => {
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const result = unwrap(await stub(c).message(c.req.valid("json").text, key, { kind: "http" }));
    return sendJson(c, { thread: result.thread, event: result.event }, result.duplicate ? 200 : 202);
  });

  routes.post("/:id/responses", requireJson, jsonBody(ResponseBody), async (c) => {
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const body = c.req.valid("json");
    const answer = {
      requestId: body.requestId as RequestId,
      ...(body.approved !== undefined ? { approved: body.approved } : {}),
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      ...(body.answer !== undefined ? { answer: body.answer } : {}),
      by: c.var.principal,
    };
    const result = unwrap(await stub(c).respond(answer, key, { kind: "http" }));
    return sendJson(c, { thread: result.thread, event: result.event }, 200);
  });

  routes.post("/:id/pause", requireJson, jsonBody(ReasonBody), async (c) =>
    sendJson(c, unwrap(await stub(c).pause(c.req.valid("json").reason)).thread),
  );
  routes.post("/:id/resume", requireJson, jsonBody(ReasonBody), async (c) => sendJson(c, unwrap(await stub(c).resume()).thread));
  routes.post("/:id/cancel", requireJson, jsonBody(ReasonBody), async (c) =>
    sendJson(c, unwrap(await stub(c).cancel(c.req.valid("json").reason)).thread),
  );

  return routes;
}
