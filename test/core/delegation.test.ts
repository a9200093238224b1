import { describe, expect, it } from "vitest";
import {
  childrenToCancel,
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
    expect(next(log.state, catalog)).toMatchObject({ kind: "fail_call", code: "delegation_fanout_exceeded" });
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
  });

  it("replay of a composition log equals the live state and survives JSON", () => {
    const log = waiting();
    log.add(ev.succeeded("c1", "hand_off"));
    const events = JSON.parse(JSON.stringify(log.events)).map((e: unknown) => Event.parse(e));
    expect(replay(events)).toEqual(log.state);
    expect(log.events.at(-1)?.at).toBe(at(log.lastSeq));
  });
});
