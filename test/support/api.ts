/** TEST ONLY: HTTP helpers against the Worker under test, through its real fetch handler. */
import { exports } from "cloudflare:workers";
import { WARM_UP_MS } from "../../src/runtime/thread/due-work";
import { env } from "cloudflare:workers";
import type { Event, ThreadId, ThreadView } from "../../src/core";
import { threadStub } from "../../src/runtime/thread-stub";

export const TOKEN = "test-token";

export async function api(path: string, init: RequestInit & { json?: unknown; token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`https://agents.test${path}`, { ...init, headers, body: body ?? null }));
}

export async function launch(agent: string, message: string, extra: Record<string, unknown> = {}, headers?: HeadersInit) {
  const response = await api(`/v1/agents/${agent}/threads`, { method: "POST", json: { message, ...extra }, ...(headers ? { headers } : {}) });
  const body = (await response.json()) as ThreadView;
  return { response, thread: body };
}

export const thread = (id: string) => threadStub(env, id as ThreadId);

/** Waits (deterministically, no sleeps) until the thread's step loop has nothing left to do. */
export async function settle(id: string): Promise<ThreadView> {
  const view = await thread(id).idle();
  if (!view) throw new Error(`thread ${id} does not exist`);
  return view;
}

export async function eventsOf(id: string): Promise<Event[]> {
  const all: Event[] = [];
  let after = 0;
  for (;;) {
    const page = await thread(id).events(after, 1000);
    all.push(...page.events);
    if (page.next === undefined) return all;
    after = page.next;
  }
}

export const types = (events: readonly Event[]) => events.map((e) => e.type);

/** Runs a thread's timer handler as the alarm would (late, twice, after eviction: the test decides). */
export async function fireTimer(id: string, payload: Record<string, unknown>): Promise<void> {
  const { runInDurableObject } = await import("cloudflare:test");
  await runInDurableObject(env.THREADS.getByName(id), async (instance) => {
    await instance.onTimer(payload);
  });
}

/**
 * The thread's armed wake-up: the object's one alarm, as a list of at most one; `time` is
 * in epoch ms. The SDK's job queue must hold no wake-up of ours (the thread owns its alarm).
 */
export async function wakeRows(id: string): Promise<{ time: number }[]> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(env.THREADS.getByName(id), async (instance, state) => {
    await instance.idle();
    const scheduled = (await instance.listSchedules()).filter((s) => s.callback === "onTimer");
    if (scheduled.length > 0) throw new Error(`thread ${id} scheduled ${scheduled.length} wake-ups through the SDK; it must own its alarm`);
    const alarm = await state.storage.getAlarm();
    return alarm === null ? [] : [{ time: alarm }];
  });
}

/**
 * The open requests whose deadline the thread's one wake-up is armed for (the wake is at
 * the earliest deadline to the millisecond, or WARM_UP_MS before it until that moment has
 * come: due-work.ts), as `{requestId, time}`.
 */
export async function deadlineTimers(id: string): Promise<{ requestId: string; time: number }[]> {
  const rows = await wakeRows(id);
  const view = await thread(id).thread();
  const row = rows[0];
  if (!row || !view) return [];
  const armedFor = (deadline: string) => row.time === Date.parse(deadline) || row.time === Date.parse(deadline) - WARM_UP_MS;
  return view.pendingRequests.filter((r) => armedFor(r.deadline)).map((r) => ({ requestId: r.requestId, time: row.time }));
}

export async function respond(id: string, body: Record<string, unknown>) {
  const response = await api(`/v1/threads/${id}/responses`, { method: "POST", json: body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: { code: string } } };
}

/** Settles a thread and its children, recursively, until nothing moves (no sleeps). */
export async function settleAll(id: string): Promise<ThreadView> {
  for (;;) {
    const before = await settle(id);
    for (const child of before.children ?? []) await settleAll(child.threadId);
    const after = await settle(id);
    if (after.lastSeq === before.lastSeq) return after;
  }
}

/** Every thread id the index lists, sorted (a rejected request must not add one). */
export async function listedThreads(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = (await (await api(`/v1/threads?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json()) as { threads: { id: string }[]; next?: string };
    ids.push(...page.threads.map((t) => t.id));
    cursor = page.next;
  } while (cursor);
  return ids.sort();
}

/**
 * Settles a thread, letting each model retry wait (a retryable error's backoff) pass on the
 * test clock and waking the thread as its one wake-up would, until no wait is left.
 */
export async function settleRetries(id: string): Promise<ThreadView> {
  const { clock } = await import("./harness");
  for (;;) {
    const view = await settle(id);
    if (!view.retryAt || view.status !== "running") return view;
    clock.advance(Math.max(0, Date.parse(view.retryAt) - clock.now()) + 1);
    await fireTimer(id, { type: "wake" });
  }
}
