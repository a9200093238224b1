/**
 * Composition (Factor 10) under fire, beyond test/runtime/composition.test.ts (which has
 * two concurrent reports, one late report timer, one deadline fired twice): 100 reports
 * at once, conflicting reports at once, every delegation timer fired many times at once
 * and late, a child's end racing its parent's deadline, and a cancel cascading through
 * two levels while being repeated. Each call gets exactly one outcome; nothing twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Event, EventOf, ThreadView } from "../../src/core";
import { api, eventsOf, fireTimer, launch, respond, settle, settleAll, thread } from "../support/api";
import { BOSS_CHILD_TIMEOUT_SECONDS } from "../support/composition-agents";
import { clock, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { assertConsistent, count, fresh } from "./consistency";

afterEach(() => {
  clock.offsetMs = 0;
});

const done = (message: string): ScriptStep => ({ tool: "done_for_now", args: { message } });
const ask = (message: string): ScriptStep => ({ tool: "request_more_information", args: { message } });
const toProbe = (steps: ScriptStep[]): ScriptStep => ({ tool: "delegate_to_probe", args: { task: `child task ${model.script(fresh("kid"), steps)}` } });
const times = <T>(n: number, make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => make(i)));


async function startBoss(steps: ScriptStep[]) {
  const id = fresh("boss");
  await launch("boss", `go ${model.script(id, steps)}`, { threadId: id });
  return { id, view: await settleAll(id) };
}

async function delegated(parent: string): Promise<EventOf<"agent_delegated">["data"]> {
  const event = (await eventsOf(parent)).find((e): e is EventOf<"agent_delegated"> => e.type === "agent_delegated");
  if (!event) throw new Error(`no delegation in ${parent}`);
  return event.data;
}

const outcomesOf = (events: readonly Event[], callId: string) =>
  events.filter((e) => (e.type === "tool_succeeded" || e.type === "tool_failed") && e.data.callId === callId);
const view = async (id: string) => (await (await api(`/v1/threads/${id}`)).json()) as ThreadView;

describe("child reports, many at once", () => {
  it("100 identical reports at once: exactly one accepted, one tool outcome, the parent's model called once for it", async () => {
    const { id } = await startBoss([toProbe([ask("?")]), done("boss done")]);
    const d = await delegated(id);
    const report = { callId: d.callId, childThreadId: d.childThreadId, agent: "probe", status: "done" as const, message: "reported" };
    const answers = await times(100, () => thread(id).childReported(report));
    expect(answers.filter((a) => a.ok && a.value.accepted)).toHaveLength(1);
    expect(answers.every((a) => a.ok)).toBe(true);
    expect((await settleAll(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(outcomesOf(events, d.callId)).toMatchObject([{ type: "tool_succeeded", data: { result: { message: "reported" } } }]);
    expect(count(events, "model_decided")).toBe(2);
  });

  it("50 'done' and 50 'failed' reports interleaved at once: one outcome, and it is the accepted report's", async () => {
    const { id } = await startBoss([toProbe([ask("?")]), done("boss done")]);
    const d = await delegated(id);
    const base = { callId: d.callId, childThreadId: d.childThreadId, agent: "probe" };
    const answers = await times(100, (i) =>
      thread(id).childReported(i % 2 === 0 ? { ...base, status: "done", message: `done ${i}` } : { ...base, status: "failed", code: "boom", message: `failed ${i}` }),
    );
    const accepted = answers.flatMap((a, i) => (a.ok && a.value.accepted ? [i] : []));
    expect(accepted).toHaveLength(1);
    await settleAll(id);
    const outcomes = outcomesOf(await eventsOf(id), d.callId);
    expect(outcomes).toHaveLength(1);
    const winner = accepted[0] ?? -1;
    expect(outcomes[0]?.type).toBe(winner % 2 === 0 ? "tool_succeeded" : "tool_failed");
    expect(JSON.stringify(outcomes[0]?.data)).toContain(`${winner % 2 === 0 ? "done" : "failed"} ${winner}`);
  });
});

describe("delegation timers fired many times, late, and at once", () => {
  it("report_to_parent x10 at once on a running child, then x10 at once an hour after it ended: one parent_notified, one outcome", async () => {
    const { id } = await startBoss([toProbe([ask("tag?"), done("child done")]), done("boss done")]);
    const d = await delegated(id);
    const parentBefore = await eventsOf(id);
    const childBefore = await eventsOf(d.childThreadId);
    await times(10, () => fireTimer(d.childThreadId, { type: "report_to_parent" }));
    await settle(d.childThreadId);
    expect(await eventsOf(d.childThreadId)).toEqual(childBefore); // nothing owed while it runs
    expect(await eventsOf(id)).toEqual(parentBefore);

    const pending = (await view(d.childThreadId)).pending;
    expect((await respond(d.childThreadId, { requestId: pending?.requestId, answer: "v1" })).status).toBe(200);
    expect((await settleAll(id)).status).toBe("done");
    const parentAfter = await eventsOf(id);
    const childAfter = await eventsOf(d.childThreadId);
    clock.advance(3_600_000);
    await times(10, () => fireTimer(d.childThreadId, { type: "report_to_parent" }));
    await settleAll(id);
    expect(await eventsOf(d.childThreadId)).toEqual(childAfter);
    expect(await eventsOf(id)).toEqual(parentAfter);
    expect(count(childAfter, "parent_notified")).toBe(1);
    expect(outcomesOf(parentAfter, d.callId)).toHaveLength(1);
  });

  it("agent_deadline x20 at once, late: one agent_timeout, the child cancelled once; launch_children x10 after launches nothing", async () => {
    const { id } = await startBoss([toProbe([ask("anyone?")]), done("gave up")]);
    const d = await delegated(id);
    clock.advance((BOSS_CHILD_TIMEOUT_SECONDS + 60) * 1000);
    await times(20, () => fireTimer(id, { type: "agent_deadline", callId: d.callId }));
    await times(10, () => fireTimer(id, { type: "launch_children" }));
    await times(5, () => fireTimer(id, { type: "cancel_children" }));
    expect((await settleAll(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(outcomesOf(events, d.callId)).toMatchObject([{ type: "tool_failed", data: { code: "agent_timeout" } }]);
    const child = await eventsOf(d.childThreadId);
    expect(count(child, "thread_launched")).toBe(1);
    expect(count(child, "thread_cancelled")).toBe(1);
    expect(count(child, "parent_notified")).toBe(1);
  });

  // The race below may go either way, so each order is also pinned by a test of its own:
  // every run checks both outcomes, not whichever one the scheduler picked.
  it("the child's end lands first, then 5 late deadline firings: the child's result is the one outcome; the firings change nothing", async () => {
    const { id } = await startBoss([toProbe([ask("tag?"), done("child finished in time")]), done("boss done")]);
    const d = await delegated(id);
    const pending = (await view(d.childThreadId)).pending;
    expect((await respond(d.childThreadId, { requestId: pending?.requestId, answer: "v1" })).status).toBe(200);
    expect((await settleAll(id)).status).toBe("done");
    const parent = await eventsOf(id);
    const child = await eventsOf(d.childThreadId);
    clock.advance((BOSS_CHILD_TIMEOUT_SECONDS + 1) * 1000);
    await times(5, () => fireTimer(id, { type: "agent_deadline", callId: d.callId }));
    await settleAll(id);
    expect(await eventsOf(id)).toEqual(parent);
    expect(await eventsOf(d.childThreadId)).toEqual(child);
    assertConsistent(parent);
    expect(outcomesOf(parent, d.callId)).toMatchObject([{ type: "tool_succeeded", data: { result: { message: "child finished in time" } } }]);
    expect((await view(d.childThreadId)).status).toBe("done");
    expect(count(child, "parent_notified")).toBe(1);
  });

  it("5 late deadline firings land first, then the child's answer: agent_timeout is the one outcome; the cancelled child takes no answer", async () => {
    const { id } = await startBoss([toProbe([ask("tag?"), done("child finished too late")]), done("boss done")]);
    const d = await delegated(id);
    const pending = (await view(d.childThreadId)).pending;
    clock.advance((BOSS_CHILD_TIMEOUT_SECONDS + 1) * 1000);
    await times(5, () => fireTimer(id, { type: "agent_deadline", callId: d.callId }));
    expect((await settleAll(id)).status).toBe("done");
    const parent = await eventsOf(id);
    const answer = await respond(d.childThreadId, { requestId: pending?.requestId, answer: "v1" });
    expect(answer.status).toBe(409);
    await settleAll(id);
    expect(await eventsOf(id)).toEqual(parent);
    assertConsistent(parent);
    expect(outcomesOf(parent, d.callId)).toMatchObject([{ type: "tool_failed", data: { code: "agent_timeout" } }]);
    const child = await eventsOf(d.childThreadId);
    expect(count(child, "thread_cancelled")).toBe(1);
    expect(count(child, "human_responded")).toBe(0);
  });

  it("the child's end and 5 late deadline firings at once: exactly one outcome, whichever lands first, and the parent finishes", async () => {
    const { id } = await startBoss([toProbe([ask("tag?"), done("child finished in time")]), done("boss done")]);
    const d = await delegated(id);
    const pending = (await view(d.childThreadId)).pending;
    clock.advance((BOSS_CHILD_TIMEOUT_SECONDS + 1) * 1000);
    await Promise.all([
      respond(d.childThreadId, { requestId: pending?.requestId, answer: "v1" }),
      ...Array.from({ length: 5 }, () => fireTimer(id, { type: "agent_deadline", callId: d.callId })),
    ]);
    expect((await settleAll(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    const outcomes = outcomesOf(events, d.callId);
    expect(outcomes).toHaveLength(1);
    // One of the two outcomes pinned above, and the child agrees with it.
    const childStatus = (await view(d.childThreadId)).status;
    const won = outcomes[0]?.type === "tool_succeeded" ? "child" : "deadline";
    expect({ won, outcome: outcomes[0]?.data }).toMatchObject(
      won === "child" ? { outcome: { result: { message: "child finished in time" } } } : { outcome: { code: "agent_timeout" } },
    );
    expect(won === "child" ? childStatus === "done" : ["cancelled", "done"].includes(childStatus)).toBe(true);
    expect(count(await eventsOf(d.childThreadId), "parent_notified")).toBe(1);
  });
});

describe("cancel cascade", () => {
  it("cancelling the root 20 times at once cancels child and grandchild exactly once each; nothing is reported as a result", async () => {
    const grandchild = model.script(fresh("gc"), [ask("deep question?")]);
    const middle = model.script(fresh("mid"), [{ tool: "delegate_to_probe", args: { task: `grandchild ${grandchild}` } }, done("middle done")]);
    const { id, view: started } = await startBoss([{ tool: "delegate_to_boss", args: { task: `middle ${middle}` } }, done("root done")]);
    expect(started.status).toBe("waiting_for_agent");
    const toMiddle = await delegated(id);
    const toGrandchild = await delegated(toMiddle.childThreadId);
    expect((await view(toGrandchild.childThreadId)).status).toBe("waiting_for_human");

    const answers = await times(20, () => api(`/v1/threads/${id}/cancel`, { method: "POST", json: { reason: "stop everything" } }));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    await settleAll(id);
    await settleAll(toMiddle.childThreadId);
    await settle(toGrandchild.childThreadId);
    await times(5, () => fireTimer(id, { type: "cancel_children" }));
    await times(5, () => fireTimer(toMiddle.childThreadId, { type: "cancel_children" }));
    await settleAll(id);

    for (const member of [id, toMiddle.childThreadId, toGrandchild.childThreadId]) {
      const events = await eventsOf(member);
      assertConsistent(events);
      expect(count(events, "thread_cancelled"), member).toBe(1);
      expect((await view(member)).status).toBe("cancelled");
    }
    // The cancelled children's reports are recorded once, never taken as results.
    expect(outcomesOf(await eventsOf(id), toMiddle.callId)).toHaveLength(0);
    expect(outcomesOf(await eventsOf(toMiddle.childThreadId), toGrandchild.callId)).toHaveLength(0);
    expect(count(await eventsOf(toMiddle.childThreadId), "parent_notified")).toBe(1);
    expect(count(await eventsOf(toGrandchild.childThreadId), "parent_notified")).toBe(1);
  });
});
