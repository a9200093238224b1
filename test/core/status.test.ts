import { describe, expect, it } from "vitest";
import { isTerminal, next, statusOf, ThreadId, type EventBody, type ToolCatalog } from "../../src/core";
import { cid, ev, Log, time, TOOLS } from "./fixtures";

// The status a client sees (GET /v1/threads/{id}, the console's inbox) and the wait `next`
// reports: "waiting_for_human" means a person must act, "waiting_for_agent" that only a
// child thread can move it on, "running" that the runtime has work of its own.

const catalog: ToolCatalog = (name) =>
  name === "hand_off" ? { intent: "delegate", idempotent: true, needsApproval: () => false } : TOOLS.get(name);
const delegated = (callId: string, child: string): EventBody => ({
  type: "agent_delegated",
  data: { callId: cid(callId), tool: "hand_off", agent: "probe", childThreadId: ThreadId.parse(child), depth: 1, deadline: time(3600) },
});

function heldApproval() {
  const log = Log.launched();
  log.decide("c1", "deploy", { env: "production" });
  log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
  return log;
}

describe("statusOf", () => {
  it("a held approval with nothing else to do waits for a human; another call to run keeps it running", () => {
    const log = heldApproval();
    expect(statusOf(log.state)).toBe("waiting_for_human");
    log.decide("c2", "search", { q: "x" });
    expect(statusOf(log.state)).toBe("running");
  });

  it("an open escalation after repeated errors waits for a human, even with new input the model has not seen", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1), ev.modelFailed(2), ev.modelFailed(3));
    log.add(ev.inputRequested("e1", "Stuck", { reason: "repeated_errors" }));
    // A late tool outcome is new input; a chat message would answer the escalation instead.
    log.add(ev.failed("c-late", "search"));
    expect(log.state.needsModel).toBe(true);
    expect(statusOf(log.state)).toBe("waiting_for_human");
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
  });

  it("a question from the model is not an escalation: new input beside it keeps the thread running", () => {
    const log = Log.launched();
    log.decide("c0", "search", {});
    log.add(ev.succeeded("c0", "search"));
    log.add({ type: "model_decided", data: { callId: cid("c1"), tool: "search", args: {}, seenSeq: log.lastSeq, model: "m", promptVersion: "v", latencyMs: 1 } });
    log.add(ev.inputRequested("q1", "Which env?"));
    log.add(ev.started("c1", "search", {}));
    expect(log.state.needsModel).toBe(false);
    log.add(ev.succeeded("c1", "search"));
    expect(statusOf(log.state)).toBe("running");
    expect(next(log.state, catalog)).toEqual({ kind: "call_model" });
  });

  it("only delegated calls open: waiting for the agent; a delegated call beside one to run: running", () => {
    const log = Log.launched();
    log.decide("c1", "hand_off", { task: "a" });
    log.add(delegated("c1", "kid1"));
    expect(statusOf(log.state)).toBe("waiting_for_agent");
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "agent" });
    log.decide("c2", "search", { q: "x" });
    expect(statusOf(log.state)).toBe("running");
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", call: { callId: "c2" } });
  });

  it("a thread with nothing open and nothing new is running and idle, not waiting for an agent", () => {
    const log = Log.launched();
    log.decide("c1", "search", {});
    log.add(ev.succeeded("c1", "search"));
    log.decide("c2", "search", {});
    log.add(ev.succeeded("c2", "search"));
    const idle = { ...log.state, needsModel: false };
    expect(statusOf(idle)).toBe("running");
    expect(next(idle, catalog)).toEqual({ kind: "wait", reason: "idle" });
  });

  it("ended threads are terminal, live and paused ones are not", () => {
    const live = Log.launched();
    expect(isTerminal(live.state)).toBe(false);
    live.add(ev.paused());
    expect(isTerminal(live.state)).toBe(false);
    live.add(ev.cancelled());
    expect(isTerminal(live.state)).toBe(true);
  });
});

describe("what next() tells the model when it sets a call aside", () => {
  it("a decision overtaken by new input: superseded, and the model is told to decide again", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "staging" });
    log.add(ev.message("stop, not staging!"));
    expect(next(log.state, catalog)).toEqual({
      kind: "fail_call",
      call: expect.objectContaining({ callId: "c1" }),
      code: "superseded",
      message: "New input arrived while deploy was being decided; it was not run. Decide again with the new input.",
    });
  });

  it("an approval of other arguments: approval_missing, saying so", () => {
    const log = heldApproval();
    log.add(ev.responded("r1", { approved: true }));
    const approved = log.state.calls[0];
    if (!approved) throw new Error("no call");
    const tampered = { ...log.state, calls: [{ ...approved, args: { env: "production", force: true } }] };
    expect(next(tampered, catalog)).toEqual({
      kind: "fail_call",
      call: expect.objectContaining({ callId: "c1" }),
      code: "approval_missing",
      message: "deploy was approved with other arguments; it was not run.",
    });
  });
});

describe("repeated errors escalate even while other requests are open", () => {
  it("three errors with a question from the model open: an escalation is asked, not a wait", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("q1", "Which env?"));
    log.add(ev.modelFailed(2), ev.modelFailed(3), ev.modelFailed(4, "invalid_json", "not JSON"));
    expect(next(log.state, catalog)).toEqual({
      kind: "ask_human",
      request: { kind: "input", reason: "repeated_errors", message: "The agent hit 3 errors in a row (last: invalid_json: not JSON). Reply with guidance to continue." },
    });
  });
});
