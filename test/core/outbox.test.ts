import { describe, expect, it } from "vitest";
import { statusOf, type ThreadState } from "../../src/core";
import { Log, at, ev } from "./fixtures";

// The human-contact side of the reducer: the notification outbox derived from the log,
// escalation of a request's deadline, and what a timeout does under each policy.

function withoutClock(state: ThreadState) {
  const { lastSeq: _seq, updatedAt: _at, ...rest } = state;
  return rest;
}

describe("notification outbox", () => {
  function requested(notify: readonly string[] = ["email", "webhook"]) {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify }));
    return log;
  }

  it("a request queues one notification per channel", () => {
    expect(requested().state.outbox).toEqual([
      { requestId: "r1", channel: "email", purpose: "request", attempts: 0 },
      { requestId: "r1", channel: "webhook", purpose: "request", attempts: 0 },
    ]);
    expect(requested([]).state.outbox).toEqual([]);
  });

  it("a sent notification leaves the outbox; others stay", () => {
    const log = requested();
    log.add(ev.notificationSent("r1", "email"));
    expect(log.state.outbox).toEqual([{ requestId: "r1", channel: "webhook", purpose: "request", attempts: 0 }]);
    log.add(ev.notificationSent("r1", "webhook", "escalation")); // another purpose: not this item
    expect(log.state.outbox).toHaveLength(1);
  });

  it("a failed notification is retried later, or dropped when the outbox gives up", () => {
    const log = requested();
    log.add(ev.notificationFailed("r1", "email", { attempt: 1, retryAt: at(60) }));
    expect(log.state.outbox[0]).toEqual({ requestId: "r1", channel: "email", purpose: "request", attempts: 1, retryAt: at(60) });
    log.add(ev.notificationFailed("r1", "email", { attempt: 5 }));
    expect(log.state.outbox.map((i) => i.channel)).toEqual(["webhook"]);
  });

  it("notification events never touch the thread's decisions", () => {
    const log = requested();
    const before = log.state;
    log.add(ev.notificationSent("r1", "email"), ev.notificationFailed("r1", "webhook", { retryAt: at(99) }));
    const { outbox: _a, lastSeq: _b, updatedAt: _c, ...rest } = log.state;
    const { outbox: _d, lastSeq: _e, updatedAt: _f, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
  });

  it.each([
    ["an answer", ev.responded("r1", { approved: true })],
    ["a timeout", ev.timedOut("r1")],
    ["a cancel", ev.cancelled()],
  ])("%s empties the request's outbox", (_what, body) => {
    const log = requested();
    log.add(ev.inputRequested("r2", "other question", { notify: ["email"] }));
    log.add(body);
    const expected = body.type === "thread_cancelled" ? [] : [{ requestId: "r2", channel: "email", purpose: "request", attempts: 0 }];
    expect(log.state.outbox).toEqual(expected);
  });
});

describe("timeout policies and escalation", () => {
  it("human_escalated extends the deadline once and notifies the escalation contact", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { onTimeout: "escalate", deadline: at(100) }));
    log.add(ev.escalated("r1", at(500), ["pager"]));
    const state = log.state;
    expect(state.pending[0]).toMatchObject({ requestId: "r1", deadline: at(500), escalated: true, onTimeout: "escalate" });
    expect(state.outbox).toEqual([{ requestId: "r1", channel: "pager", purpose: "escalation", attempts: 0 }]);
    expect(state.calls[0]?.phase).toEqual({ kind: "awaiting_approval", requestId: "r1" });
    expect(statusOf(state)).toBe("waiting_for_human");
  });

  it("human_escalated for a request that is not open changes nothing", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "?"));
    log.add(ev.responded("r1", { answer: "x" }));
    const before = log.state;
    log.add(ev.escalated("r1", at(500), ["pager"]), ev.escalated("nope", at(500), ["pager"]));
    expect(withoutClock(log.state)).toEqual(withoutClock(before));
  });

  it("a timeout with policy fail marks the thread for failure instead of asking the model", () => {
    const log = Log.launched();
    log.decide("c1", "ask", { message: "?" });
    log.add(ev.inputRequested("r1", "?", { onTimeout: "fail", call: { callId: "c1", tool: "ask", args: { message: "?" } } }));
    log.add(ev.timedOut("r1"));
    const state = log.state;
    expect(state.timeoutFailure).toBe("r1");
    expect(state.pending).toEqual([]);
    expect(state.needsModel).toBe(false);
  });

  it("a timeout with policy deny or escalate tells the model", () => {
    for (const onTimeout of ["deny", "escalate"] as const) {
      const log = Log.launched();
      log.decide("c1", "deploy", { env: "production" });
      log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { onTimeout }));
      log.add(ev.timedOut("r1"));
      expect(log.state.timeoutFailure).toBeUndefined();
      expect(log.state.calls).toEqual([]);
      expect(log.state.needsModel).toBe(true);
    }
  });
});

describe("notification outbox and user messages", () => {
  it("a message that answers a question also empties that question's outbox", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["email"] }));
    log.add(ev.inputRequested("r2", "Which region?", { notify: ["email", "webhook"] }));
    log.add(ev.message("eu-west"));
    expect(log.state.outbox).toEqual([{ requestId: "r1", channel: "email", purpose: "request", attempts: 0 }]);
  });
});

describe("a full thread's escalation (thread_filled)", () => {
  const filled = (notify: string[]) => ({ type: "thread_filled" as const, data: { cap: 100, notify } });

  it("queues one escalation per channel beside what is already queued, once, and never after the end", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["webhook"] }));
    const queued = log.state.outbox;
    expect(queued).toHaveLength(1);
    log.add(filled(["webhook", "email"]));
    expect(log.state.outbox).toEqual([
      ...queued,
      { requestId: "thread_full", channel: "webhook", purpose: "escalation", attempts: 0 },
      { requestId: "thread_full", channel: "email", purpose: "escalation", attempts: 0 },
    ]);
    expect(log.state.full).toEqual({ seq: log.lastSeq, at: at(log.lastSeq), cap: 100 });
    const once = log.state;
    log.add(filled(["slack"])); // a copy in a fork, or a race: changes nothing
    expect(log.state.outbox).toEqual(once.outbox);
    expect(log.state.full).toEqual(once.full);

    const ended = Log.launched();
    ended.add(ev.finished("done"), filled(["webhook"]));
    expect(ended.state.outbox).toEqual([]);
    expect(ended.state.full).toBeUndefined();
  });
});
