/**
 * Invariant 9 through the object's own alarm: every timer kind fires because time passed
 * and workerd ran the object's alarm (`runDurableObjectAlarm`), never because a test
 * called a handler. vitest's fake Date reaches the Durable Objects, which run in the
 * test's isolate.
 *
 * This is the file that fails if any timer kind is ever lost again: each test lets the
 * due time pass, runs the alarm, and expects the obligation's event.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { retryDelayMs } from "../../src/channels";
import { WARM_UP_MS, warmAt } from "../../src/runtime/thread/due-work";
import type { Event, ThreadView } from "../../src/core";
import { api, eventsOf, launch, settle, settleAll, thread, wakeRows } from "../support/api";
import { BOSS_CHILD_TIMEOUT_SECONDS } from "../support/composition-agents";
import { model, webhook } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

beforeEach(() => {
  // Frozen at 1 ms past a whole second: a wake-up rounded to the second (as the SDK's
  // scheduler stored them) would be 999 ms off; ours is at the due millisecond. A day ahead
  // of the real clock: workerd's own alarm (set on the test's clock) then never fires by
  // itself in the middle of a test, behind a clock that stands still; runDurableObjectAlarm does.
  vi.useFakeTimers({ toFake: ["Date"], now: Math.floor(Date.now() / 1000) * 1000 + 86_400_000 + 1 });
});
afterEach(() => {
  vi.useRealTimers();
  webhook.failNext = 0;
});

let n = 0;
const uid = (p: string) => `wake-${p}-${++n}-${Math.random().toString(36).slice(2, 6)}`;
const done = (message = "done"): ScriptStep => ({ tool: "done_for_now", args: { message } });
const count = (events: Event[], type: Event["type"]) => events.filter((e) => e.type === type).length;

/** Time passes, for the runtime's clock. */
const pass = (ms: number) => vi.setSystemTime(Date.now() + ms);

/** Time passes until the wake-up for `dueAt` is due: the due millisecond itself. */
const passTo = (dueAt: string | number) => vi.setSystemTime(Math.max(Date.now(), new Date(dueAt).getTime()));

/** workerd fires the object's alarm: the thread does whatever is due by now. */
async function alarm(id: string): Promise<ThreadView> {
  await runDurableObjectAlarm(env.THREADS.getByName(id));
  return settle(id);
}

async function start(agent: string, steps: ScriptStep[], extra: Record<string, unknown> = {}) {
  const id = uid(agent);
  await launch(agent, `go ${model.script(id, steps)}`, { threadId: id, ...extra });
  return { id, view: await settle(id) };
}

/** Exactly one wake-up is armed for the given deadline: WARM_UP_MS before it until that moment comes, then at its millisecond. */
async function expectOneWakeAt(id: string, dueAt: string) {
  const rows = await wakeRows(id);
  expect(rows).toEqual([{ time: warmAt(Date.parse(dueAt), Date.now()) }]);
}

describe("every timer kind fires through the object's alarm", () => {
  it("human deadline (deny): an alarm before it changes nothing; at it, one timeout, and the model hears of it", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("deny") } }, done()], { humanTimeoutSeconds: 2, onHumanTimeout: "deny" });
    expect(view.status).toBe("waiting_for_human");
    const deadline = view.pending!.deadline;
    // Armed to warm the thread up a second early...
    expect(await wakeRows(id)).toEqual([{ time: Date.parse(deadline) - WARM_UP_MS }]);

    pass(Date.parse(deadline) - WARM_UP_MS - Date.now());
    await alarm(id);
    expect(count(await eventsOf(id), "human_timed_out")).toBe(0);
    // ...which does nothing but re-arm at the deadline's own millisecond.
    expect(await wakeRows(id)).toEqual([{ time: Date.parse(deadline) }]);

    pass(Date.parse(deadline) - Date.now() - 1);
    await alarm(id); // 1 ms before the deadline: nothing yet
    expect(count(await eventsOf(id), "human_timed_out")).toBe(0);
    await expectOneWakeAt(id, deadline);
    pass(1); // at the deadline's millisecond
    const after = await alarm(id);
    expect(after.status).toBe("done");
    const events = await eventsOf(id);
    expect(count(events, "human_timed_out")).toBe(1);
    expect(await wakeRows(id)).toEqual([]); // nothing owed: nothing armed

    pass(10_000);
    await alarm(id); // a late second alarm: nothing more
    expect(await eventsOf(id)).toEqual(events);
  });

  it("escalate: the escalation contact is notified once, then the extended deadline denies", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded_escalate", args: { label: uid("esc") } }, done()], { humanTimeoutSeconds: 2 });
    pass(Date.parse(view.pending!.deadline) - Date.now() + 999);
    const escalated = await alarm(id);
    expect(escalated.status).toBe("waiting_for_human");
    expect(escalated.pending?.escalated).toBe(true);
    const escalations = webhook.for(id).filter((r) => r.body["purpose"] === "escalation");
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.body["escalationContact"]).toBe("@oncall");
    await expectOneWakeAt(id, escalated.pending!.deadline);

    pass(Date.parse(escalated.pending!.deadline) - Date.now() + 999);
    expect((await alarm(id)).status).toBe("done");
    const events = await eventsOf(id);
    expect(count(events, "human_escalated")).toBe(1);
    expect(count(events, "human_timed_out")).toBe(1);
  });

  it("fail (a launch override of the tool's deny): the thread fails with human_timeout", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("fail") } }], { humanTimeoutSeconds: 2, onHumanTimeout: "fail" });
    expect(view.pending?.onTimeout).toBe("fail");
    pass(3_000);
    expect(await alarm(id)).toMatchObject({ status: "failed", error: { code: "human_timeout" } });
  });

  it("outbox retry: a webhook that fails twice is retried at the documented backoff and lands once", async () => {
    webhook.failNext = 2;
    const { id } = await start("probe", [{ tool: "guarded", args: { label: uid("outbox") } }], { humanTimeoutSeconds: 3_600 });
    const failed = () => eventsOf(id).then((e) => e.filter((x) => x.type === "notification_failed"));
    expect(await failed()).toHaveLength(1);
    const first = (await failed())[0]!;
    expect(Date.parse(first.type === "notification_failed" ? first.data.retryAt! : "")).toBe(Date.parse(first.at) + retryDelayMs(1));
    pass(retryDelayMs(1) - 1_000);
    await alarm(id);
    expect(await failed()).toHaveLength(1); // not yet
    passTo(Date.parse(first.at) + retryDelayMs(1));
    await alarm(id);
    const second = (await failed())[1]!;
    expect(second).toBeDefined();
    expect(Date.parse(second.type === "notification_failed" ? second.data.retryAt! : "")).toBe(Date.parse(second.at) + retryDelayMs(2));
    passTo(Date.parse(second.at) + retryDelayMs(2));
    await alarm(id);
    const events = await eventsOf(id);
    expect(count(events, "notification_sent")).toBe(1);
    expect(webhook.for(id)).toHaveLength(1);
  });

  it("model retry: a 429 waits out its backoff (retryAt in the thread), then the model is called again", async () => {
    const { id, view } = await start("probe", [{ status: 429 }, done("recovered")]);
    expect(view.status).toBe("running");
    expect(view.retryAt).toBeDefined();
    const failedAt = (await eventsOf(id)).find((e) => e.type === "model_failed")!.at;
    const wait = Date.parse(view.retryAt!) - Date.parse(failedAt);
    expect(wait).toBeGreaterThanOrEqual(500); // 1 s base, jitter in [0.5, 1)
    expect(wait).toBeLessThanOrEqual(1_000);
    await alarm(id); // nothing due yet: still waiting, the model not called
    expect(count(await eventsOf(id), "model_decided")).toBe(0);
    passTo(view.retryAt!);
    expect(await alarm(id)).toMatchObject({ status: "done", result: { message: "recovered" } });
  });

  it("delegation deadline: the parent records agent_timeout and cancels the child", async () => {
    const boss = uid("boss");
    const child = uid("kid");
    await launch("boss", `go ${model.script(boss, [{ tool: "delegate_to_probe", args: { task: `t ${model.script(child, [{ tool: "request_more_information", args: { message: "hm?" } }])}` } }, done("boss gave up")])}`, { threadId: boss });
    const waiting = await settleAll(boss);
    expect(waiting.status).toBe("waiting_for_agent");
    const childId = waiting.children![0]!.threadId;
    pass(BOSS_CHILD_TIMEOUT_SECONDS * 1_000 + 999);
    await alarm(boss);
    const view = await settleAll(boss);
    expect(view.status).toBe("done");
    const timedOut = (await eventsOf(boss)).filter((e) => e.type === "tool_failed" && e.data.code === "agent_timeout");
    expect(timedOut).toHaveLength(1);
    expect((await settle(childId)).status).toBe("cancelled");
  });

  it("fork of a waiting thread: the fork arms and fires its own copied deadline", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("fork") } }, done()], { humanTimeoutSeconds: 4, onHumanTimeout: "deny" });
    const forkId = uid("forked");
    model.script(id, [done("fork done")]);
    const response = await api(`/v1/threads/${id}/fork`, { method: "POST", json: { atSeq: view.lastSeq, threadId: forkId } });
    expect(response.status).toBe(201);
    await expectOneWakeAt(forkId, view.pending!.deadline);
    pass(5_000);
    await alarm(forkId);
    expect(count(await eventsOf(forkId), "human_timed_out")).toBe(1);
  });

  it("eviction: the armed wake-up survives; after the deadline the alarm records the timeout once", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("evict") } }, done()], { humanTimeoutSeconds: 2, onHumanTimeout: "deny" });
    await evictDurableObject(env.THREADS.getByName(id));
    pass(3_000);
    expect((await alarm(id)).status).toBe("done");
    await evictDurableObject(env.THREADS.getByName(id));
    await alarm(id);
    expect(count(await eventsOf(id), "human_timed_out")).toBe(1);
    expect(view.pending).toBeDefined();
  });

  it("an early wake (a row left by an older version) does nothing but re-arm, and that re-arm survives", async () => {
    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("early") } }, done()], { humanTimeoutSeconds: 3, onHumanTimeout: "deny" });
    const requestId = view.pending!.requestId;
    // An old per-kind row in the SDK's queue, due a second early as its flooring used to make
    // it, found by the next instance (rows like it exist only in objects an older version armed).
    await runInDurableObject(env.THREADS.getByName(id), async (instance) => {
      await instance.schedule(new Date(Date.now() + 1_000), "onTimer", { type: "human_deadline", requestId }, { idempotent: true });
    });
    await evictDurableObject(env.THREADS.getByName(id));
    const before = await eventsOf(id);
    pass(1_500);
    await alarm(id);
    expect(await eventsOf(id)).toEqual(before); // woke early: nothing appended
    await expectOneWakeAt(id, view.pending!.deadline); // ...and exactly one wake-up still armed
    passTo(view.pending!.deadline);
    expect((await alarm(id)).status).toBe("done");
    expect(count(await eventsOf(id), "human_timed_out")).toBe(1);
  });

  it("a thread that ends disarms its wake-up: nothing is left to fire", async () => {
    const { id } = await start("probe", [{ tool: "guarded", args: { label: uid("end") } }], { humanTimeoutSeconds: 60 });
    expect(await wakeRows(id)).toHaveLength(1);
    expect((await api(`/v1/threads/${id}/cancel`, { method: "POST" })).status).toBe(200);
    await thread(id).idle();
    expect(await wakeRows(id)).toEqual([]);
  });
});

describe("timeout policies are reachable and shown", () => {
  it("onHumanTimeout on launch is validated (400, nothing created), recorded on thread_launched and shown on the thread", async () => {
    const bad = uid("bad");
    const refused = await api("/v1/agents/probe/threads", { method: "POST", json: { message: "go", threadId: bad, onHumanTimeout: "maybe" } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBeTruthy();
    expect(await thread(bad).thread()).toBeNull();

    const { id, view } = await start("probe", [{ tool: "guarded", args: { label: uid("policy") } }], { onHumanTimeout: "escalate" });
    expect(view.onHumanTimeout).toBe("escalate");
    expect(view.pending?.onTimeout).toBe("escalate"); // the launch's policy beats the tool's deny
    const launched = (await eventsOf(id))[0];
    expect(launched?.type === "thread_launched" && launched.data.onHumanTimeout).toBe("escalate");
  });

  it("GET /v1/agents shows deploybot's production policy (escalate) and each delegate's timeoutSeconds", async () => {
    type Listed = { name: string; onHumanTimeout: string; tools: { name: string; onHumanTimeout?: string; timeoutSeconds?: number }[] };
    const { agents } = (await (await api("/v1/agents")).json()) as { agents: Listed[] };
    const deploybot = agents.find((a) => a.name === "deploybot")!;
    expect(deploybot.tools.find((t) => t.name === "deploy_backend")?.onHumanTimeout).toBe("escalate");
    expect(deploybot.tools.find((t) => t.name === "deploy_frontend")?.onHumanTimeout).toBe("escalate");
    const boss = agents.find((a) => a.name === "boss")!;
    expect(boss.tools.find((t) => t.name === "delegate_to_probe")?.timeoutSeconds).toBe(BOSS_CHILD_TIMEOUT_SECONDS);
  });
});
