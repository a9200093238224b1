import { createRoute } from "@hono/zod-openapi";
import { named, z } from "./zod";
import { ThreadId } from "../../../core";
import { EventsQuery, ForkBody, ListQuery, MessageBody, ReasonBody, ResponseBody } from "../schemas";
import { StreamQuery } from "../stream";
import { bearer, errors, idempotencyHeader, json, jsonBody } from "./responses";
import { CommandResult, EventPage, ModelContext, Thread, ThreadList } from "./schemas";

// Route definitions for /v1/threads: path, inputs and every response, in one object each.
// The handlers live in ../threads.ts and ../fork.ts.

const tags = ["threads"];
const params = z.object({ id: named(ThreadId, { param: { name: "id", in: "path" }, example: "t_3f2a9c" }) });

export const listThreads = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List threads, newest first",
  security: bearer,
  request: { query: ListQuery },
  responses: { 200: json(ThreadList, "A page of thread summaries; `next` is the cursor for the following page."), ...errors(400, 401) },
});

export const getThread = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  summary: "One thread",
  security: bearer,
  request: { params },
  responses: { 200: json(Thread, "The thread."), ...errors(400, 401, 404) },
});

export const threadEvents = createRoute({
  method: "get",
  path: "/{id}/events",
  tags,
  summary: "The thread's event log, a page at a time",
  security: bearer,
  request: { params, query: EventsQuery },
  responses: { 200: json(EventPage, "Events after `after`, in seq order; `next` is set when more follow."), ...errors(400, 401, 404) },
});

export const threadStream = createRoute({
  method: "get",
  path: "/{id}/stream",
  tags,
  summary: "The event log as Server-Sent Events, live",
  description:
    "One SSE event per log event (`id: <seq>`, `event: <type>`, the event as JSON `data`), then live as events are appended. " +
    "Resume with `Last-Event-ID` (wins) or `?after=`. A `: heartbeat` comment every STREAM_HEARTBEAT_SECONDS; the response ends when the " +
    "thread ends, or after STREAM_MAX_SECONDS (EventSource reconnects with Last-Event-ID). 204 when the thread has ended and nothing follows the resume point.",
  security: bearer,
  request: {
    params,
    query: StreamQuery,
    headers: z.object({ "last-event-id": z.string().optional().openapi({ description: "The seq of the last event received." }) }),
  },
  responses: {
    200: { description: "text/event-stream of log events.", content: { "text/event-stream": { schema: z.string() } } },
    204: { description: "The thread has ended and the client has every event." },
    ...errors(400, 401, 404),
  },
});

export const threadContext = createRoute({
  method: "get",
  path: "/{id}/context",
  tags,
  summary: "The exact model input the next step would send (Factor 3)",
  security: bearer,
  request: { params },
  responses: { 200: json(ModelContext, "Messages and tools."), ...errors(400, 401, 404, 409) },
});

export const postMessage = createRoute({
  method: "post",
  path: "/{id}/messages",
  tags,
  summary: "Send a user message",
  security: bearer,
  request: { params, headers: idempotencyHeader, body: jsonBody(MessageBody) },
  responses: {
    200: json(CommandResult, "A repeat of an earlier message (same Idempotency-Key)."),
    202: json(CommandResult, "Appended; the thread continues."),
    ...errors(400, 401, 404, 409, 413, 415),
  },
});

export const postResponse = createRoute({
  method: "post",
  path: "/{id}/responses",
  tags,
  summary: "Answer a pending human request (approve, reject, edit, answer)",
  description:
    "An approval takes `decision` (approve, reject, edit) or the shorthand `approved`. An edit approves the call with `args` (only the tool's editable fields) instead; its policy is evaluated again on them. A quorum stays open until enough distinct principals approved; one rejection ends it. 403 self_approval_refused: the thread's launcher where the tool's policy forbids it.",
  security: bearer,
  request: { params, headers: idempotencyHeader, body: jsonBody(ResponseBody) },
  responses: { 200: json(CommandResult, "The answer was recorded."), ...errors(400, 401, 403, 404, 409, 413, 415) },
});

const control = (verb: "pause" | "resume" | "cancel", summary: string) =>
  createRoute({
    method: "post",
    path: `/{id}/${verb}`,
    tags,
    summary,
    security: bearer,
    request: { params, body: jsonBody(ReasonBody) },
    responses: { 200: json(Thread, "The thread after the command."), ...errors(400, 401, 404, 409, 413, 415) },
  });

export const pauseThread = control("pause", "Pause at the next step boundary");
export const resumeThread = control("resume", "Resume a paused thread");
export const cancelThread = control("cancel", "Cancel the thread (terminal)");

export const forkThread = createRoute({
  method: "post",
  path: "/{id}/fork",
  tags,
  summary: "Fork a new thread from events 1..atSeq, optionally with another variant or model",
  security: bearer,
  request: { params, headers: idempotencyHeader, body: jsonBody(ForkBody) },
  responses: {
    200: json(Thread, "The fork already existed (same threadId or Idempotency-Key)."),
    201: json(Thread, "The new thread."),
    ...errors(400, 401, 404, 409, 413, 415),
  },
});

export const deleteThread = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  summary: "Erase a finished thread: its storage and its index entry",
  security: bearer,
  request: { params },
  responses: { 204: { description: "Erased." }, ...errors(400, 401, 404, 409) },
});
