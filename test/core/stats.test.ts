import { describe, expect, it } from "vitest";
import { countsOf, NO_COUNTS, threadView, type EventBody } from "../../src/core";
import { cid, ev, Log, time } from "./fixtures";

// The counters behind the variant stats endpoint and the usage shown on every thread
// (stats.ts), folded by the reducer. An operator compares variants by these numbers and
// bills by the tokens: each must move by exactly what one event contributes, no more.

type Usage = { promptTokens: number; completionTokens: number };
const usage = (promptTokens: number, completionTokens: number): Usage => ({ promptTokens, completionTokens });

function decided(log: Log, callId: string, used?: Usage): void {
  const body = ev.decided(callId, "search", {}, log.lastSeq) as Extract<EventBody, { type: "model_decided" }>;
  log.add({ ...body, data: { ...body.data, ...(used ? { usage: used } : {}) } });
}

function modelFailed(log: Log, used?: Usage): void {
  const body = ev.modelFailed(log.lastSeq, "invalid_json", "not JSON") as Extract<EventBody, { type: "model_failed" }>;
  log.add({ ...body, data: { ...body.data, ...(used ? { usage: used } : {}) } });
}

describe("per-thread counts", () => {
  it("a thread that did nothing countable has no counts (absent, read as zeros)", () => {
    const log = Log.launched();
    log.add(ev.message("hello"), ev.paused(), ev.resumed());
    expect(log.state.counts).toBeUndefined();
    expect(countsOf(log.state)).toEqual({ steps: 0, errors: 0, escalations: 0 });
    expect(NO_COUNTS).toEqual({ steps: 0, errors: 0, escalations: 0 });
  });

  it("every model call is one step; a failed model call is a step and an error; a failed tool is an error", () => {
    const log = Log.launched();
    decided(log, "c1");
    expect(countsOf(log.state)).toEqual({ steps: 1, errors: 0, escalations: 0 });
    log.add(ev.failed("c1", "search"));
    expect(countsOf(log.state)).toEqual({ steps: 1, errors: 1, escalations: 0 });
    modelFailed(log);
    expect(countsOf(log.state)).toEqual({ steps: 2, errors: 2, escalations: 0 });
    decided(log, "c2");
    log.add(ev.succeeded("c2", "search"));
    expect(countsOf(log.state)).toEqual({ steps: 3, errors: 2, escalations: 0 });
  });

  it("an escalation after repeated errors counts once; a question from the model or a request on an ended thread does not", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("q1", "Which env?"));
    expect(countsOf(log.state).escalations).toBe(0);
    log.add(ev.inputRequested("e1", "Stuck after 3 errors", { reason: "repeated_errors" }));
    expect(countsOf(log.state)).toEqual({ steps: 0, errors: 0, escalations: 1 });

    const ended = Log.launched();
    ended.add(ev.cancelled());
    ended.add(ev.inputRequested("e1", "Stuck", { reason: "repeated_errors" }));
    expect(countsOf(ended.state).escalations).toBe(0);
  });

  it("a missed deadline sent to the escalation contact counts only for a request still open on a live thread", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "?", { deadline: time(100), onTimeout: "escalate" }));
    log.add(ev.escalated("r1", time(200)));
    expect(countsOf(log.state).escalations).toBe(1);
    // An escalation of a request nobody asked, or one already answered, is ignored by the reducer and by the stats.
    log.add(ev.escalated("nobody-asked", time(300)));
    log.add(ev.responded("r1", { answer: "prod" }));
    log.add(ev.escalated("r1", time(400)));
    expect(countsOf(log.state).escalations).toBe(1);

    const ended = Log.launched();
    ended.add(ev.inputRequested("r1", "?", { onTimeout: "escalate" }));
    ended.add(ev.cancelled());
    ended.add(ev.escalated("r1", time(200)));
    expect(countsOf(ended.state).escalations).toBe(0);
  });

  it("a full thread escalates once: a second thread_filled, or one after the end, adds nothing", () => {
    const log = Log.launched();
    log.add({ type: "thread_filled", data: { cap: 100, notify: [] } });
    expect(countsOf(log.state)).toEqual({ steps: 0, errors: 0, escalations: 1 });
    log.add({ type: "thread_filled", data: { cap: 100, notify: [] } });
    expect(countsOf(log.state).escalations).toBe(1);

    const ended = Log.launched();
    ended.add(ev.finished("done"));
    ended.add({ type: "thread_filled", data: { cap: 100, notify: [] } });
    expect(countsOf(ended.state).escalations).toBe(0);
  });
});

describe("token usage", () => {
  it("adds prompt and completion tokens of decided and failed model calls separately, and counts the calls that reported usage", () => {
    const log = Log.launched();
    expect(log.state.usage).toBeUndefined();
    decided(log, "c1", usage(1_000, 30));
    expect(log.state.usage).toEqual({ modelCalls: 1, promptTokens: 1_000, completionTokens: 30 });
    log.add(ev.succeeded("c1", "search"));
    modelFailed(log, usage(1_200, 7));
    expect(log.state.usage).toEqual({ modelCalls: 2, promptTokens: 2_200, completionTokens: 37 });
    expect(threadView(log.state).usage).toEqual({ modelCalls: 2, promptTokens: 2_200, completionTokens: 37, totalTokens: 2_237 });
  });

  it("a model call that reported no usage adds nothing (not even to modelCalls); other events never do", () => {
    const log = Log.launched();
    decided(log, "c1");
    modelFailed(log);
    log.add(ev.failed("c1", "search"));
    expect(log.state.usage).toBeUndefined();
    expect(threadView(log.state)).not.toHaveProperty("usage");
    decided(log, "c2", usage(5, 1));
    log.add({ type: "tool_succeeded", data: { callId: cid("c2"), tool: "search", result: "ok", latencyMs: 1 } });
    expect(log.state.usage).toEqual({ modelCalls: 1, promptTokens: 5, completionTokens: 1 });
  });
});
