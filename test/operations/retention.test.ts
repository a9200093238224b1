/**
 * THREAD_RETENTION_DAYS: a finished thread erases itself on its own timer, through the
 * Agent SDK's job driver (fake Date reaches the objects; runDurableObjectAlarm fires the
 * alarm), like every other timed obligation (test/runtime/wake.test.ts).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { timers } from "../../src/core";
import { api, launch, listedThreads, settle, thread, wakeRows } from "../support/api";
import { model } from "../support/harness";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
});
afterEach(() => {
  vi.useRealTimers();
});

const DAY = 86_400_000;
const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);

/** The production env with a retention setting, on this object only (the suite's env keeps threads forever). */
async function withRetention(id: string, days: string): Promise<void> {
  await runInDurableObject(env.THREADS.getByName(id), async (instance) => {
    // `env` is protected on a Durable Object; a test may replace it on this one instance.
    const current = (instance as unknown as { env: Env }).env;
    Object.defineProperty(instance, "env", { value: { ...current, THREAD_RETENTION_DAYS: days }, configurable: true });
    await instance.due.wake.rearm();
  });
}

describe("retention: THREAD_RETENTION_DAYS erases finished threads on their own timer", () => {
  it("arms one wake at end + N days; before it nothing happens; at it the storage and index entry are gone", async () => {
    const id = `ret-${run}-1`;
    await launch("scout", `go ${model.script(id, [{ tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: id });
    const view = await settle(id);
    expect(view.status).toBe("done");
    await withRetention(id, "2");
    const endedAt = Date.parse(view.updatedAt);
    const rows = await wakeRows(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.time).toBe(endedAt + 2 * DAY);

    vi.setSystemTime(endedAt + DAY); // a day early: an alarm now changes nothing
    await runDurableObjectAlarm(env.THREADS.getByName(id));
    expect((await api(`/v1/threads/${id}`)).status).toBe(200);

    vi.setSystemTime(endedAt + 2 * DAY + 1000);
    expect(await runDurableObjectAlarm(env.THREADS.getByName(id))).toBe(true);
    expect((await api(`/v1/threads/${id}`)).status).toBe(404);
    expect(await listedThreads()).not.toContain(id);
  });

  it("a thread that has not finished owes no erase, however old", () => {
    const state = { end: undefined, endedAt: undefined, pending: [], outbox: [], calls: [], paused: false } as unknown as Parameters<typeof timers>[0];
    expect(timers(state, {}, { retentionMs: DAY }).filter((o) => o.kind === "erase")).toEqual([]);
  });

  it("without the setting a finished thread keeps nothing armed", async () => {
    const id = `ret-${run}-2`;
    await launch("scout", `go ${model.script(id, [{ tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: id });
    await settle(id);
    expect(await wakeRows(id)).toEqual([]);
    expect((await thread(id).thread())?.status).toBe("done");
  });
});
