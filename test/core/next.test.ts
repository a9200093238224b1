import { describe, expect, it } from "vitest";
import { EventBody, MAX_CONSECUTIVE_ERRORS, mayRun, next, statusOf, type ActiveCall, type JsonObject } from "../../src/core";
import { Log, catalog, cid, ev, facts, rid, time } from "./fixtures";

function decided(tool: string, args: JsonObject, callId = "c1") {
  const log = Log.launched();
  log.decide(callId, tool, args);
  return log;
}

function call(callId: string, tool: string, args: JsonObject, phase: ActiveCall["phase"] = { kind: "decided" }): ActiveCall {
  return { callId: cid(callId), tool, args, phase };
}

describe("next: deciding what happens after a model decision", () => {
  it("calls the model after the launch", () => {
    expect(next(Log.launched().state, catalog)).toEqual({ kind: "call_model" });
  });

  it("runs an inline act tool at attempt 1", () => {
    const log = decided("search", { q: "status" });
    expect(next(log.state, catalog)).toEqual({ kind: "run_tool", call: call("c1", "search", { q: "status" }), attempt: 1 });
  });

  it("asks for approval when the tool's policy wants it for these arguments", () => {
    const log = decided("deploy", { version: "1.2", env: "production" });
    expect(next(log.state, catalog)).toEqual({
      kind: "ask_human",
      request: {
        kind: "approval",
        reason: "approval_policy",
        message: 'Approve deploy with {"env":"production","version":"1.2"}?',
        call: call("c1", "deploy", { version: "1.2", env: "production" }),
      },
    });
  });

  it("runs the same tool inline when its policy does not cover these arguments", () => {
    const log = decided("deploy", { env: "staging" });
    expect(next(log.state, catalog)).toEqual({ kind: "run_tool", call: call("c1", "deploy", { env: "staging" }), attempt: 1 });
  });

  it("turns an ask_human tool into an input request with args.message", () => {
    const log = decided("ask", { message: "Which region?" });
    expect(next(log.state, catalog)).toEqual({
      kind: "ask_human",
      request: { kind: "input", reason: "model_asked", message: "Which region?", call: call("c1", "ask", { message: "Which region?" }) },
    });
  });

  it("falls back to the canonical arguments when an ask has no string message", () => {
    const step = next(decided("ask", { question: "why", n: 2 }).state, catalog);
    expect(step.kind === "ask_human" && step.request.message).toBe('{"n":2,"question":"why"}');
  });

  it("finishes with the finish tool's message", () => {
    const log = decided("done", { message: "Deployed 1.2.0 to production." });
    expect(next(log.state, catalog)).toEqual({
      kind: "finish",
      call: call("c1", "done", { message: "Deployed 1.2.0 to production." }),
      message: "Deployed 1.2.0 to production.",
    });
  });

  it("fails a call to a tool that is not in the catalog", () => {
    const log = decided("format_disk", {});
    expect(next(log.state, catalog)).toEqual({
      kind: "fail_call",
      call: call("c1", "format_disk", {}),
      code: "unknown_tool",
      message: "No tool named format_disk.",
    });
  });

  it("handles calls in decision order before calling the model again", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    log.decide("c2", "search", { q: 1 });
    log.decide("c3", "done", { message: "bye" });
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "run_tool", call: { callId: "c2" } }); // c1 waits for its approval
  });
});

describe("next: recovering a call that started but has no outcome", () => {
  it("re-runs an idempotent tool with the next attempt number", () => {
    const log = decided("search", { q: 1 });
    log.add(ev.started("c1", "search", { q: 1 }, 1));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", attempt: 2, call: { callId: "c1" } });
    log.add(ev.started("c1", "search", { q: 1 }, 2));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", attempt: 3 });
  });

  it("never re-runs a non-idempotent tool: outcome_unknown instead", () => {
    const log = decided("deploy", { env: "staging" });
    log.add(ev.started("c1", "deploy", { env: "staging" }));
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "fail_call", code: "outcome_unknown", call: { callId: "c1", tool: "deploy" } });
    expect(step.kind === "fail_call" && step.message).toContain("not re-run");
  });

  it("treats a started call of a tool that left the catalog as outcome unknown", () => {
    const log = decided("gone", {});
    log.add(ev.started("c1", "gone", {}));
    expect(next(log.state, catalog)).toMatchObject({ kind: "fail_call", code: "outcome_unknown" });
  });
});

describe("next: approvals", () => {
  const args = { env: "production", version: "1.2" };
  function awaiting() {
    const log = decided("deploy", args);
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args }));
    return log;
  }

  it("waits for a human while only approvals are pending", () => {
    expect(next(awaiting().state, catalog)).toEqual({ kind: "wait", reason: "human" });
  });

  it("runs an approved call at attempt 1", () => {
    const log = awaiting();
    log.add(ev.responded("r1", { approved: true }));
    expect(next(log.state, catalog)).toEqual({
      kind: "run_tool",
      call: call("c1", "deploy", args, { kind: "approved", requestId: rid("r1"), approvedArgs: args }),
      attempt: 1,
    });
  });

  it("after a rejection or a timeout, asks the model instead of running", () => {
    const rejected = awaiting();
    rejected.add(ev.responded("r1", { approved: false, comment: "no" }));
    expect(next(rejected.state, catalog)).toEqual({ kind: "call_model" });

    const expired = awaiting();
    expired.add(ev.timedOut("r1"));
    expect(next(expired.state, catalog)).toEqual({ kind: "call_model" });
  });

  it("does not run an approved call whose arguments differ from the approved ones", () => {
    // The request (what the human saw) and the call disagree: the approval does not cover the call.
    const log = decided("deploy", { env: "production", version: "2" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production", version: "1" } }));
    log.add(ev.responded("r1", { approved: true }));
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "fail_call", code: "approval_missing", call: { callId: "c1" } });
  });

  it("does not re-run a started call that needs approval it never had", () => {
    // e.g. a stricter policy deployed between the start and the crash recovery
    const log = decided("wipe", { table: "users" });
    log.add(ev.started("c1", "wipe", { table: "users" }));
    expect(next(log.state, catalog)).toMatchObject({ kind: "fail_call", code: "outcome_unknown", call: { callId: "c1" } });
  });

  it("re-runs an approved idempotent call that crashed, keeping its approval", () => {
    const log = decided("wipe", { table: "tmp" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "wipe", args: { table: "tmp" } }));
    log.add(ev.responded("r1", { approved: true }));
    log.add(ev.started("c1", "wipe", { table: "tmp" }));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", attempt: 2, call: { phase: { approvedArgs: { table: "tmp" } } } });
  });
});

describe("next: waiting", () => {
  it("waits while paused, even with work to do", () => {
    const log = decided("search", {});
    log.add(ev.paused());
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "paused" });
    log.add(ev.resumed());
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool" });
  });

  it.each([[ev.cancelled()], [ev.finished("ok")], [ev.threadFailed()]])("waits forever once terminal (%#)", (end) => {
    const log = decided("search", {});
    log.add(end);
    log.add(ev.message("hello?"));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "terminal" });
  });

  it("is idle when nothing is pending and the model has seen everything", () => {
    const state = { ...Log.launched().state, needsModel: false };
    expect(next(state, catalog)).toEqual({ kind: "wait", reason: "idle" });
  });

  it("waits for a human after the model asked a question", () => {
    const log = decided("ask", { message: "?" });
    log.add(ev.inputRequested("r1", "?", { call: { callId: "c1", tool: "ask", args: { message: "?" } } }));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
  });
});

describe("next: repeated errors (Factor 9)", () => {
  function failing(n: number) {
    const log = Log.launched();
    for (let i = 0; i < n; i++) log.add(ev.modelFailed(log.lastSeq, "invalid_json", `bad output ${i + 1}`));
    return log;
  }

  it("keeps calling the model below the limit", () => {
    expect(MAX_CONSECUTIVE_ERRORS).toBe(3);
    expect(next(failing(2).state, catalog)).toEqual({ kind: "call_model" });
  });

  it("escalates to a human after 3 errors in a row", () => {
    expect(next(failing(3).state, catalog)).toEqual({
      kind: "ask_human",
      request: {
        kind: "input",
        reason: "repeated_errors",
        message: "The agent hit 3 errors in a row (last: invalid_json: bad output 3). Reply with guidance to continue.",
      },
    });
  });

  it("counts tool failures too, and a success resets the count", () => {
    const log = failing(2);
    log.decide("c1", "search", {});
    log.add(ev.failed("c1", "search", "tool_error", "HTTP 503"));
    expect(next(log.state, catalog)).toMatchObject({ kind: "ask_human", request: { reason: "repeated_errors" } });

    const recovered = failing(2);
    recovered.decide("c1", "search", {});
    recovered.add(ev.succeeded("c1", "search", []));
    recovered.add(ev.modelFailed(recovered.lastSeq));
    expect(next(recovered.state, catalog)).toEqual({ kind: "call_model" });
  });

  it("waits while the escalation is pending, however much input arrives", () => {
    const log = failing(3);
    log.add(ev.inputRequested("esc", "help", { reason: "repeated_errors" }));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
    log.add(ev.responded("nope", { answer: "wrong request" }));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
  });

  it("calls the model again once the escalation is answered", () => {
    const log = failing(3);
    log.add(ev.inputRequested("esc", "help", { reason: "repeated_errors" }));
    log.add(ev.responded("esc", { answer: "use JSON mode" }));
    expect(next(log.state, catalog)).toEqual({ kind: "call_model" });
  });

  it("fails the thread when the escalation times out", () => {
    const log = failing(3);
    log.add(ev.inputRequested("esc", "help", { reason: "repeated_errors" }));
    log.add(ev.timedOut("esc"));
    expect(next(log.state, catalog)).toEqual({
      kind: "fail_thread",
      code: "escalation_timed_out",
      message: "Stopped after 3 errors in a row; nobody answered the escalation in time.",
    });
    log.add(ev.threadFailed("escalation_timed_out", "x"));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "terminal" });
  });
});

describe("next: input that arrived while the model was deciding", () => {
  it("sets the stale decision aside as superseded, then calls the model", () => {
    const log = Log.launched();
    log.add(ev.message("stop, not production!"));
    log.add(ev.decided("c1", "deploy", { env: "staging" }, 1));
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "fail_call", code: "superseded", call: { callId: "c1", tool: "deploy" } });

    log.add(ev.failed("c1", "deploy", "superseded", "new input"));
    expect(next(log.state, catalog)).toEqual({ kind: "call_model" });
    expect(log.state.consecutiveErrors).toBe(0);
  });

  it("runs a decision that saw the newest input", () => {
    const log = Log.launched();
    log.add(ev.message("staging please"));
    log.add(ev.decided("c1", "deploy", { env: "staging" }, 2));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", call: { callId: "c1" } });
  });

  it("runs a decision whose model call overlapped only a pause and resume", () => {
    const log = Log.launched();
    log.add(ev.paused(), ev.resumed());
    log.add(ev.decided("c1", "search", {}, 1));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", call: { callId: "c1" } });
  });
});

describe("mayRun (invariant 5)", () => {
  const deploy = facts("deploy");

  it("is false for arguments that need approval without one", () => {
    expect(mayRun(call("c1", "deploy", { env: "production" }), deploy)).toBe(false);
    expect(mayRun(call("c1", "deploy", { env: "production" }, { kind: "awaiting_approval", requestId: rid("r1") }), deploy)).toBe(false);
    expect(mayRun(call("c1", "deploy", { env: "production" }, { kind: "started", attempt: 1 }), deploy)).toBe(false);
  });

  it("is true for arguments the policy does not cover", () => {
    expect(mayRun(call("c1", "deploy", { env: "staging" }), deploy)).toBe(true);
  });

  it("is true for an approval of identical arguments, whatever the key order", () => {
    const log = decided("deploy", { env: "production", version: "1.2", opts: { canary: true, pct: 5 } });
    log.add(
      ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { opts: { pct: 5, canary: true }, version: "1.2", env: "production" } }),
    );
    log.add(ev.responded("r1", { approved: true }));
    const approved = log.state.calls[0];
    if (!approved) throw new Error("no call");
    expect(approved.phase.kind).toBe("approved");
    expect(mayRun(approved, deploy)).toBe(true);

    log.add(ev.started("c1", "deploy", approved.args));
    const started = log.state.calls[0];
    if (!started) throw new Error("no call");
    expect(mayRun(started, deploy)).toBe(true);
  });

  it("is false when the approved arguments differ from the call's", () => {
    const approved = call("c1", "deploy", { env: "production", version: "2" }, {
      kind: "approved",
      requestId: rid("r1"),
      approvedArgs: { env: "production", version: "1" },
    });
    expect(mayRun(approved, deploy)).toBe(false);
    const started = call("c1", "deploy", { env: "production", version: "2" }, {
      kind: "started",
      attempt: 1,
      approvedArgs: { env: "production", version: "1" },
    });
    expect(mayRun(started, deploy)).toBe(false);
  });
});

describe("next: timeout policy fail", () => {
  it("fails the thread with human_timeout, then waits as terminal", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { onTimeout: "fail" }));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
    log.add(ev.timedOut("r1"));
    expect(next(log.state, catalog)).toEqual({
      kind: "fail_thread",
      code: "human_timeout",
      message: "Nobody answered request r1 before its deadline, and its policy is to fail.",
    });
    log.add(ev.threadFailed("internal_error", "x"));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "terminal" });
  });

  it("an answer in time means no failure", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { onTimeout: "fail" }));
    log.add(ev.responded("r1", { approved: true }));
    log.add(ev.timedOut("r1")); // a timer that fired late: the answer won
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool", call: { callId: "c1" } });
  });
});

describe("next: a context over its budget (the pinned events alone do not fit)", () => {
  it("waits for the human it escalated to, even with new input for the model, and shows waiting_for_human; the answer lets the model run again", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("big", "The context no longer fits its budget.", { reason: "context_over_budget" }));
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "human" });
    expect(statusOf(log.state)).toBe("waiting_for_human");
    log.add(ev.responded("big", { answer: "drop the build logs" }));
    expect(next(log.state, catalog)).toEqual({ kind: "call_model" });
    expect(statusOf(log.state)).toBe("running");
  });
});

describe("next: a call waiting to retry (its server was unreachable)", () => {
  const retrying = (tool: string, args: JsonObject) => {
    const log = Log.launched();
    log.decide("c1", tool, args);
    log.add(
      EventBody.parse({ type: "tool_started", data: { callId: "c1", tool, args, attempt: 1 } }),
      EventBody.parse({ type: "tool_retry_scheduled", data: { callId: "c1", tool, attempt: 1, message: "down", retryAt: time(60) } }),
    );
    return log;
  };
  const due = Date.parse(time(60));

  it("waits until retryAt, and without a clock never runs it", () => {
    const log = retrying("search", { q: "x" });
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "tool_retry" });
    expect(next(log.state, catalog, {}, due - 1)).toEqual({ kind: "wait", reason: "tool_retry" });
    expect(next(log.state, catalog, {}, due)).toMatchObject({ kind: "run_tool", attempt: 2 });
  });

  it("fails rather than retries a call whose tool needs an approval it does not carry", () => {
    const log = retrying("deploy", { env: "production" });
    expect(next(log.state, catalog, {}, due)).toMatchObject({ kind: "fail_call", code: "approval_missing", message: "deploy needs a human's approval of these exact arguments." });
  });
});
