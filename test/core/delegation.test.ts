import { describe, expect, it } from "vitest";
import {
  childrenToCancel,
  DEFAULT_AGENT_TIMEOUT_SECONDS,
  decideChildReport,
  decideChildTimeout,
  Event,
  MAX_DELEGATION_DEPTH,
  next,
  replay,
  reportForParent,
  statusOf,
  threadView,
  ThreadId,
  type ChildReport,
  type EventBody,
  type ToolCatalog,
  type ToolFacts,
} from "../../src/core";
import { at, cid, ev, EPOCH, Log, time, TOOLS } from "./fixtures";

// The pure half of composition (Factor 10): delegation events, limits, reports, timeouts.

const DELEGATE: ToolFacts = { intent: "delegate", idempotent: true, needsApproval: () => false, maxChildren: 2 };
const catalog: ToolCatalog = (name) => (name === "hand_off" ? DELEGATE : TOOLS.get(name));
const kid = (n: number) => ThreadId.parse(`probe-kid${n}`);

const delegatedBody = (callId: string, child: ThreadId, deadline = time(3600)): EventBody => ({
  type: "agent_delegated",
  data: { callId: cid(callId), tool: "hand_off", agent: "probe", childThreadId: child, depth: 1, deadline },
});
const report = (callId: string, child: ThreadId, status: ChildReport["status"] = "done", message = "ok"): ChildReport => ({
  callId: cid(callId),
  childThreadId: child,
  agent: "probe",
  status,
  message,
});

/** A parent that decided a delegate call and logged the delegation. */
function waiting() {
  const log = Log.launched();
  log.decide("c1", "hand_off", { task: "t" });
  log.add(delegatedBody("c1", kid(1)));
  return log;
}

describe("a delegated call", () => {
  it("a decided delegate call is a delegate step; once delegated the thread waits for the agent", () => {
    const log = Log.launched();
    log.decide("c1", "hand_off", { task: "t" });
    expect(next(log.state, catalog)).toMatchObject({ kind: "delegate", call: { callId: "c1" } });
    log.add(delegatedBody("c1", kid(1)));
    expect(statusOf(log.state)).toBe("waiting_for_agent");
    expect(next(log.state, catalog)).toEqual({ kind: "wait", reason: "agent" });
    expect(threadView(log.state).children).toEqual([{ threadId: kid(1), agent: "probe", callId: "c1", status: "running", deadline: time(3600) }]);
  });

  it("a waiting human request takes precedence in the status; new input still reaches the model", () => {
    const log = waiting();
    log.add(ev.message("status?"));
    expect(statusOf(log.state)).toBe("running");
    expect(next(log.state, catalog)).toEqual({ kind: "call_model" });
  });

  it("a delegation for a call that is not decided (unknown, or the thread ended) changes nothing", () => {
    const log = Log.launched();
    log.add(delegatedBody("ghost", kid(1)));
    expect(log.state.children).toBeUndefined();
    const ended = waiting();
    ended.add(ev.cancelled());
    const before = ended.state;
    ended.add(delegatedBody("c1", kid(2)));
    expect(ended.state.children).toEqual(before.children);
  });
});

describe("limits", () => {
  it("depth: a thread at the depth limit gets a clear tool error instead of a child", () => {
    const log = new Log();
    log.add({ type: "thread_launched", data: { ...(ev.launched().data as object), parent: { threadId: "p", callId: "x" }, depth: MAX_DELEGATION_DEPTH } } as EventBody);
    log.decide("c1", "hand_off", { task: "t" });
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "fail_call", code: "delegation_depth_exceeded" });
    expect(step.kind === "fail_call" && step.message).toContain(`limit ${MAX_DELEGATION_DEPTH}`);
  });

  it("fan-out: children ever launched count against maxChildren", () => {
    const log = waiting();
    log.add(ev.succeeded("c1", "hand_off"));
    log.decide("c2", "hand_off", { task: "t" });
    log.add(delegatedBody("c2", kid(2)));
    log.add(ev.succeeded("c2", "hand_off"));
    log.decide("c3", "hand_off", { task: "t" });
    expect(next(log.state, catalog)).toMatchObject({
      kind: "fail_call",
      code: "delegation_fanout_exceeded",
      message: "hand_off not run: this thread already launched 2 child agents (limit 2).",
    });
  });

  it("a parent waits a day for a child by default", () => {
    expect(DEFAULT_AGENT_TIMEOUT_SECONDS).toBe(24 * 3600);
  });
});

describe("reports and timeouts", () => {
  it("the first report is the call's outcome; a repeat, another child's report or a late one appends no outcome", () => {
    const log = waiting();
    const first = decideChildReport(log.state, report("c1", kid(1), "failed", "x".repeat(2000)));
    expect(first.accepted).toBe(true);
    expect(first.event).toMatchObject({ type: "tool_failed", key: "outcome:c1", data: { code: "agent_failed" } });
    expect(first.event?.type === "tool_failed" && first.event.data.message.length).toBeLessThanOrEqual(501);
    expect(decideChildReport(log.state, report("c1", kid(9)))).toEqual({ accepted: false });
    log.add(first.event as EventBody);
    expect(log.state.calls).toEqual([]);
    expect(log.state.children?.[0]).toMatchObject({ outcome: "failed", reported: true });
    expect(decideChildReport(log.state, report("c1", kid(1)))).toEqual({ accepted: false });
  });

  it("a timeout leaves the child to cancel; its later report is recorded once and settles it", () => {
    const log = waiting();
    expect(decideChildTimeout(log.state, "c1", EPOCH + 3599_000)).toBe("not_due");
    const timeout = decideChildTimeout(log.state, "c1", EPOCH + 3600_000);
    expect(timeout).toMatchObject({ type: "tool_failed", key: "outcome:c1", data: { code: "agent_timeout" } });
    log.add(timeout as EventBody);
    expect(decideChildTimeout(log.state, "c1", EPOCH + 9999_000)).toBeUndefined();
    expect(childrenToCancel(log.state).map((c) => c.threadId)).toEqual([kid(1)]);
    const late = decideChildReport(log.state, report("c1", kid(1), "cancelled", "parent gave up"));
    expect(late).toMatchObject({ accepted: false, event: { type: "agent_reported", key: "child:c1" } });
    log.add(late.event as EventBody);
    expect(childrenToCancel(log.state)).toEqual([]);
    expect(threadView(log.state).children?.[0]?.status).toBe("timed_out");
  });

  it("an ended parent must cancel the children still running", () => {
    const log = waiting();
    log.add(ev.cancelled("stop"));
    expect(childrenToCancel(log.state).map((c) => c.threadId)).toEqual([kid(1)]);
  });

  it("a child owes its parent one report of its end, until parent_notified", () => {
    const log = new Log();
    log.add({ type: "thread_launched", data: { ...(ev.launched({ agent: "probe" }).data as object), parent: { threadId: "p1", callId: "c7" }, depth: 1 } } as EventBody);
    expect(reportForParent(log.state)).toBeUndefined();
    expect(threadView(log.state)).toMatchObject({ parent: { threadId: "p1", callId: "c7" }, depth: 1 });
    log.add(ev.finished("all done"));
    expect(reportForParent(log.state)).toEqual({ callId: "c7", childThreadId: "t1", agent: "probe", status: "done", message: "all done" });
    log.add({ type: "parent_notified", data: { threadId: ThreadId.parse("p1"), callId: cid("c7"), status: "done", accepted: true } });
    expect(reportForParent(log.state)).toBeUndefined();
    // The notice changes only that: the child is still the same finished thread.
    expect(threadView(log.state)).toMatchObject({ id: "t1", status: "done", result: { message: "all done" }, parent: { threadId: "p1", callId: "c7" } });
  });

  it("replay of a composition log equals the live state and survives JSON", () => {
    const log = waiting();
    log.add(ev.succeeded("c1", "hand_off"));
    const events = JSON.parse(JSON.stringify(log.events)).map((e: unknown) => Event.parse(e));
    expect(replay(events)).toEqual(log.state);
    expect(log.events.at(-1)?.at).toBe(at(log.lastSeq));
  });
});

describe("a child's end reaches the right call of the right parent", () => {
  /** A child thread launched by parent p1's call c7. */
  function child() {
    const log = new Log();
    log.add({ type: "thread_launched", data: { ...(ev.launched({ agent: "probe" }).data as object), parent: { threadId: "p1", callId: "c7" }, depth: 1 } } as EventBody);
    return log;
  }

  it("a failed child reports its error code and message; a cancelled one its reason, or 'cancelled' without one", () => {
    const failed = child();
    failed.add(ev.threadFailed("escalation_timed_out", "nobody answered"));
    expect(reportForParent(failed.state)).toEqual({
      callId: "c7",
      childThreadId: "t1",
      agent: "probe",
      status: "failed",
      code: "escalation_timed_out",
      message: "nobody answered",
    });
    const withReason = child();
    withReason.add(ev.cancelled("operator stopped it"));
    expect(reportForParent(withReason.state)).toEqual({ callId: "c7", childThreadId: "t1", agent: "probe", status: "cancelled", message: "operator stopped it" });
    const without = child();
    without.add(ev.cancelled());
    expect(reportForParent(without.state)).toEqual({ callId: "c7", childThreadId: "t1", agent: "probe", status: "cancelled", message: "cancelled" });
  });

  it("a thread launched from outside owes nobody a report", () => {
    const log = Log.launched();
    log.add(ev.finished("done"));
    expect(reportForParent(log.state)).toBeUndefined();
  });

  it("a child's success becomes the waiting call's result: agent, child thread and message, keyed to the call", () => {
    const log = waiting();
    expect(decideChildReport(log.state, report("c1", kid(1), "done", "shipped v2"))).toEqual({
      accepted: true,
      event: {
        type: "tool_succeeded",
        data: { callId: "c1", tool: "hand_off", result: { agent: "probe", threadId: kid(1), message: "shipped v2" }, latencyMs: 0 },
        key: "outcome:c1",
      },
    });
  });

  it("a child's failure or cancellation becomes the call's error, naming the child and its code", () => {
    const log = waiting();
    expect(decideChildReport(log.state, { ...report("c1", kid(1), "failed", "disk full"), code: "internal_error" })).toEqual({
      accepted: true,
      event: {
        type: "tool_failed",
        data: { callId: "c1", tool: "hand_off", code: "agent_failed", message: "probe (thread probe-kid1) failed (internal_error): disk full" },
        key: "outcome:c1",
      },
    });
    expect(decideChildReport(log.state, report("c1", kid(1), "failed", "disk full")).event).toMatchObject({
      data: { code: "agent_failed", message: "probe (thread probe-kid1) failed: disk full" },
    });
    expect(decideChildReport(log.state, report("c1", kid(1), "cancelled", "stopped"))).toEqual({
      accepted: true,
      event: {
        type: "tool_failed",
        data: { callId: "c1", tool: "hand_off", code: "agent_cancelled", message: "probe (thread probe-kid1) was cancelled: stopped" },
        key: "outcome:c1",
      },
    });
  });

  it("a long report is cut to 500 characters plus an ellipsis; one of exactly 500 is kept whole", () => {
    const log = waiting();
    const prefix = "probe (thread probe-kid1) failed: ";
    const exact = "x".repeat(500 - prefix.length);
    const kept = decideChildReport(log.state, report("c1", kid(1), "failed", exact)).event;
    expect(kept?.type === "tool_failed" && kept.data.message).toBe(prefix + exact);
    const long = decideChildReport(log.state, report("c1", kid(1), "failed", `${exact}y`)).event;
    expect(long?.type === "tool_failed" && long.data.message).toBe(`${prefix}${exact}…`);
  });

  it("with two children out, each report settles its own call only", () => {
    const log = waiting();
    log.decide("c2", "hand_off", { task: "u" });
    log.add(delegatedBody("c2", kid(2)));
    expect(log.state.calls.map((c) => [c.callId, c.phase.kind])).toEqual([
      ["c1", "delegated"],
      ["c2", "delegated"],
    ]);
    // Child 2's report is for c2: it must not be taken as c1's outcome, whatever order they are kept in.
    const second = decideChildReport(log.state, report("c2", kid(2), "done", "two"));
    expect(second.event).toMatchObject({ type: "tool_succeeded", key: "outcome:c2", data: { callId: "c2", result: { threadId: kid(2), message: "two" } } });
    log.add(second.event as EventBody);
    expect(log.state.calls.map((c) => c.callId)).toEqual(["c1"]);
    expect(threadView(log.state).children?.map((c) => [c.callId, c.status])).toEqual([
      ["c1", "running"],
      ["c2", "done"],
    ]);
    // A report naming c1 but sent by child 2 (a mixed-up route) is not c1's outcome.
    expect(decideChildReport(log.state, report("c1", kid(2)))).toEqual({ accepted: false });
    expect(decideChildTimeout(log.state, "c2", EPOCH + 9_999_000)).toBeUndefined();
    expect(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000)).toMatchObject({ key: "outcome:c1", data: { callId: "c1" } });
  });

  it("delegating one decided call leaves the others decided; a delegation for a call that does not exist changes nothing", () => {
    const log = Log.launched();
    log.decide("c1", "hand_off", { task: "t" });
    log.decide("c2", "search", { q: "x" });
    log.add(delegatedBody("c9", kid(9)));
    expect(log.state.children).toBeUndefined();
    expect(log.state.calls.map((c) => c.phase.kind)).toEqual(["decided", "decided"]);
    log.add(delegatedBody("c1", kid(1)));
    expect(log.state.calls.map((c) => [c.callId, c.phase.kind])).toEqual([
      ["c1", "delegated"],
      ["c2", "decided"],
    ]);
    expect(log.state.children).toEqual([{ callId: "c1", threadId: kid(1), agent: "probe", deadline: time(3600), reported: false }]);
    // A second delegation of the same call (a replayed append) launches no second child.
    log.add(delegatedBody("c1", kid(2)));
    expect(log.state.children?.map((c) => c.threadId)).toEqual([kid(1)]);
  });

  it("the outcome of a child settles its record: done and cancelled children were heard from, a timed-out one was not", () => {
    const done = waiting();
    done.add(ev.succeeded("c1", "hand_off"));
    expect(done.state.children).toEqual([expect.objectContaining({ outcome: "done", reported: true })]);
    const cancelled = waiting();
    cancelled.add(ev.failed("c1", "hand_off", "agent_cancelled", "stopped"));
    expect(cancelled.state.children).toEqual([expect.objectContaining({ outcome: "cancelled", reported: true })]);
    const failed = waiting();
    failed.add(ev.failed("c1", "hand_off", "agent_failed", "broke"));
    expect(failed.state.children).toEqual([expect.objectContaining({ outcome: "failed", reported: true })]);
    const timedOut = waiting();
    timedOut.add(decideChildTimeout(timedOut.state, "c1", EPOCH + 3_600_000) as EventBody);
    expect(timedOut.state.children).toEqual([expect.objectContaining({ outcome: "timed_out", reported: false })]);
    // Nothing but the call's outcome settles a child: a message or a pause leaves it running.
    const running = waiting();
    running.add(ev.message("how is it going?"), ev.paused(), ev.resumed());
    expect(running.state.children).toEqual([{ callId: "c1", threadId: kid(1), agent: "probe", deadline: time(3600), reported: false }]);
  });

  it("a late report keeps the parent's verdict and marks the child heard from; finished children are never cancelled", () => {
    const log = waiting();
    log.add(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000) as EventBody);
    log.add({ type: "agent_reported", data: { callId: cid("c1"), childThreadId: kid(1), status: "done", message: "finally" } });
    expect(log.state.children).toEqual([expect.objectContaining({ outcome: "timed_out", reported: true })]);
    // A report for a call that never delegated changes nothing.
    const before = log.state.children;
    log.add({ type: "agent_reported", data: { callId: cid("c5"), childThreadId: kid(5), status: "done", message: "who?" } });
    expect(log.state.children).toEqual(before);
    // A live parent cancels only timed-out children, an ended one every child not heard from.
    const ended = waiting();
    ended.add(ev.succeeded("c1", "hand_off"));
    ended.decide("c2", "hand_off", { task: "u" });
    ended.add(delegatedBody("c2", kid(2)));
    expect(childrenToCancel(ended.state)).toEqual([]);
    ended.add(ev.cancelled());
    expect(childrenToCancel(ended.state).map((c) => c.threadId)).toEqual([kid(2)]);
  });

  it("an agent_reported for a child that never reported is recorded once; a done report of a waiting call is ignored once settled", () => {
    const log = waiting();
    log.add(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000) as EventBody);
    const late = decideChildReport(log.state, report("c1", kid(1), "failed", "y".repeat(600)));
    expect(late.accepted).toBe(false);
    expect(late.event).toEqual({
      type: "agent_reported",
      data: { callId: "c1", childThreadId: kid(1), status: "failed", message: `${"y".repeat(500)}…` },
      key: "child:c1",
    });
    // From another child of the same call id (a stale route): nothing to record.
    expect(decideChildReport(log.state, report("c1", kid(7)))).toEqual({ accepted: false });
  });

  it("a timeout is due at the deadline to the millisecond, names the child and the deadline, and never fires on an ended thread", () => {
    const log = waiting();
    expect(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000 - 1)).toBe("not_due");
    expect(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000)).toEqual({
      type: "tool_failed",
      data: { callId: "c1", tool: "hand_off", code: "agent_timeout", message: `probe (thread probe-kid1) did not finish by ${time(3600)}; it was cancelled.` },
      key: "outcome:c1",
    });
    expect(decideChildTimeout(log.state, "c2", EPOCH + 3_600_000)).toBeUndefined();
    log.add(ev.cancelled());
    expect(decideChildTimeout(log.state, "c1", EPOCH + 3_600_000)).toBeUndefined();
  });
});
