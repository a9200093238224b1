import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import { Event, type Event as EventT } from "../../src/core";
import { cronExpressions, cronThreadId, defineCronJobs } from "../../src/triggers/cron";
import { cronJobs } from "../../src/triggers/cron-jobs";
import { eventsOf, launch, settle, thread } from "../support/api";
import { DAILY_8, EVERY_5 } from "../support/cron-jobs";
import { model } from "../support/harness";
import worker from "../support/worker";

// Factor 11, cron: a tick launches one thread per job of the fired expression, named by
// job and scheduledTime, so a retried or duplicated tick launches nothing twice.

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the Worker's scheduled handler as the runtime would, and waits for its waitUntil work. */
async function tick(cron: string, scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController({ cron, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const done = (message: string) => [{ tool: "done_for_now", args: { message } }];
// Distinct ticks per test (storage persists across the tests of this file).
let slot = 0;
const nextTick = () => Date.UTC(2031, 0, 1, 0, 0, 0) + ++slot * 3_600_000 + 17_000; // off the minute on purpose

const launched = (events: readonly EventT[]) => events.filter((e) => e.type === "thread_launched");

describe("job list", () => {
  it("matches wrangler.toml's [triggers] crons exactly", () => {
    const section = /\[triggers\][^[]*?crons\s*=\s*\[([^\]]*)\]/.exec(wranglerToml);
    expect(section, "wrangler.toml has a [triggers] crons list").not.toBeNull();
    const configured = [...(section?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
    expect(configured).toEqual(cronExpressions(cronJobs));
    expect(cronJobs.map((j) => j.agent)).toContain("digest");
  });

  it("is checked at definition: unknown agent, duplicate name, bad expression or name throw", () => {
    const agents = agentRegistry([deploybot]);
    const job = { name: "nightly", cron: "0 3 * * *", agent: "deploybot", message: "go" };
    expect(defineCronJobs(agents, [job])).toHaveLength(1);
    expect(() => defineCronJobs(agents, [{ ...job, agent: "nobody" }])).toThrow(/unknown agent "nobody"/);
    expect(() => defineCronJobs(agents, [job, { ...job, cron: "0 4 * * *" }])).toThrow(/defined twice/);
    expect(() => defineCronJobs(agents, [{ ...job, cron: "every night" }])).toThrow(/five space-separated fields/);
    expect(() => defineCronJobs(agents, [{ ...job, name: "Nightly Job" }])).toThrow(/cron job "Nightly Job"/);
  });

  it("names threads by job and minute: the same minute is the same thread", () => {
    const t = Date.UTC(2031, 4, 6, 8, 0, 0);
    expect(cronThreadId("daily-digest", t)).toBe("cron-daily-digest-20310506T0800Z");
    expect(cronThreadId("daily-digest", t + 59_999)).toBe(cronThreadId("daily-digest", t));
    expect(cronThreadId("daily-digest", t + 60_000)).not.toBe(cronThreadId("daily-digest", t));
  });
});

describe("scheduled()", () => {
  it("a tick launches exactly one thread per matching job, with a cron source; other jobs do not run", async () => {
    model.script("cron-a", done("a done"));
    model.script("cron-b", done("b done"));
    const t = nextTick();
    await tick(EVERY_5, t);

    const a = cronThreadId("probe-a", t);
    const b = cronThreadId("probe-b", t);
    expect((await settle(a)).status).toBe("done");
    expect((await settle(b)).status).toBe("done");
    expect(model.consumed("cron-a")).toBe(1);
    expect(model.consumed("cron-b")).toBe(1);
    // Jobs of other expressions did not run at this tick.
    expect(await thread(cronThreadId("probe-hourly", t)).thread()).toBeNull();
    expect(await thread(cronThreadId("daily-digest", t)).thread()).toBeNull();

    const events = await eventsOf(a);
    expect(launched(events)).toHaveLength(1);
    const first = events[0];
    // The same event shape as an HTTP launch; only the source differs.
    expect(Event.safeParse(first).success).toBe(true);
    expect(first).toMatchObject({
      type: "thread_launched",
      key: "launch",
      data: { threadId: a, agent: "probe", message: "tick a [script:cron-a]", metadata: { job: "a" } },
      source: { kind: "cron", detail: { job: "probe-a", cron: EVERY_5, scheduledTime: new Date(t).toISOString() } },
    });
  });

  it("the same scheduledTime again (a retry) launches nothing and appends nothing", async () => {
    model.script("cron-a", done("a done"));
    model.script("cron-b", done("b done"));
    const t = nextTick();
    await tick(EVERY_5, t);
    const ids = [cronThreadId("probe-a", t), cronThreadId("probe-b", t)];
    for (const id of ids) await settle(id);
    const before = await Promise.all(ids.map(eventsOf));

    await tick(EVERY_5, t);
    await Promise.all([tick(EVERY_5, t), tick(EVERY_5, t + 30_000)]); // duplicates, concurrently, same minute
    for (const id of ids) await settle(id);
    expect(await Promise.all(ids.map(eventsOf))).toEqual(before);
    expect(model.consumed("cron-a")).toBe(1);
    expect(model.consumed("cron-b")).toBe(1);
  });

  it("a different scheduledTime launches new threads", async () => {
    model.script("cron-a", done("a done"));
    model.script("cron-b", done("b done"));
    const t1 = nextTick();
    const t2 = t1 + 5 * 60_000;
    await tick(EVERY_5, t1);
    await tick(EVERY_5, t2);
    const first = cronThreadId("probe-a", t1);
    const second = cronThreadId("probe-a", t2);
    expect(second).not.toBe(first);
    expect((await settle(first)).status).toBe("done");
    expect((await settle(second)).status).toBe("done");
    expect(launched(await eventsOf(second))).toHaveLength(1);
    expect(model.consumed("cron-a")).toBe(2);
  });

  it("an expression with no job does nothing and logs a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const t = nextTick();
    await tick("7 7 * * *", t);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('cron "7 7 * * *" fired but no job is configured'));
    for (const job of ["probe-a", "probe-b", "probe-hourly", "daily-digest"]) {
      expect(await thread(cronThreadId(job, t)).thread()).toBeNull();
    }
  });

  it("one job failing to launch does not stop the others, and is logged", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    model.script("cron-a", done("a done"));
    const t = nextTick();
    // probe-b's thread id for this tick is already taken by a deploybot thread: its launch is refused.
    const taken = cronThreadId("probe-b", t);
    const blocker = model.script(`blocker-${t}`, done("blocker done"));
    expect((await launch("deploybot", `occupy ${blocker}`, { threadId: taken })).response.status).toBe(201);
    await settle(taken);
    const blockerEvents = await eventsOf(taken);

    await tick(EVERY_5, t);
    expect((await settle(cronThreadId("probe-a", t))).status).toBe("done");
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/cron job "probe-b" .* failed to launch thread .*thread_exists/));
    expect(await eventsOf(taken)).toEqual(blockerEvents);
  });

  it("the daily expression launches the digest job", async () => {
    model.script("cron-digest", done("nothing waiting"));
    const t = nextTick();
    await tick(DAILY_8, t);
    const id = cronThreadId("daily-digest", t);
    expect(await settle(id)).toMatchObject({ agent: "digest", status: "done" });
  });
});
