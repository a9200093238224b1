import { describe, expect, it } from "vitest";
import { block, countsOf, next, type AgentPlan, type EventBody } from "../../src/core";
import { renderLog } from "./render";
import { Log, catalog, cid, ev } from "./fixtures";

const plan: AgentPlan = { prefetch: [{ tool: "search", args: { q: "tags" } }, { tool: "search", args: { q: "status" } }] };

const planned = (callId: string, tool: string, args: Record<string, string>): EventBody => ({
  type: "call_planned",
  data: { callId: cid(callId), tool, args, by: "prefetch" },
});

/** Drives next() the way the runtime does, with every tool succeeding, until the model is due. */
function untilModel(log: Log, p: AgentPlan = plan): string[] {
  const steps: string[] = [];
  for (let i = 0; i < 20; i++) {
    const step = next(log.state, catalog, p);
    steps.push(step.kind);
    if (step.kind === "plan_call") log.add(planned(step.call.callId, step.call.tool, step.call.args as Record<string, string>));
    else if (step.kind === "run_tool") {
      log.add(ev.started(step.call.callId, step.call.tool, step.call.args, step.attempt));
      log.add(ev.succeeded(step.call.callId, step.call.tool, { answer: `for ${String(step.call.args["q"])}` }));
    } else return steps;
  }
  throw new Error("no model call after 20 steps");
}

describe("pre-fetched context (Factor 13): next() plans the agent's calls before the first model call", () => {
  it("plans and runs each pre-fetch in order, then calls the model", () => {
    const log = Log.launched();
    expect(untilModel(log)).toEqual(["plan_call", "run_tool", "plan_call", "run_tool", "call_model"]);
    expect(log.events.map((e) => e.type)).toEqual([
      "thread_launched",
      "call_planned",
      "tool_started",
      "tool_succeeded",
      "call_planned",
      "tool_started",
      "tool_succeeded",
    ]);
    // Deterministic call ids: a replay or a fork names them the same way.
    expect(log.events.filter((e) => e.type === "call_planned").map((e) => e.type === "call_planned" && e.data.callId)).toEqual([
      "prefetch-1",
      "prefetch-2",
    ]);
    expect(log.state.prefetched).toBe(2);
  });

  it("without a plan the first step is the model, exactly as before", () => {
    expect(next(Log.launched().state, catalog)).toEqual({ kind: "call_model" });
    expect(next(Log.launched().state, catalog, {})).toEqual({ kind: "call_model" });
  });

  it("a planned call is not superseded by the launch input the model has not seen", () => {
    const log = Log.launched();
    log.add(planned("prefetch-1", "search", { q: "tags" }));
    const step = next(log.state, catalog, plan);
    expect(step).toMatchObject({ kind: "run_tool", attempt: 1, call: { callId: "prefetch-1", by: "prefetch" } });
  });

  it("a failing pre-fetch is an ordinary tool error: the next pre-fetch still runs, then the model", () => {
    const log = Log.launched();
    log.add(planned("prefetch-1", "search", { q: "tags" }));
    log.add(ev.started("prefetch-1", "search", { q: "tags" }));
    log.add(ev.failed("prefetch-1", "search", "tool_error", "search is down"));
    expect(log.state.consecutiveErrors).toBe(1);
    expect(untilModel(log)).toEqual(["plan_call", "run_tool", "call_model"]);
  });

  it("nothing is pre-fetched once the model has been called, even if the plan grew since", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "x" });
    expect(next(log.state, catalog, plan)).toMatchObject({ kind: "run_tool", call: { callId: "c1" } });
    log.add(ev.started("c1", "search", { q: "x" }), ev.succeeded("c1", "search"));
    expect(next(log.state, catalog, plan)).toEqual({ kind: "call_model" });
  });

  it("a pause or a cancel stops the pre-fetch like any other step", () => {
    const paused = Log.launched();
    paused.add(ev.paused());
    expect(next(paused.state, catalog, plan)).toEqual({ kind: "wait", reason: "paused" });
    const cancelled = Log.launched();
    cancelled.add(ev.cancelled());
    expect(next(cancelled.state, catalog, plan)).toEqual({ kind: "wait", reason: "terminal" });
  });

  it("the model sees a pre-fetched call exactly as if it had asked for it", () => {
    const prefetched = Log.launched();
    untilModel(prefetched, { prefetch: [{ tool: "search", args: { q: "tags" } }] });
    const asked = Log.launched();
    asked.add(ev.decided("prefetch-1", "search", { q: "tags" }, 1));
    asked.add(ev.started("prefetch-1", "search", { q: "tags" }), ev.succeeded("prefetch-1", "search", { answer: "for tags" }));
    const render = (log: Log) => renderLog(log.events).text;
    expect(render(prefetched)).toBe(render(asked));
    expect(render(prefetched)).toContain('<search call="prefetch-1">');
    expect(render(prefetched)).toContain("<search_result");
    expect(block(prefetched.events[1]!)).toBe(block(asked.events[1]!));
  });

  it("pre-fetches are not model steps in the counts; their failures are errors", () => {
    const log = Log.launched();
    log.add(planned("prefetch-1", "search", { q: "tags" }));
    log.add(ev.started("prefetch-1", "search", { q: "tags" }), ev.failed("prefetch-1", "search"));
    expect(countsOf(log.state)).toEqual({ steps: 0, errors: 1, escalations: 0 });
  });
});

describe("a planned call is the runtime's, and only a live thread takes one", () => {
  it("the step names the pre-fetch as its author, and the call it logs is marked so", () => {
    const log = Log.launched();
    expect(next(log.state, catalog, plan)).toEqual({ kind: "plan_call", call: { callId: "prefetch-1", tool: "search", args: { q: "tags" } }, by: "prefetch" });
    log.add(planned("prefetch-1", "search", { q: "tags" }));
    expect(log.state.calls).toEqual([{ callId: "prefetch-1", tool: "search", args: { q: "tags" }, phase: { kind: "decided" }, by: "prefetch" }]);
    expect(log.state.prefetched).toBe(1);
  });

  it("a call planned after the thread ended (a late append) opens no call", () => {
    const log = Log.launched();
    log.add(ev.cancelled());
    log.add(planned("prefetch-1", "search", { q: "tags" }));
    expect(log.state.calls).toEqual([]);
    expect(log.state.prefetched).toBeUndefined();
  });
});
