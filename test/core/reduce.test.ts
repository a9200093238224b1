import { describe, expect, it } from "vitest";
import { reduce, replay, statusOf, type ThreadState } from "../../src/core";
import { Log, at, ev, stamp } from "./fixtures";

/** The state with only the bookkeeping fields that every event touches left out. */
function withoutClock(state: ThreadState | undefined) {
  if (!state) throw new Error("no state");
  const { lastSeq: _seq, updatedAt: _at, ...rest } = state;
  return rest;
}

describe("thread_launched", () => {
  it("initialises a running thread that needs the model", () => {
    const log = Log.launched({ message: "ship it", metadata: { team: "infra" }, humanTimeoutSeconds: 60 });
    expect(log.state).toEqual({
      id: "t1",
      agent: "deploybot",
      createdAt: at(1),
      updatedAt: at(1),
      lastSeq: 1,
      metadata: { team: "infra" },
      humanTimeoutSeconds: 60,
      paused: false,
      pending: [],
      calls: [],
      needsModel: true,
      lastInputSeq: 1,
      consecutiveErrors: 0,
      escalationExpired: false,
      outbox: [],
      modelTurns: 0,
    });
    expect(statusOf(log.state)).toBe("running");
  });

  it("leaves optional fields out when the launch has none", () => {
    const state = Log.launched().state;
    expect(state).not.toHaveProperty("metadata");
    expect(state).not.toHaveProperty("humanTimeoutSeconds");
  });

  it("ignores everything before the launch", () => {
    expect(reduce(undefined, stamp(ev.message("hello?"), 1))).toBeUndefined();
    expect(replay([stamp(ev.message("a"), 1), stamp(ev.cancelled(), 2)])).toBeUndefined();
  });

  it("a second launch only moves lastSeq/updatedAt", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "x" });
    const before = log.state;
    log.add(ev.launched({ threadId: "other", message: "again" }));
    expect(log.state).toEqual({ ...before, lastSeq: 3, updatedAt: at(3) });
  });
});

describe("user_messaged", () => {
  it("answers open input requests but leaves approvals open", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    log.add(ev.inputRequested("r2", "Which region?"));
    expect(log.state.pending.map((r) => r.requestId)).toEqual(["r1", "r2"]);

    const msg = log.add(ev.message("eu-west"));
    const state = log.state;
    expect(state.pending.map((r) => r.requestId)).toEqual(["r1"]);
    expect(state.pending[0]?.kind).toBe("approval");
    expect(state.calls).toEqual([
      { callId: "c1", tool: "deploy", args: { env: "production" }, phase: { kind: "awaiting_approval", requestId: "r1" } },
    ]);
    expect(state.needsModel).toBe(true);
    expect(state.lastInputSeq).toBe(msg.seq);
  });

  it("answering an escalation resets the error count; answering a model question does not", () => {
    const escalated = Log.launched();
    escalated.add(ev.modelFailed(1), ev.modelFailed(2), ev.modelFailed(3));
    escalated.add(ev.inputRequested("esc", "help", { reason: "repeated_errors" }));
    expect(escalated.state.consecutiveErrors).toBe(3);
    escalated.add(ev.message("try the other region"));
    expect(escalated.state.consecutiveErrors).toBe(0);
    expect(escalated.state.pending).toEqual([]);

    const asked = Log.launched();
    asked.add(ev.modelFailed(1));
    asked.add(ev.inputRequested("q", "which one?"));
    asked.add(ev.message("the first"));
    expect(asked.state.consecutiveErrors).toBe(1);
  });
});

describe("model_decided", () => {
  it("adds a decided call and clears needsModel when it saw the newest input", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "status" });
    const state = log.state;
    expect(state.calls).toEqual([{ callId: "c1", tool: "search", args: { q: "status" }, phase: { kind: "decided" } }]);
    expect(state.needsModel).toBe(false);
    expect(state.modelTurns).toBe(1);
    expect(state.lastInputSeq).toBe(1);
  });

  it("keeps needsModel when a message arrived while the model was deciding", () => {
    const log = Log.launched();
    const msg = log.add(ev.message("stop, not production!"));
    log.add(ev.decided("c1", "deploy", { env: "production" }, 1)); // rendered before the message
    const state = log.state;
    expect(state.calls.map((c) => c.callId)).toEqual(["c1"]);
    expect(state.needsModel).toBe(true);
    expect(state.lastInputSeq).toBe(msg.seq);
  });

  it("clears needsModel when the decision saw the message", () => {
    const log = Log.launched();
    log.add(ev.message("more context"));
    log.add(ev.decided("c1", "search", {}, 2));
    expect(log.state.needsModel).toBe(false);
  });

  it("a pause and resume during the model call are not new input", () => {
    const log = Log.launched();
    log.add(ev.paused("lunch"), ev.resumed());
    log.add(ev.decided("c1", "search", {}, 1)); // rendered at seq 1; nothing the model could see arrived since
    expect(log.state.needsModel).toBe(false);
    expect(log.state.lastInputSeq).toBe(1);
  });

  it("appends calls in decision order", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    log.add(ev.message("also search"));
    log.decide("c2", "search", {});
    expect(log.state.calls.map((c) => [c.callId, c.phase.kind])).toEqual([
      ["c1", "awaiting_approval"],
      ["c2", "decided"],
    ]);
  });
});

describe("tool and model outcomes", () => {
  it("tool_started moves the call to started with its attempt", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: 1 });
    log.add(ev.started("c1", "search", { q: 1 }, 2));
    expect(log.state.calls[0]?.phase).toEqual({ kind: "started", attempt: 2 });
  });

  it("tool_succeeded drops the call, asks for the model and resets consecutiveErrors", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1), ev.modelFailed(2));
    expect(log.state.consecutiveErrors).toBe(2);
    log.decide("c1", "search", {});
    log.add(ev.started("c1", "search", {}));
    const ok = log.add(ev.succeeded("c1", "search", { hits: 3 }));
    const state = log.state;
    expect(state.calls).toEqual([]);
    expect(state.needsModel).toBe(true);
    expect(state.lastInputSeq).toBe(ok.seq);
    expect(state.consecutiveErrors).toBe(0);
  });

  it("tool_failed increments consecutiveErrors and records the error", () => {
    const log = Log.launched();
    log.decide("c1", "search", {});
    log.add(ev.failed("c1", "search", "tool_error", "HTTP 500"));
    log.decide("c2", "search", {});
    log.add(ev.failed("c2", "search", "outcome_unknown", "restarted"));
    const state = log.state;
    expect(state.consecutiveErrors).toBe(2);
    expect(state.lastError).toEqual({ code: "outcome_unknown", message: "restarted" });
    expect(state.calls).toEqual([]);
    expect(state.needsModel).toBe(true);
  });

  it("a superseded call is dropped without counting as an error", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1));
    log.add(ev.message("wait"));
    log.add(ev.decided("c1", "deploy", {}, 1));
    log.add(ev.failed("c1", "deploy", "superseded", "new input"));
    const state = log.state;
    expect(state.consecutiveErrors).toBe(1);
    expect(state.calls).toEqual([]);
    expect(state.needsModel).toBe(true);
  });

  it("model_failed increments consecutiveErrors, counts a turn and keeps needsModel", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1, "invalid_json", "not JSON"));
    const state = log.state;
    expect(state.consecutiveErrors).toBe(1);
    expect(state.modelTurns).toBe(1);
    expect(state.needsModel).toBe(true);
    expect(state.lastError).toEqual({ code: "invalid_json", message: "not JSON" });
  });
});

describe("approvals", () => {
  const args = { env: "production", version: "1.2.0" };
  function awaiting() {
    const log = Log.launched();
    log.decide("c1", "deploy", args);
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args }));
    return log;
  }

  it("human_requested(approval) holds the call and opens the request", () => {
    const log = awaiting();
    const state = log.state;
    expect(state.calls).toEqual([{ callId: "c1", tool: "deploy", args, phase: { kind: "awaiting_approval", requestId: "r1" } }]);
    expect(state.pending).toHaveLength(1);
    expect(state.pending[0]).toMatchObject({ requestId: "r1", kind: "approval", reason: "approval_policy", requestedAt: at(3), seq: 3, escalated: false });
    expect(statusOf(state)).toBe("waiting_for_human");
  });

  it("approved=true moves the call to approved with the request's arguments", () => {
    const log = awaiting();
    log.add(ev.responded("r1", { approved: true }));
    const state = log.state;
    expect(state.pending).toEqual([]);
    expect(state.calls).toEqual([
      { callId: "c1", tool: "deploy", args, phase: { kind: "approved", requestId: "r1", approvedArgs: args } },
    ]);
    expect(state.needsModel).toBe(false);
    expect(statusOf(state)).toBe("running");
  });

  it("approvedArgs are the arguments the human saw, not whatever the call holds", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production", version: "2" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production", version: "1" } }));
    log.add(ev.responded("r1", { approved: true }));
    expect(log.state.calls[0]?.phase).toEqual({ kind: "approved", requestId: "r1", approvedArgs: { env: "production", version: "1" } });
  });

  it("tool_started keeps the approved arguments on the started call", () => {
    const log = awaiting();
    log.add(ev.responded("r1", { approved: true }));
    log.add(ev.started("c1", "deploy", args));
    expect(log.state.calls[0]?.phase).toEqual({ kind: "started", attempt: 1, approvedArgs: args });
  });

  it("a rejection drops the call and hands the decision back to the model", () => {
    const log = awaiting();
    const no = log.add(ev.responded("r1", { approved: false, comment: "not on a Friday" }));
    const state = log.state;
    expect(state.calls).toEqual([]);
    expect(state.pending).toEqual([]);
    expect(state.needsModel).toBe(true);
    expect(state.lastInputSeq).toBe(no.seq);
  });

  it("an answer without approved: true is a rejection", () => {
    const log = awaiting();
    log.add(ev.responded("r1", { comment: "hmm" }));
    expect(log.state.calls).toEqual([]);
    expect(log.state.needsModel).toBe(true);
  });

  it("a timed-out approval drops the call and sets needsModel", () => {
    const log = awaiting();
    const timeout = log.add(ev.timedOut("r1"));
    const state = log.state;
    expect(state.calls).toEqual([]);
    expect(state.pending).toEqual([]);
    expect(state.needsModel).toBe(true);
    expect(state.lastInputSeq).toBe(timeout.seq);
    expect(state.escalationExpired).toBe(false);
  });

  it("a late approval after the timeout does not bring the call back", () => {
    const log = awaiting();
    log.add(ev.timedOut("r1"));
    const before = log.state;
    log.add(ev.responded("r1", { approved: true }));
    expect(withoutClock(log.state)).toEqual(withoutClock(before));
    expect(log.state.calls).toEqual([]);
  });

  it("the first answer wins: a second answer changes nothing", () => {
    const log = awaiting();
    log.add(ev.responded("r1", { approved: true }));
    const before = log.state;
    log.add(ev.responded("r1", { approved: false }));
    log.add(ev.timedOut("r1"));
    expect(withoutClock(log.state)).toEqual(withoutClock(before));
    expect(log.state.calls[0]?.phase.kind).toBe("approved");
  });
});

describe("human input requests", () => {
  it("a question from the model replaces its call and an answer asks the model again", () => {
    const log = Log.launched();
    log.decide("c1", "ask", { message: "Which region?" });
    log.add(ev.inputRequested("r1", "Which region?", { call: { callId: "c1", tool: "ask", args: { message: "Which region?" } } }));
    expect(log.state.calls).toEqual([]);
    expect(log.state.needsModel).toBe(false);
    expect(statusOf(log.state)).toBe("waiting_for_human");

    const answer = log.add(ev.responded("r1", { answer: "eu-west" }));
    expect(log.state.pending).toEqual([]);
    expect(log.state.needsModel).toBe(true);
    expect(log.state.lastInputSeq).toBe(answer.seq);
    expect(statusOf(log.state)).toBe("running");
  });

  it("a timed-out question asks the model again", () => {
    const log = Log.launched();
    log.decide("c1", "ask", { message: "?" });
    log.add(ev.inputRequested("r1", "?", { call: { callId: "c1", tool: "ask", args: { message: "?" } } }));
    log.add(ev.timedOut("r1"));
    expect(log.state.needsModel).toBe(true);
    expect(log.state.pending).toEqual([]);
    expect(log.state.escalationExpired).toBe(false);
  });

  function escalated() {
    const log = Log.launched();
    log.add(ev.modelFailed(1), ev.modelFailed(2), ev.modelFailed(3));
    log.add(ev.inputRequested("esc", "3 errors in a row", { reason: "repeated_errors" }));
    return log;
  }

  it("an answered escalation resets consecutiveErrors", () => {
    const log = escalated();
    log.add(ev.responded("esc", { answer: "use the backup model" }));
    expect(log.state.consecutiveErrors).toBe(0);
    expect(log.state.needsModel).toBe(true);
    expect(log.state.escalationExpired).toBe(false);
  });

  it("a timed-out escalation sets escalationExpired", () => {
    const log = escalated();
    log.add(ev.timedOut("esc"));
    const state = log.state;
    expect(state.escalationExpired).toBe(true);
    expect(state.pending).toEqual([]);
    expect(state.consecutiveErrors).toBe(3);
  });
});

describe("responses to requests that are not open", () => {
  it("an unknown request id changes nothing but lastSeq/updatedAt (model idle)", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    const before = log.state;
    const e1 = log.add(ev.responded("nope", { approved: true }));
    log.add(ev.timedOut("nope"));
    expect(log.state).toEqual({ ...before, lastSeq: e1.seq + 1, updatedAt: at(e1.seq + 1) });
  });

  it("an unknown request id changes nothing but lastSeq/updatedAt (model busy)", () => {
    // needsModel is true right after launch: an ignored event must not move the input frontier.
    const log = Log.launched();
    const before = log.state;
    log.add(ev.responded("nope", { answer: "x" }));
    expect(log.state).toEqual({ ...before, lastSeq: 2, updatedAt: at(2) });
  });
});

describe("pause and resume", () => {
  it("toggles paused and the status", () => {
    const log = Log.launched();
    log.add(ev.paused("maintenance"));
    expect(log.state.paused).toBe(true);
    expect(statusOf(log.state)).toBe("paused");
    log.add(ev.resumed());
    expect(log.state.paused).toBe(false);
    expect(statusOf(log.state)).toBe("running");
  });

  it("input while paused is recorded for after the resume", () => {
    const log = Log.launched();
    log.decide("c1", "search", {});
    log.add(ev.paused());
    log.add(ev.message("also check staging"));
    expect(log.state.needsModel).toBe(true);
    expect(statusOf(log.state)).toBe("paused");
  });
});

describe("terminal events", () => {
  function busy() {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    log.add(ev.message("and search"));
    log.decide("c2", "search", {});
    expect(log.state.calls).toHaveLength(2);
    expect(log.state.pending).toHaveLength(1);
    return log;
  }

  it.each([
    ["cancelled", ev.cancelled("user asked"), { status: "cancelled", reason: "user asked" }],
    ["finished", ev.finished("Deployed 1.2.0", "c9"), { status: "done", message: "Deployed 1.2.0" }],
    ["failed", ev.threadFailed("internal_error", "disk on fire"), { status: "failed", code: "internal_error", message: "disk on fire" }],
  ] as const)("%s is terminal and clears pending requests and calls", (_name, body, end) => {
    const log = busy();
    log.add(body);
    const state = log.state;
    expect(state.end).toEqual(end);
    expect(state.pending).toEqual([]);
    expect(state.calls).toEqual([]);
    expect(state.needsModel).toBe(false);
    expect(statusOf(state)).toBe(end.status);
  });

  it("a cancel without a reason records none", () => {
    const log = Log.launched();
    log.add(ev.cancelled());
    expect(log.state.end).toEqual({ status: "cancelled" });
  });

  it("events after the end add no calls, requests or input and do not change the end", () => {
    const log = busy();
    log.add(ev.cancelled("stop"));
    const closed = log.state;
    log.add(ev.decided("c3", "search", {}, log.lastSeq));
    log.add(ev.approvalRequested("r2", { callId: "c3", tool: "search", args: {} }));
    log.add(ev.inputRequested("r3", "?"));
    log.add(ev.message("hello?"));
    log.add(ev.responded("r1", { approved: true }));
    log.add(ev.timedOut("r1"));
    log.add(ev.finished("done after all"));
    log.add(ev.threadFailed());
    const state = log.state;
    expect(state.calls).toEqual([]);
    expect(state.pending).toEqual([]);
    expect(state.end).toEqual({ status: "cancelled", reason: "stop" });
    expect(state.modelTurns).toBe(closed.modelTurns);
    expect(statusOf(state)).toBe("cancelled");
  });
});

describe("bookkeeping", () => {
  it("lastSeq and updatedAt follow the last event, createdAt the launch", () => {
    const events = [
      stamp(ev.launched(), 1, "2025-03-01T10:00:00.000Z"),
      stamp(ev.message("a"), 5, "2025-03-01T10:05:00.000Z"),
      stamp(ev.paused(), 9, "2025-03-02T08:00:00.000Z"),
    ];
    const state = replay(events);
    expect(state?.lastSeq).toBe(9);
    expect(state?.updatedAt).toBe("2025-03-02T08:00:00.000Z");
    expect(state?.createdAt).toBe("2025-03-01T10:00:00.000Z");
  });

  it("ignored events after the end still move lastSeq/updatedAt", () => {
    const log = Log.launched();
    log.add(ev.finished("ok"));
    const late = log.add(ev.message("thanks"));
    expect(log.state.lastSeq).toBe(late.seq);
    expect(log.state.updatedAt).toBe(late.at);
  });

  it("reduce returns new objects and never mutates its input", () => {
    const log = Log.launched();
    log.decide("c1", "search", {});
    const before = log.state;
    const frozen = JSON.parse(JSON.stringify(before)) as ThreadState;
    const after = reduce(before, stamp(ev.succeeded("c1", "search", 1), 3));
    expect(after).not.toBe(before);
    expect(before).toEqual(frozen);
  });
});

describe("statusOf", () => {
  it("is running while there is work, waiting_for_human when only humans can move it", () => {
    const log = Log.launched();
    expect(statusOf(log.state)).toBe("running");
    log.decide("c1", "deploy", { env: "production" });
    expect(statusOf(log.state)).toBe("running"); // a decided call is work
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    expect(statusOf(log.state)).toBe("waiting_for_human");
    log.add(ev.message("any news?")); // the model has something to do meanwhile
    expect(statusOf(log.state)).toBe("running");
  });

  it("is waiting_for_human while an escalation is open, even with unseen input", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1), ev.modelFailed(2), ev.modelFailed(3));
    log.add(ev.inputRequested("esc", "help", { reason: "repeated_errors" }));
    expect(log.state.needsModel).toBe(true);
    expect(statusOf(log.state)).toBe("waiting_for_human");
  });

  it("paused wins over waiting, the end wins over paused", () => {
    const log = Log.launched();
    log.decide("c1", "ask", { message: "?" });
    log.add(ev.inputRequested("r1", "?", { call: { callId: "c1", tool: "ask", args: { message: "?" } } }));
    log.add(ev.paused());
    expect(statusOf(log.state)).toBe("paused");
    log.add(ev.threadFailed("internal_error", "x"));
    expect(statusOf(log.state)).toBe("failed");
  });
});
