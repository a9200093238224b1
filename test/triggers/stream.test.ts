import { describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { api, eventsOf, launch, respond, settle } from "../support/api";
import { model } from "../support/harness";
import { SseReader, type SseFrame } from "../support/sse";

// GET /v1/threads/{id}/stream: one SSE frame per log event, resumable with Last-Event-ID
// or ?after=, closed when the thread ends.

let n = 0;
const freshId = () => `stream-${crypto.randomUUID().slice(0, 8)}-${++n}`;

async function waiting(): Promise<{ id: string; view: ThreadView }> {
  const id = freshId();
  const marker = model.script(id, [{ tool: "guarded", args: { label: `s-${id}` } }, { tool: "done_for_now", args: { message: "streamed" } }]);
  expect((await launch("probe", `go ${marker}`, { threadId: id })).response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  return { id, view };
}

const open = (id: string, headers: HeadersInit = {}, query = "") => api(`/v1/threads/${id}/stream${query}`, { headers });
const parsed = (frames: SseFrame[]) => frames.map((f) => JSON.parse(f.data) as Event);

describe("GET /v1/threads/{id}/stream", () => {
  it("reconnecting halfway with Last-Event-ID gives exactly the log: no gap, no duplicate, then closes at the end", async () => {
    const { id, view } = await waiting();
    const first = await open(id);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = new SseReader(first.body!);
    const half = Math.ceil(view.lastSeq / 2);
    const before: SseFrame[] = [];
    while (before.length < half) before.push((await reader.next())!);
    await reader.cancel(); // the client drops the connection halfway
    expect(reader.retry).toBe(1000);

    // The thread moves on while nobody listens; the reconnect picks up where the first stream stopped.
    const pending = view.pending!;
    expect((await respond(id, { requestId: pending.requestId, approved: true })).status).toBe(200);
    const second = await open(id, { "last-event-id": before.at(-1)!.id! });
    expect(second.status).toBe(200);
    const rest = await new SseReader(second.body!).rest(); // returns only because the server closes it
    expect((await settle(id)).status).toBe("done");

    const all = [...before, ...rest];
    const log = await eventsOf(id);
    expect(parsed(all)).toEqual(log);
    expect(all.map((f) => f.id)).toEqual(log.map((e) => String(e.seq)));
    expect(all.map((f) => f.event)).toEqual(log.map((e) => e.type));
    expect(log.at(-1)?.type).toBe("thread_finished");
  });

  it("?after= resumes the same way, Last-Event-ID wins over it, and an ended thread with nothing new answers 204", async () => {
    const { id, view } = await waiting();
    await respond(id, { requestId: view.pending!.requestId, approved: true });
    const log = await eventsOf(id);
    expect((await settle(id)).status).toBe("done");

    const tail = await new SseReader((await open(id, {}, `?after=${log.length - 3}`)).body!).rest();
    expect(parsed(tail)).toEqual(log.slice(-3));
    const headerWins = await new SseReader((await open(id, { "last-event-id": String(log.length - 1) }, "?after=0")).body!).rest();
    expect(parsed(headerWins)).toEqual(log.slice(-1));

    const ended = await open(id, { "last-event-id": String(log.length) });
    expect(ended.status).toBe(204);
  });

  it("delivers events appended while the stream is open, as they happen", async () => {
    const { id, view } = await waiting();
    const reader = new SseReader((await open(id, {}, `?after=${view.lastSeq}`)).body!);
    await respond(id, { requestId: view.pending!.requestId, approved: true });
    const next = await reader.next();
    expect(next?.event).toBe("human_responded");
    expect(next?.id).toBe(String(view.lastSeq + 1));
    await reader.cancel();
  });

  it("refuses bad input with the error shape and needs the bearer token", async () => {
    const { id } = await waiting();
    const badHeader = await open(id, { "last-event-id": "abc" });
    expect(badHeader.status).toBe(400);
    expect(await badHeader.json()).toMatchObject({ error: { code: "invalid_last_event_id" } });
    expect((await open(id, {}, "?after=-1")).status).toBe(400);
    expect((await open(id, {}, "?from=1")).status).toBe(400);
    const unknown = await open("t_nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "thread_not_found" } });
    expect((await api(`/v1/threads/${id}/stream`, { token: null })).status).toBe(401);
  });
});
