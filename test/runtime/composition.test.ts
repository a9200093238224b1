import { abortAllDurableObjects, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { agentRegistry, defineAgent, delegateTo, doneForNow } from "../../src/agents";
import { CallId, ThreadId, type Event, type EventOf, type ThreadView } from "../../src/core";
import { childThreadId } from "../../src/runtime/thread/delegation";
import { api, eventsOf, fireTimer, launch, respond, settle, settleAll, thread, types } from "../support/api";
import { BOSS_CHILD_TIMEOUT_SECONDS, BOSS_MAX_CHILDREN } from "../support/composition-agents";
import { clock, gate, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

afterEach(() => {
  clock.offsetMs = 0;
});

let n = 0;
const uid = (p: string) => `${p}${++n}-${Math.random().toString(36).slice(2, 6)}`;
const done = (message: string): ScriptStep => ({ tool: "done_for_now", args: { message } });
const ask = (message: string): ScriptStep => ({ tool: "request_more_information", args: { message } });
/** A parent step that hands a scripted task to a probe child. */
const toProbe = (childScript: string, steps: ScriptStep[], tool = "delegate_to_probe"): ScriptStep => ({
  tool,
  args: { task: `child task ${model.script(childScript, steps)}` },
});


/** Launches a boss thread; settles it and its children unless a child is meant to stay blocked. */
async function startBoss(steps: ScriptStep[], { children = true } = {}) {
  const id = uid("boss-");
  await launch("boss", `go ${model.script(id, steps)}`, { threadId: id });
  return { id, view: children ? await settleAll(id) : await settle(id) };
}

const of = <T extends Event["type"]>(events: Event[], type: T) => events.filter((e): e is Extract<Event, { type: T }> => e.type === type);
const delegated = async (parent: string, index = 0): Promise<EventOf<"agent_delegated">["data"]> => {
  const event = of(await eventsOf(parent), "agent_delegated")[index];
  if (!event) throw new Error(`no delegation ${index} in ${parent}`);
  return event.data;
};
const outcomesOf = (events: Event[], callId: string) =>
  events.filter((e) => (e.type === "tool_succeeded" || e.type === "tool_failed") && e.data.callId === callId);
const get = async (id: string) => (await (await api(`/v1/threads/${id}`)).json()) as ThreadView;

describe("a parent delegates to a child agent in its own thread", () => {
  it("happy path: the child's final answer is the parent's tool result; both logs link to each other", async () => {
    const child = uid("kid-");
    const { id, view } = await startBoss([
      toProbe(child, [{ tool: "echo", args: { text: "hi" } }, done("child says hi")]),
      done("boss done"),
    ]);
    expect(view.status).toBe("done");
    expect(view.result?.message).toBe("boss done");

    const d = await delegated(id);
    expect(d).toMatchObject({ tool: "delegate_to_probe", agent: "probe", depth: 1 });
    const parentEvents = await eventsOf(id);
    const outcomes = outcomesOf(parentEvents, d.callId);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ type: "tool_succeeded", key: `outcome:${d.callId}`, data: { result: { agent: "probe", threadId: d.childThreadId, message: "child says hi" } } });
    expect(types(parentEvents)).toEqual(["thread_launched", "model_decided", "agent_delegated", "tool_succeeded", "model_decided", "thread_finished"]);
    // The parent's model saw the child's answer as the ordinary tool result.
    expect(model.requests(id)[1]?.messages[1]?.content).toContain("<delegate_to_probe_result");
    expect(model.requests(id)[1]?.messages[1]?.content).toContain("child says hi");

    const childEvents = await eventsOf(d.childThreadId);
    expect(childEvents[0]).toMatchObject({ type: "thread_launched", data: { agent: "probe", parent: { threadId: id, callId: d.callId }, depth: 1 } });
    expect(childEvents.at(-1)).toMatchObject({ type: "parent_notified", data: { threadId: id, callId: d.callId, status: "done", accepted: true } });

    // Views link both ways.
    expect(await get(d.childThreadId)).toMatchObject({ status: "done", parent: { threadId: id, callId: d.callId }, depth: 1 });
    expect((await get(id)).children).toEqual([{ threadId: d.childThreadId, agent: "probe", callId: d.callId, status: "done", deadline: d.deadline }]);
  });

  it("while the child waits for a human the parent is waiting_for_agent (thread view, list filter); answering the child completes both", async () => {
    const child = uid("kid-");
    const { id, view } = await startBoss([toProbe(child, [ask("Which region?"), done("deployed to eu")]), done("boss done")]);
    expect(view.status).toBe("waiting_for_agent");
    const d = await delegated(id);

    const parentView = await get(id);
    expect(parentView.status).toBe("waiting_for_agent");
    expect(parentView.children).toMatchObject([{ threadId: d.childThreadId, agent: "probe", status: "waiting_for_human" }]);
    const childView = await get(d.childThreadId);
    expect(childView).toMatchObject({ status: "waiting_for_human", parent: { threadId: id, callId: d.callId } });
    const listed = (await (await api(`/v1/threads?status=waiting_for_agent&agent=boss&limit=100`)).json()) as { threads: { id: string }[] };
    expect(listed.threads.map((t) => t.id)).toContain(id);

    // The child's human request is an ordinary one, answered on the child.
    expect((await respond(d.childThreadId, { requestId: childView.pending!.requestId, answer: "eu" })).status).toBe(200);
    const after = await settleAll(id);
    expect(after.status).toBe("done");
    expect(outcomesOf(await eventsOf(id), d.callId)).toHaveLength(1);
  });

  it("releasebot hands the deploy to deploybot; deploybot's production approval is answered on the child; releasebot finishes", async () => {
    const id = uid("rel-");
    const childScript = uid("dep-");
    const childMarker = model.script(childScript, [
      { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } },
      done("Deployed backend v1.2.3 to production."),
    ]);
    await launch(
      "releasebot",
      `release v1.2.3 backend to prod ${model.script(id, [
        { tool: "delegate_to_deploybot", args: { tag: "v1.2.3", environment: "production", services: ["backend"], notes: childMarker } },
        done("Released v1.2.3 (backend, production)."),
      ])}`,
      { threadId: id },
    );
    const waiting = await settleAll(id);
    expect(waiting.status).toBe("waiting_for_agent");
    const d = await delegated(id);
    expect(d.agent).toBe("deploybot");
    const launched = (await eventsOf(d.childThreadId))[0];
    expect(launched?.type === "thread_launched" && launched.data.message).toContain("Deploy backend at tag v1.2.3 to production.");

    const child = await get(d.childThreadId);
    expect(child.pending).toMatchObject({ kind: "approval", tool: { name: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } } });
    expect((await get(id)).children?.[0]?.status).toBe("waiting_for_human");
    expect((await respond(d.childThreadId, { requestId: child.pending!.requestId, approved: true })).status).toBe(200);

    const final = await settleAll(id);
    expect(final).toMatchObject({ status: "done", result: { message: "Released v1.2.3 (backend, production)." } });
    const deployed = of(await eventsOf(d.childThreadId), "tool_succeeded")[0];
    expect(deployed?.data.result).toMatchObject({ demo: true });
    expect(outcomesOf(await eventsOf(id), d.callId)[0]).toMatchObject({
      type: "tool_succeeded",
      data: { result: { agent: "deploybot", message: "Deployed backend v1.2.3 to production." } },
    });
  });
});

describe("failures come back as compact tool errors", () => {
  it("a child that fails: the parent's model sees agent_failed and carries on", async () => {
    const child = uid("kid-");
    const { id } = await startBoss([toProbe(child, [{ tool: "guarded_fail", args: { label: "x" } }]), done("handled the failure")]);
    const d = await delegated(id);
    const pending = (await get(d.childThreadId)).pending!;
    clock.advance(61_000); // past the probe's 60 s human deadline, whose policy is to fail the thread
    await fireTimer(d.childThreadId, { type: "human_deadline", requestId: pending.requestId });
    const view = await settleAll(id);
    expect((await get(d.childThreadId)).status).toBe("failed");
    expect(view).toMatchObject({ status: "done", result: { message: "handled the failure" } });
    const [outcome] = outcomesOf(await eventsOf(id), d.callId);
    expect(outcome).toMatchObject({ type: "tool_failed", data: { code: "agent_failed" } });
    expect(outcome?.type === "tool_failed" && outcome.data.message).toMatch(/^probe \(thread .+\) failed \(human_timeout\): /);
    expect(outcome?.type === "tool_failed" && outcome.data.message.length).toBeLessThanOrEqual(501);
    expect(model.requests(id)[1]?.messages[1]?.content).toContain('code="agent_failed"');
  });

  it("a child cancelled by a human: the parent sees agent_cancelled and carries on", async () => {
    const child = uid("kid-");
    const { id } = await startBoss([toProbe(child, [ask("?")]), done("ok without it")]);
    const d = await delegated(id);
    expect((await api(`/v1/threads/${d.childThreadId}/cancel`, { method: "POST", json: { reason: "not needed" } })).status).toBe(200);
    expect((await settleAll(id)).status).toBe("done");
    expect(outcomesOf(await eventsOf(id), d.callId)[0]).toMatchObject({ type: "tool_failed", data: { code: "agent_cancelled" } });
  });
});

describe("cancellation, eviction and duplicates", () => {
  it("cancelling the parent cancels its running child; the child's late report is recorded, not acted on", async () => {
    const { id } = await startBoss([toProbe(uid("kid-"), [ask("?")])]);
    const d = await delegated(id);
    expect((await api(`/v1/threads/${id}/cancel`, { method: "POST", json: { reason: "changed my mind" } })).status).toBe(200);
    await settleAll(id);
    await settle(d.childThreadId);
    const child = await eventsOf(d.childThreadId);
    expect(of(child, "thread_cancelled")[0]?.data.reason).toContain(`parent thread ${id} is cancelled`);
    expect(of(child, "parent_notified")[0]?.data).toMatchObject({ status: "cancelled", accepted: false });
    const parent = await eventsOf(id);
    expect(outcomesOf(parent, d.callId)).toHaveLength(0);
    expect(of(parent, "agent_reported")).toMatchObject([{ data: { callId: d.callId, childThreadId: d.childThreadId, status: "cancelled" } }]);
    expect((await get(id)).children?.[0]?.status).toBe("cancelled");
  });

  it("the parent evicted while waiting still gets the result exactly once", async () => {
    const { id } = await startBoss([toProbe(uid("kid-"), [ask("tag?"), done("child done")]), done("boss done")]);
    const d = await delegated(id);
    await evictDurableObject(env.THREADS.getByName(id));
    await evictDurableObject(env.THREADS.getByName(d.childThreadId));
    const pending = (await get(d.childThreadId)).pending!;
    await respond(d.childThreadId, { requestId: pending.requestId, answer: "v1" });
    expect((await settleAll(id)).status).toBe("done");
    expect(outcomesOf(await eventsOf(id), d.callId)).toHaveLength(1);
  });

  it("every object aborted while the child works: the child resumes from its log, the parent gets one result", async () => {
    const g = uid("kid-gate-");
    const { id } = await startBoss([
      toProbe(uid("kid-"), [{ tool: "wait_on_gate_idempotent", args: { gate: g } }, done("child survived")]),
      done("boss done"),
    ], { children: false });
    await gate(g).reached;
    const d = await delegated(id);
    await abortAllDurableObjects();
    await gate(g).open();
    const view = await settleAll(id);
    expect(view.status).toBe("done");
    expect(outcomesOf(await eventsOf(id), d.callId)).toMatchObject([{ type: "tool_succeeded", data: { result: { message: "child survived" } } }]);
    expect(of(await eventsOf(d.childThreadId), "tool_started").map((e) => e.data.attempt)).toEqual([1, 2]);
  });

  it("a crash between logging the delegation and launching the child: the next wake launches the same child, once", async () => {
    const id = uid("crash-");
    const callId = CallId.parse("call_crash1");
    const childId = await childThreadId(id, callId, "probe");
    const task = `child task ${model.script(uid("kid-"), [done("relaunched child done")])}`;
    // The log as a crash right after appending agent_delegated leaves it: no child exists yet.
    await runInDurableObject(env.THREADS.getByName(id), async (instance) => {
      const at = new Date(clock.now()).toISOString();
      instance.log.append({ type: "thread_launched", data: { threadId: ThreadId.parse(id), agent: "boss", message: `go ${model.script(id, [done("boss done")])}` }, key: "launch" }, at);
      instance.log.append({ type: "model_decided", data: { callId, tool: "delegate_to_probe", args: { task }, seenSeq: 1, model: "m", promptVersion: "v", latencyMs: 1 } }, at);
      const deadline = new Date(clock.now() + 60_000).toISOString();
      instance.log.append({ type: "agent_delegated", data: { callId, tool: "delegate_to_probe", agent: "probe", childThreadId: childId, depth: 1, deadline }, key: `delegate:${callId}` }, at);
    });
    await evictDurableObject(env.THREADS.getByName(id));
    expect(await thread(childId).thread()).toBeNull();

    expect((await settleAll(id)).status).toBe("done");
    await fireTimer(id, { type: "launch_children" }); // a retry after the fact launches nothing
    const child = await eventsOf(childId);
    expect(of(child, "thread_launched")).toMatchObject([{ data: { parent: { threadId: id, callId }, message: task } }]);
    expect(outcomesOf(await eventsOf(id), callId)).toMatchObject([{ type: "tool_succeeded", data: { result: { message: "relaunched child done" } } }]);
  });

  it("a child report delivered twice (or concurrently) yields one tool result; a report for a call no longer waiting appends nothing", async () => {
    const { id } = await startBoss([toProbe(uid("kid-"), [ask("?"), done("real end")]), done("boss done")]);
    const d = await delegated(id);
    const report = { callId: d.callId, childThreadId: d.childThreadId, agent: "probe", status: "done" as const, message: "delivered" };
    const answers = await Promise.all([thread(id).childReported(report), thread(id).childReported(report)]);
    expect(answers.map((a) => a.ok && a.value.accepted).sort()).toEqual([false, true]);
    await settleAll(id);
    const before = await eventsOf(id);
    expect(outcomesOf(before, d.callId)).toHaveLength(1);
    // Again, later, and with another status: nothing new.
    const again = await thread(id).childReported({ ...report, status: "failed", message: "late" });
    expect(again).toMatchObject({ ok: true, value: { accepted: false } });
    // A report naming another child for this call is not this call's result.
    await thread(id).childReported({ ...report, childThreadId: "someone-else" });
    expect(await eventsOf(id)).toEqual(before);
    // Garbage is refused at the boundary.
    expect(await thread(id).childReported({ callId: 1 })).toMatchObject({ ok: false, rejection: { code: "invalid_report" } });

    // The real child ends later: the call already has its result, so its report appends nothing,
    // and its own retry timer then finds nothing owed.
    const pending = (await get(d.childThreadId)).pending!;
    await respond(d.childThreadId, { requestId: pending.requestId, answer: "x" });
    await settleAll(d.childThreadId);
    await fireTimer(d.childThreadId, { type: "report_to_parent" });
    await settle(id);
    expect(await eventsOf(id)).toEqual(before);
    expect(of(await eventsOf(d.childThreadId), "parent_notified")).toMatchObject([{ data: { status: "done", accepted: false } }]);
  });
});

describe("deadlines and limits", () => {
  it("a stuck child times out on the parent's timer: tool error, child cancelled; early and repeated firings do nothing", async () => {
    const { id } = await startBoss([toProbe(uid("kid-"), [ask("anyone?")]), done("gave up on the child")]);
    const d = await delegated(id);
    expect(Date.parse(d.deadline) - clock.now()).toBeGreaterThan((BOSS_CHILD_TIMEOUT_SECONDS - 5) * 1000);
    const before = await eventsOf(id);
    await fireTimer(id, { type: "agent_deadline", callId: d.callId }); // early: waits again
    expect(await eventsOf(id)).toEqual(before);

    clock.advance((BOSS_CHILD_TIMEOUT_SECONDS + 1) * 1000);
    await fireTimer(id, { type: "agent_deadline", callId: d.callId });
    await fireTimer(id, { type: "agent_deadline", callId: d.callId }); // at-least-once: a second firing is a no-op
    const view = await settleAll(id);
    expect(view).toMatchObject({ status: "done", result: { message: "gave up on the child" } });
    const outcomes = outcomesOf(await eventsOf(id), d.callId);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ type: "tool_failed", data: { code: "agent_timeout" } });
    expect((await get(d.childThreadId)).status).toBe("cancelled");
    expect((await get(id)).children?.[0]?.status).toBe("timed_out");
  });

  it("depth limit: a chain of delegations stops at depth 3 with a clear tool error, and unwinds", async () => {
    const l3 = uid("l3-");
    const l2 = uid("l2-");
    const l1 = uid("l1-");
    const s3 = model.script(l3, [{ tool: "delegate_to_boss", args: { task: "go deeper" } }, done("bottom reached")]);
    const s2 = model.script(l2, [{ tool: "delegate_to_boss", args: { task: `level 3 ${s3}` } }, done("level 2 done")]);
    const s1 = model.script(l1, [{ tool: "delegate_to_boss", args: { task: `level 2 ${s2}` } }, done("level 1 done")]);
    const { id, view } = await startBoss([{ tool: "delegate_to_boss", args: { task: `level 1 ${s1}` } }, done("root done")]);
    expect(view.status).toBe("done");
    const depth1 = await delegated(id);
    const depth2 = await delegated(depth1.childThreadId);
    const depth3 = await delegated(depth2.childThreadId);
    expect([depth1.depth, depth2.depth, depth3.depth]).toEqual([1, 2, 3]);
    const bottom = await eventsOf(depth3.childThreadId);
    expect(of(bottom, "agent_delegated")).toHaveLength(0);
    const refused = of(bottom, "tool_failed")[0];
    expect(refused?.data).toMatchObject({ code: "delegation_depth_exceeded", tool: "delegate_to_boss" });
    expect(refused?.data.message).toContain("limit 3");
    expect((await get(depth3.childThreadId)).status).toBe("done");
  });

  it("fan-out limit: the third child of a thread is refused with a clear tool error; the thread does not crash", async () => {
    const { id, view } = await startBoss([
      toProbe(uid("kid-"), [done("one")]),
      toProbe(uid("kid-"), [done("two")]),
      toProbe(uid("kid-"), [done("three")]),
      done("two children were enough"),
    ]);
    expect(view).toMatchObject({ status: "done", result: { message: "two children were enough" } });
    expect(view.children).toHaveLength(BOSS_MAX_CHILDREN);
    const failed = of(await eventsOf(id), "tool_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toMatchObject({ code: "delegation_fanout_exceeded" });
    expect(failed[0]?.data.message).toContain(`limit ${BOSS_MAX_CHILDREN}`);
  });
});

describe("delegates are checked at setup", () => {
  const template = "{{agent}}";
  it("GET /v1/agents shows a delegate tool with its target agent", async () => {
    const { agents } = (await (await api("/v1/agents")).json()) as { agents: { name: string; tools: Record<string, unknown>[] }[] };
    const tool = agents.find((a) => a.name === "releasebot")?.tools.find((t) => t["name"] === "delegate_to_deploybot");
    expect(tool).toMatchObject({ intent: "delegate", needsApproval: "never", delegatesTo: "deploybot", timeoutSeconds: 86_400 });
  });

  it("a delegate naming an unknown agent is rejected when the registry is built", () => {
    const lonely = defineAgent({ name: "lonely", description: "d", prompt: { file: "x.md", template }, tools: [doneForNow], delegates: [delegateTo("nope")] });
    expect(() => agentRegistry([lonely])).toThrow(/delegate_to_nope delegates to unknown agent "nope"/);
  });

  it("a cycle is allowed (the depth limit bounds it); bad options are rejected", () => {
    const selfish = defineAgent({ name: "selfish", description: "d", prompt: { file: "x.md", template }, tools: [doneForNow], delegates: [delegateTo("selfish")] });
    expect(agentRegistry([selfish]).get("selfish")?.catalog("delegate_to_selfish")).toMatchObject({ intent: "delegate", maxChildren: 8 });
    expect(() => delegateTo("Bad Name")).toThrow();
    expect(() => delegateTo("ok", { timeoutSeconds: 0 })).toThrow(/timeoutSeconds/);
    expect(() => defineAgent({ name: "x", description: "d", prompt: { file: "x.md", template }, tools: [doneForNow], maxChildren: 0 })).toThrow(/maxChildren/);
  });
});

describe("forking threads that take part in a delegation", () => {
  const forkOf = (id: string, body: Record<string, unknown>) => api(`/v1/threads/${id}/fork`, { method: "POST", json: body });

  it("a parent waiting for its child cannot be forked there (409 delegation_open); before the delegation it can, and gets its own child", async () => {
    const child = uid("kid-");
    const { id } = await startBoss([toProbe(child, [ask("which environment?")]), done("boss done")]);
    const d = await delegated(id);
    const parentEvents = await eventsOf(id);
    const delegatedAt = parentEvents.find((e) => e.type === "agent_delegated")?.seq ?? 0;

    const refused = await forkOf(id, { atSeq: parentEvents.length, threadId: uid("fork-") });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("delegation_open");

    // Before agent_delegated the call is only decided: the fork delegates again, to a child of its own.
    const forkId = uid("fork-");
    const accepted = await forkOf(id, { atSeq: delegatedAt - 1, threadId: forkId });
    expect(accepted.status).toBe(201);
    await settle(forkId);
    const forkDelegation = of(await eventsOf(forkId), "agent_delegated")[0];
    expect(forkDelegation?.data.childThreadId).toBeDefined();
    expect(forkDelegation?.data.childThreadId).not.toBe(d.childThreadId);
    // The original's child still belongs to the original, and the original log is untouched.
    expect(await get(d.childThreadId)).toMatchObject({ parent: { threadId: id, callId: d.callId } });
    expect(await eventsOf(id)).toEqual(parentEvents);
  });

  it("a fork of a child is a thread of its own: it reports to no parent", async () => {
    const child = uid("kid-");
    const { id } = await startBoss([toProbe(child, [ask("which environment?")]), done("boss done")]);
    const d = await delegated(id);
    const childEvents = await eventsOf(d.childThreadId);
    const forkId = uid("fork-");
    expect((await forkOf(d.childThreadId, { atSeq: childEvents.length, threadId: forkId })).status).toBe(201);
    const view = await get(forkId);
    expect(view.parent).toBeUndefined();
    expect(view.depth).toBeUndefined();
    expect(view.forkedFrom).toEqual({ threadId: d.childThreadId, atSeq: childEvents.length });
    // Ending the fork reaches nobody: the parent still waits for its real child.
    expect((await api(`/v1/threads/${forkId}/cancel`, { method: "POST", json: {} })).status).toBe(200);
    await settle(forkId);
    expect(of(await eventsOf(forkId), "parent_notified")).toEqual([]);
    expect((await settle(id)).status).toBe("waiting_for_agent");
  });
});
