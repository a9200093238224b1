import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { replay, type Event, type ThreadState } from "../../src/core";
import { INDEX_PUSH_INTERVAL_MS, INDEX_TOUCH_INTERVAL_MS, IndexSync } from "../../src/runtime/index/index-sync";
import { listThreads } from "../../src/runtime/index/thread-index";

// The thread index hears of a busy thread at most once per interval (1 s for a new status
// other than running, 10 s for the rest); the latest summary always arrives (trailing
// timer, or a flush when the caller waits for idle).

const AGENT = "index-sync-probe";
const id = `isync-${Math.random().toString(36).slice(2, 8)}`;
const launched = replay([
  { seq: 1, at: "2026-01-01T00:00:00.000Z", type: "thread_launched", data: { threadId: id, agent: AGENT, message: "hi" } } as Event,
]) as ThreadState;
const at = (lastSeq: number): ThreadState => ({ ...launched, lastSeq });
const indexed = async () => (await listThreads(env, { agent: AGENT, limit: 10 })).threads.find((t) => t.id === id)?.lastSeq;

describe("IndexSync", () => {
  it("pushes the first change at once, coalesces the rest of the touch interval behind one timer, and flush or the interval delivers the latest", async () => {
    let clock = 1_000_000;
    // What the thread's wake-up is asked for: a trailing push at a time, or none owed (undefined).
    const owed: (number | undefined)[] = [];
    const timers = () => owed.filter((at) => at !== undefined);
    const sync = new IndexSync(env, () => clock, (at) => void owed.push(at));

    sync.changed(at(1));
    await sync.settled;
    expect(await indexed()).toBe(1);

    clock += 100;
    sync.changed(at(2));
    clock += 100;
    sync.changed(at(3));
    await sync.settled;
    expect(await indexed()).toBe(1); // inside the interval: not pushed yet...
    expect(timers()).toEqual([1_000_000 + INDEX_TOUCH_INTERVAL_MS]); // ...but one trailing push, asked for once, at the end of the interval

    sync.flush(at(3));
    await sync.settled;
    expect(await indexed()).toBe(3);
    expect(owed.at(-1)).toBeUndefined(); // the flush pushed: nothing owed any more
    sync.flush(at(3)); // nothing stale: no push, no timer
    await sync.settled;
    expect(timers()).toHaveLength(1);

    clock += INDEX_PUSH_INTERVAL_MS;
    sync.changed(at(4));
    await sync.settled;
    expect(await indexed()).toBe(3); // the same status a second later: still inside the touch interval
    clock += INDEX_TOUCH_INTERVAL_MS - INDEX_PUSH_INTERVAL_MS;
    sync.changed(at(5));
    await sync.settled;
    expect(await indexed()).toBe(5); // a new interval: at once
  });

  it("a new status someone may wait for goes within INDEX_PUSH_INTERVAL_MS, bringing a trailing push forward; going back to running waits for the touch interval", async () => {
    let clock = 2_000_000;
    const owed: (number | undefined)[] = [];
    const sync = new IndexSync(env, () => clock, (at) => void owed.push(at));
    const status = async () => (await listThreads(env, { agent: AGENT, limit: 10 })).threads.find((t) => t.id === id)?.status;
    sync.changed(at(10)); // running, first push: at once
    await sync.settled;
    clock += 100;
    sync.changed(at(11)); // running again: a touch, owed at the end of the touch interval
    expect(owed.at(-1)).toBe(2_000_000 + INDEX_TOUCH_INTERVAL_MS);
    clock += 100;
    sync.changed({ ...at(12), paused: true }); // paused: owed sooner, the timer moves forward
    expect(owed.at(-1)).toBe(2_000_000 + INDEX_PUSH_INTERVAL_MS);
    await sync.settled;
    expect(await status()).toBe("running");
    clock = 2_000_000 + INDEX_PUSH_INTERVAL_MS;
    sync.changed({ ...at(13), paused: true });
    await sync.settled;
    expect(await status()).toBe("paused"); // pushed once its second came
    expect(owed.at(-1)).toBeUndefined(); // nothing owed after the push

    clock += INDEX_PUSH_INTERVAL_MS;
    sync.changed(at(14)); // back to running a second later: not urgent
    await sync.settled;
    expect(await status()).toBe("paused");
    expect(owed.at(-1)).toBe(2_000_000 + INDEX_PUSH_INTERVAL_MS + INDEX_TOUCH_INTERVAL_MS);
    clock += 100;
    sync.changed({ ...at(15), paused: true }); // paused again, the status the shard has: a touch, the timer stays
    expect(owed.at(-1)).toBe(2_000_000 + INDEX_PUSH_INTERVAL_MS + INDEX_TOUCH_INTERVAL_MS);
  });

  it("carries the launch text and the newest event's type; a restarted pusher that did not see the newest event clears the type, never shows an older one", async () => {
    const thread = `isync-last-${Math.random().toString(36).slice(2, 8)}`;
    const event = (seq: number, type: string, data: object) => ({ seq, at: "2026-01-01T00:00:00.000Z", type, data }) as Event;
    const first = event(1, "thread_launched", { threadId: thread, agent: AGENT, message: `Deploy ${"x".repeat(300)}` });
    const state = (lastSeq: number): ThreadState => ({ ...(replay([first]) as ThreadState), lastSeq });
    const row = async () => (await listThreads(env, { agent: AGENT, withPending: true, limit: 50 })).threads.find((t) => t.id === thread);
    const sync = new IndexSync(env, () => 0, () => {});
    sync.saw(first);
    sync.push(state(1));
    await sync.settled;
    expect(await row()).toMatchObject({ lastSeq: 1, lastEvent: "thread_launched", launch: `Deploy ${"x".repeat(193)}` });
    sync.saw(event(2, "user_messaged", { text: "more" }));
    sync.push(state(2));
    await sync.settled;
    expect(await row()).toMatchObject({ lastSeq: 2, lastEvent: "user_messaged" });

    // A new object (eviction): it saw nothing. The same seq keeps the stored type and launch; a newer seq clears the type only.
    const restarted = new IndexSync(env, () => 0, () => {});
    restarted.push(state(2));
    await restarted.settled;
    expect(await row()).toMatchObject({ lastSeq: 2, lastEvent: "user_messaged", launch: expect.stringMatching(/^Deploy x/) });
    restarted.push(state(3));
    await restarted.settled;
    expect(await row()).toMatchObject({ lastSeq: 3, lastEvent: null, launch: expect.stringMatching(/^Deploy x/) });
    // The search finds it by launch text, in any case, and by id prefix.
    expect((await listThreads(env, { agent: AGENT, search: "DEPLOY XX", limit: 50 })).threads.map((t) => t.id)).toContain(thread);
    expect((await listThreads(env, { agent: AGENT, search: thread.slice(0, 12), limit: 50 })).threads.map((t) => t.id)).toContain(thread);
    expect((await listThreads(env, { agent: AGENT, search: "deploy%", limit: 50 })).threads.map((t) => t.id)).not.toContain(thread);
  });
});
