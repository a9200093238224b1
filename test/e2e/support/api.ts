/// <reference types="node" />
/**
 * TEST ONLY: the /v1 API of a `wrangler dev` Worker, seen from Node. The threads live in
 * another process, so waiting means polling: 200 ms steps under a bounded deadline.
 */
import { expect } from "vitest";
import type { Event, ThreadView } from "../../../src/core";

export type Api = ReturnType<typeof apiClient>;

export const ended = (t: ThreadView) => t.status === "done" || t.status === "failed";
export const types = (events: Event[]) => events.map((e) => e.type);

export async function poll<T>(read: () => Promise<T>, ok: (value: T) => boolean, withinMs: number, what: (last: T) => string): Promise<T> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > giveUp) throw new Error(`${what(value)} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `baseUrl()` is read on every call, so the client can be made before the server starts. */
export function apiClient(baseUrl: () => string, token: string) {
  async function v1<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${baseUrl()}/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** The body of a request that must succeed; anything else throws with its status and body. */
  async function ok<T>(path: string, init: RequestInit = {}): Promise<T> {
    const { status, body } = await v1<T>(path, init);
    if (status >= 300) throw new Error(`${init.method ?? "GET"} /v1${path}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** The whole log of a thread (one page: these threads are short). */
  async function eventsOf(id: string): Promise<Event[]> {
    const { status, body } = await v1<{ events: Event[]; next?: number }>(`/threads/${id}/events?limit=1000`);
    expect(status).toBe(200);
    expect(body.next).toBeUndefined();
    return body.events;
  }

  /** The ids of an agent's threads, sorted (GET /v1/threads?agent=). */
  async function threadIds(agent: string): Promise<string[]> {
    const { status, body } = await v1<{ threads: ThreadView[]; next?: string }>(`/threads?agent=${agent}&limit=100`);
    expect(status).toBe(200);
    expect(body.next).toBeUndefined();
    return body.threads.map((t) => t.id).sort();
  }

  return {
    v1,
    ok,
    eventsOf,
    /** Polls GET /v1/threads/{id} until the thread exists and `done` holds. */
    async until(id: string, done: (t: ThreadView) => boolean, withinMs = 30_000): Promise<ThreadView> {
      const got = await poll(() => v1<ThreadView>(`/threads/${id}`), (r) => r.status === 200 && done(r.body), withinMs,
        (r) => `thread ${id} still ${r.status} ${JSON.stringify(r.body)}`);
      return got.body;
    },
    /** Polls the log until an event matches (e.g. the outbox's `notification_sent`, logged just after a send). */
    untilEvent(id: string, match: (e: Event) => boolean, withinMs = 30_000): Promise<Event[]> {
      return poll(() => eventsOf(id), (events) => events.some(match), withinMs, (events) => `no matching event in ${id}: ${JSON.stringify(types(events))}`);
    },
    threadIds,
    /** Polls the list until it shows the thread: the thread pushes its summary to the index after the launch returns. */
    untilListed(agent: string, id: string, withinMs = 10_000): Promise<string[]> {
      return poll(() => threadIds(agent), (ids) => ids.includes(id), withinMs, (ids) => `${id} not in ${agent}'s threads ${JSON.stringify(ids)}`);
    },
  };
}

/** Polls the server's output: workerd's console lines reach our pipe a little after the request that logged them. */
export function untilLogged(output: () => string, ok: (log: string) => boolean, withinMs = 10_000): Promise<string> {
  return poll(async () => output(), ok, withinMs, (log) => `the server output never matched; it was:\n${log}`);
}
