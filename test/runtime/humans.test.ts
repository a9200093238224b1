import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ThreadView } from "../../src/core";
import { api, deadlineTimers, eventsOf, fireTimer, launch, respond, settle, types } from "../support/api";
import { WARM_UP_MS } from "../../src/runtime/thread/due-work";
import { clock, executions, model, webhook } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

afterEach(() => {
  clock.offsetMs = 0;
});

let n = 0;
/** Launches a probe thread with a script and waits until its loop settles. */
async function start(steps: ScriptStep[], extra: Record<string, unknown> = {}) {
  const id = `h${++n}-${Math.random().toString(36).slice(2, 6)}`;
  const marker = model.script(id, steps);
  await launch("probe", `go ${marker}`, { threadId: id, ...extra });
  return { id, view: await settle(id) };
}

const done = (message = "done"): ScriptStep => ({ tool: "done_for_now", args: { message } });
const guarded = (label: string, tool = "guarded"): ScriptStep => ({ tool, args: { label } });
const pendingOf = (view: ThreadView) => {
  if (!view.pending) throw new Error(`no pending request; status ${view.status}`);
  return view.pending;
};

describe("approvals", () => {
  it("a held call waits with its exact arguments; approving runs exactly those once", async () => {
    const { id, view } = await start([guarded("approve-1"), done("deployed")]);
    expect(view.status).toBe("waiting_for_human");
    const pending = pendingOf(view);
    expect(pending).toMatchObject({ kind: "approval", reason: "approval_policy", tool: { name: "guarded", args: { label: "approve-1" } }, onTimeout: "deny" });
    expect(executions.get("approve-1")).toBeUndefined();

    const answer = await respond(id, { requestId: pending.requestId, approved: true, comment: "go" });
    expect(answer.status).toBe(200);
    const after = await settle(id);
    expect(after.status).toBe("done");
    expect(executions.get("approve-1")).toBe(1);
    const events = await eventsOf(id);
    const flow = types(events).filter((t) => !t.startsWith("notification_"));
    expect(flow.slice(-6)).toEqual(["human_requested", "human_responded", "tool_started", "tool_succeeded", "model_decided", "thread_finished"]);
    const started = events.find((e) => e.type === "tool_started");
    expect(started?.type === "tool_started" && started.data.args).toEqual({ label: "approve-1" });
  });

  it("a rejection goes to the model with the comment; nothing runs and nothing crashes", async () => {
    const { id, view } = await start([guarded("reject-1"), done("understood")]);
    await respond(id, { requestId: pendingOf(view).requestId, approved: false, comment: "not on a Friday" });
    expect((await settle(id)).status).toBe("done");
    expect(executions.get("reject-1")).toBeUndefined();
    const context = model.requests(id).at(-1)?.messages[1]?.content ?? "";
    expect(context).toContain("<human_response");
    expect(context).toContain("approved: false");
    expect(context).toContain("comment: not on a Friday");
    expect(types(await eventsOf(id))).not.toContain("tool_started");
  });

  it("two approvals pending at once are each answerable on their own", async () => {
    const { id, view } = await start([
      guarded("par-a"),
      guarded("par-b"),
      { tool: "request_more_information", args: { message: "b is done; what about a?" } },
      done("both handled"),
    ]);
    const first = pendingOf(view);
    // New input while the first approval waits: the model decides a second held call.
    await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "also do b" } });
    const both = await settle(id);
    expect(both.pendingRequests.map((r) => r.tool?.args)).toEqual([{ label: "par-a" }, { label: "par-b" }]);
    const second = both.pendingRequests[1]!;

    expect((await respond(id, { requestId: second.requestId, approved: true })).status).toBe(200);
    const mid = await settle(id);
    expect(executions.get("par-b")).toBe(1);
    expect(mid.pendingRequests.map((r) => r.requestId)[0]).toBe(first.requestId);
    expect(mid.pendingRequests.map((r) => r.kind)).toEqual(["approval", "input"]);
    expect((await respond(id, { requestId: first.requestId, approved: false })).status).toBe(200);
    await settle(id);
    expect(executions.get("par-a")).toBeUndefined();
  });

  it("answering twice, a wrong request id, or a missing decision each get a specific error and change nothing", async () => {
    const { id, view } = await start([guarded("dup-1"), { tool: "request_more_information", args: { message: "next?" } }]);
    const { requestId } = pendingOf(view);
    expect((await respond(id, { requestId, comment: "no decision" })).body.error?.code).toBe("approval_required");
    expect((await respond(id, { requestId: "req_nope", approved: true })).body.error?.code).toBe("unknown_request");
    expect((await respond(id, { requestId, approved: true })).status).toBe(200);
    await settle(id);
    const before = await eventsOf(id);
    const again = await respond(id, { requestId, approved: false });
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe("already_answered");
    expect(await eventsOf(id)).toEqual(before);
    expect(executions.get("dup-1")).toBe(1);
  });
});

describe("questions", () => {
  it("request_more_information waits for input; an answer reaches the model", async () => {
    const { id, view } = await start([{ tool: "request_more_information", args: { message: "Which tag?" } }, done("ok")]);
    expect(pendingOf(view)).toMatchObject({ kind: "input", reason: "model_asked", message: "Which tag?" });
    expect((await respond(id, { requestId: pendingOf(view).requestId, answer: "v1.2.2" })).status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(model.requests(id).at(-1)?.messages[1]?.content).toContain("answer: v1.2.2");
  });

  it("a plain message also answers an open question", async () => {
    const { id, view } = await start([{ tool: "request_more_information", args: { message: "Which tag?" } }, done("ok")]);
    expect(view.status).toBe("waiting_for_human");
    expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "v1.2.1 please" } })).status).toBe(202);
    expect((await settle(id)).status).toBe("done");
  });
});

describe("deadlines on alarms", () => {
  it("every request gets a deadline timer; per-thread humanTimeoutSeconds wins", async () => {
    const { id, view } = await start([guarded("timer-1")], { humanTimeoutSeconds: 120 });
    const pending = pendingOf(view);
    const requested = Date.parse((await eventsOf(id)).at(-1)!.at);
    // The deadline is stamped a moment before the event itself.
    expect(Date.parse(pending.deadline) - requested).toBeGreaterThan(119_000);
    expect(Date.parse(pending.deadline) - requested).toBeLessThanOrEqual(120_000);
    // The one wake-up warms the thread up WARM_UP_MS before the deadline (it then re-arms at the deadline's millisecond).
    expect(await deadlineTimers(id)).toEqual([{ requestId: pending.requestId, time: Date.parse(pending.deadline) - WARM_UP_MS }]);
  });

  it("timeout (deny): appended exactly once even if the alarm fires late and twice; the model sees it", async () => {
    const { id, view } = await start([guarded("late-1"), { tool: "request_more_information", args: { message: "It timed out; retry?" } }]);
    const { requestId } = pendingOf(view);
    clock.advance(61_000); // probe's deadline is 60 s; the alarm fires a second late
    await fireTimer(id, { type: "human_deadline", requestId });
    await fireTimer(id, { type: "human_deadline", requestId });
    const after = await settle(id);
    expect(after.status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    expect(types(events).filter((t) => t === "human_timed_out")).toHaveLength(1);
    expect(executions.get("late-1")).toBeUndefined();
    expect(model.requests(id).at(-1)?.messages[1]?.content).toContain("<human_timeout");
    // A response after the timeout is refused and changes nothing.
    const late = await respond(id, { requestId, approved: true });
    expect(late.body.error?.code).toBe("request_expired");
    expect(await eventsOf(id)).toEqual(events);
  });

  it("the real alarm path: once the deadline is due, runDurableObjectAlarm delivers the timeout", async () => {
    // Time passes for the SDK's scheduler too: the fake Date reaches the object (same isolate).
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const { id, view } = await start([guarded("alarm-1"), { tool: "request_more_information", args: { message: "timed out; now what?" } }]);
      const { requestId, deadline } = pendingOf(view);
      vi.setSystemTime(Date.parse(deadline));
      expect(await runDurableObjectAlarm(env.THREADS.getByName(id))).toBe(true);
      await settle(id);
      const events = await eventsOf(id);
      expect(types(events).filter((t) => t === "human_timed_out")).toHaveLength(1);
      // The fired wake-up is gone; the one armed now is for the follow-up question's deadline.
      expect((await deadlineTimers(id)).map((t) => t.requestId)).toEqual([pendingOf(await settle(id)).requestId]);
      expect(pendingOf(await settle(id)).requestId).not.toBe(requestId);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a timer that fires early does nothing but wait again", async () => {
    const { id, view } = await start([guarded("early-1")]);
    const before = await eventsOf(id);
    await fireTimer(id, { type: "human_deadline", requestId: pendingOf(view).requestId });
    expect(await eventsOf(id)).toEqual(before);
    expect(await deadlineTimers(id)).toHaveLength(1);
  });

  it("a response racing the timer: after the deadline the log settles it as a timeout, once", async () => {
    const { id, view } = await start([guarded("race-1"), done("timed out")]);
    const { requestId } = pendingOf(view);
    clock.advance(60_000);
    const answer = await respond(id, { requestId, approved: true });
    expect(answer.status).toBe(409);
    expect(answer.body.error?.code).toBe("request_expired");
    await fireTimer(id, { type: "human_deadline", requestId }); // the timer arrives after: nothing more
    await settle(id);
    const events = await eventsOf(id);
    expect(types(events).filter((t) => t === "human_timed_out")).toHaveLength(1);
    expect(types(events)).not.toContain("human_responded");
    expect(executions.get("race-1")).toBeUndefined();
  });

  it("timeout (escalate): notifies the escalation contact and extends once, then denies", async () => {
    const { id, view } = await start([guarded("esc-1", "guarded_escalate"), done("no answer")]);
    const { requestId, deadline } = pendingOf(view);
    clock.advance(60_000);
    await fireTimer(id, { type: "human_deadline", requestId });
    const escalated = await settle(id);
    expect(escalated.status).toBe("waiting_for_human");
    expect(pendingOf(escalated).escalated).toBe(true);
    expect(Date.parse(pendingOf(escalated).deadline)).toBeGreaterThan(Date.parse(deadline));
    const notes = webhook.for(id).map((r) => r.body["purpose"]);
    expect(notes).toEqual(["request", "escalation"]);
    expect(String(webhook.for(id)[1]?.body["text"])).toContain("ESCALATION for @oncall");

    clock.advance(60_000);
    await fireTimer(id, { type: "human_deadline", requestId });
    expect((await settle(id)).status).toBe("done");
    expect(types(await eventsOf(id)).filter((t) => t === "human_timed_out")).toHaveLength(1);
    expect(executions.get("esc-1")).toBeUndefined();
  });

  it("timeout (fail): the thread fails with human_timeout", async () => {
    const { id, view } = await start([guarded("fail-1", "guarded_fail")]);
    clock.advance(60_000);
    await fireTimer(id, { type: "human_deadline", requestId: pendingOf(view).requestId });
    const after = await settle(id);
    expect(after.status).toBe("failed");
    expect(after.error?.code).toBe("human_timeout");
  });
});

describe("eviction while waiting", () => {
  it("the deadline still fires once, and answers are still accepted", async () => {
    const a = await start([guarded("evict-wait-a"), done()]);
    await evictDurableObject(env.THREADS.getByName(a.id));
    expect((await settle(a.id)).status).toBe("waiting_for_human"); // a fresh instance, rebuilt from the log
    expect(await deadlineTimers(a.id)).toHaveLength(1); // the timer survived the eviction
    clock.advance(60_000);
    await fireTimer(a.id, { type: "human_deadline", requestId: pendingOf(a.view).requestId });
    await settle(a.id);
    await evictDurableObject(env.THREADS.getByName(a.id));
    await fireTimer(a.id, { type: "human_deadline", requestId: pendingOf(a.view).requestId });
    await settle(a.id);
    expect(types(await eventsOf(a.id)).filter((t) => t === "human_timed_out")).toHaveLength(1);

    clock.offsetMs = 0;
    const b = await start([guarded("evict-wait-b"), done()]);
    await evictDurableObject(env.THREADS.getByName(b.id));
    expect((await respond(b.id, { requestId: pendingOf(b.view).requestId, approved: true })).status).toBe(200);
    expect((await settle(b.id)).status).toBe("done");
    expect(executions.get("evict-wait-b")).toBe(1);
  });
});

describe("pause, resume, cancel", () => {
  it("pause stops the loop at the next step boundary but keeps recording input; resume continues", async () => {
    const id = "pause-run";
    const marker = model.script(id, [
      { gate: "pause-run-gate", then: { tool: "side_effect", args: { label: "pause-run" } } },
      done("resumed and done"),
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await model.arrived("pause-run-gate");
    const paused = await api(`/v1/threads/${id}/pause`, { method: "POST", json: { reason: "hold on" } });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as ThreadView).status).toBe("paused");
    expect((await api(`/v1/threads/${id}/pause`, { method: "POST" })).status).toBe(409);
    await model.release("pause-run-gate");
    expect((await settle(id)).status).toBe("paused");
    expect(executions.get("pause-run")).toBeUndefined(); // the decision is recorded, not acted on
    expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "noted while paused" } })).status).toBe(202);
    expect((await settle(id)).status).toBe("paused");

    const resumed = await api(`/v1/threads/${id}/resume`, { method: "POST" });
    expect(resumed.status).toBe(200);
    expect((await api(`/v1/threads/${id}/resume`, { method: "POST" })).status).toBe(409);
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    expect(types(events)).toContain("thread_paused");
    expect(types(events)).toContain("thread_resumed");
  });

  it("cancel while waiting: timers cancelled, the thread is terminal, later answers get 409", async () => {
    const { id, view } = await start([guarded("cancel-1")]);
    expect(await deadlineTimers(id)).toHaveLength(1);
    const cancelled = await api(`/v1/threads/${id}/cancel`, { method: "POST", json: { reason: "wrong ticket" } });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as ThreadView).status).toBe("cancelled");
    expect(await deadlineTimers(id)).toEqual([]);
    const late = await respond(id, { requestId: pendingOf(view).requestId, approved: true });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe("thread_closed");
    expect((await api(`/v1/threads/${id}/cancel`, { method: "POST" })).status).toBe(409);
    expect(executions.get("cancel-1")).toBeUndefined();
  });
});

describe("notifications through the webhook channel (durable outbox)", () => {
  it("each request is POSTed once, signed, with a Slack-compatible text", async () => {
    const { id, view } = await start([guarded("hook-1")]);
    const [delivery] = webhook.for(id);
    expect(webhook.for(id)).toHaveLength(1);
    expect(delivery?.body).toMatchObject({ purpose: "request", thread: { id, agent: "probe" }, request: { requestId: pendingOf(view).requestId } });
    expect(String(delivery?.body["text"])).toContain("Approval needed: guarded");
    const { signHmacSha256 } = await import("../../src/hmac");
    const expected = await signHmacSha256("webhook-secret", `${delivery?.headers["x-agents-timestamp"]}.${delivery?.raw}`);
    expect(delivery?.headers["x-agents-signature"]).toBe(`v1=${expected}`);
    expect(types(await eventsOf(id))).toContain("notification_sent");
  });

  it("a failed send is an event and is retried with backoff until it lands", async () => {
    webhook.failNext = 2;
    const { id } = await start([guarded("hook-retry")], { humanTimeoutSeconds: 3_600 });
    let events = await eventsOf(id);
    const failed = events.filter((e) => e.type === "notification_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.type === "notification_failed" && failed[0].data.retryAt).toBeTruthy();
    clock.advance(30_000);
    await fireTimer(id, { type: "notify" });
    clock.advance(60_000);
    await fireTimer(id, { type: "notify" });
    await settle(id);
    events = await eventsOf(id);
    expect(events.filter((e) => e.type === "notification_failed").map((e) => e.type === "notification_failed" && e.data.attempt)).toEqual([1, 2]);
    expect(events.filter((e) => e.type === "notification_sent").map((e) => e.type === "notification_sent" && e.data.attempt)).toEqual([3]);
    expect(webhook.for(id)).toHaveLength(1);
  });
});
