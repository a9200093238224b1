import { describe, expect, it } from "vitest";
import {
  MODEL_RETRY_MAX_MS,
  modelRetryDelayMs,
  next,
  nextDue,
  replay,
  RETRY_AFTER_CAP_MS,
  timers,
  type Event,
  type ThreadState,
} from "../../src/core";
import { retryAfter } from "../../src/model/retry-after";

// Invariant 9, the pure half: every timed obligation is derived from the log.

let seq = 0;
const at = (ms: number) => new Date(ms).toISOString();
const ev = (type: string, data: Record<string, unknown>, t = 0) => ({ seq: ++seq, at: at(t), type, data }) as unknown as Event;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

function thread(...events: Event[]): ThreadState {
  seq = 0;
  return replay([ev("thread_launched", { threadId: "t1", agent: "probe", message: "go" }, T0), ...events]) as ThreadState;
}

const request = (requestId: string, deadlineMs: number, notify: string[] = []) =>
  ev("human_requested", { requestId, kind: "input", reason: "model_asked", message: "?", deadline: at(deadlineMs), onTimeout: "deny", notify }, T0);
const modelFailed = (retryAt?: number) =>
  ev("model_failed", { code: "model_rate_limited", message: "429", seenSeq: 1, model: "m", promptVersion: "p", latencyMs: 1, ...(retryAt ? { retryAt: at(retryAt) } : {}) }, T0);

describe("timers(state)", () => {
  it("nothing owed on a fresh thread: no wake-up", () => {
    expect(timers(thread())).toEqual([]);
    expect(nextDue(timers(thread()))).toBeUndefined();
  });

  it("lists every open deadline, the outbox's first attempts (at once) and retries, and the model's retry wait", () => {
    const s = thread(
      request("r1", T0 + 5_000, ["webhook"]),
      request("r2", T0 + 2_000),
      ev("notification_failed", { requestId: "r1", channel: "webhook", purpose: "request", attempt: 1, message: "500", retryAt: at(T0 + 30_000) }),
    );
    expect(timers(s)).toEqual([
      { kind: "human_deadline", requestId: "r1", dueAt: T0 + 5_000 },
      { kind: "human_deadline", requestId: "r2", dueAt: T0 + 2_000 },
      { kind: "notification", requestId: "r1", channel: "webhook", dueAt: T0 + 30_000 },
    ]);
    expect(nextDue(timers(s))).toBe(T0 + 2_000);
    expect(nextDue(timers(thread(modelFailed(T0 + 1_500))))).toBe(T0 + 1_500);
  });

  it("an escalation's extended deadline replaces the first", () => {
    const s = thread(request("r1", T0 + 2_000), ev("human_escalated", { requestId: "r1", deadline: at(T0 + 4_000), notify: [] }));
    expect(timers(s)).toEqual([{ kind: "human_deadline", requestId: "r1", dueAt: T0 + 4_000 }]);
  });

  it("runtime-only retries count only while their work is owed; sync_index always", () => {
    const s = thread();
    expect(timers(s, { launch_children: T0, cancel_children: T0, report_to_parent: T0 })).toEqual([]);
    expect(timers(s, { sync_index: T0 + 700 })).toEqual([{ kind: "sync_index", dueAt: T0 + 700 }]);
  });

  it("a trace export retry (issue 29) is owed at its time, on a running or an ended thread, and not without one", () => {
    expect(timers(thread(), { export_traces: T0 + 900 })).toEqual([{ kind: "export_traces", dueAt: T0 + 900 }]);
    expect(timers(thread(ev("thread_cancelled", {})), { export_traces: T0 + 5 })).toEqual([{ kind: "export_traces", dueAt: T0 + 5 }]);
    expect(timers(thread(), {})).toEqual([]);
  });

  it("a paused thread's model retry waits for the resume; an ended thread owes nothing", () => {
    expect(timers(thread(modelFailed(T0 + 1_000), ev("thread_paused", {})))).toEqual([]);
    expect(timers(thread(request("r1", T0 + 2_000), ev("thread_cancelled", {})))).toEqual([]);
  });
});

describe("model retry backoff", () => {
  it("doubles from 1 s with jitter in [0.5, 1), capped at 30 s", () => {
    expect(modelRetryDelayMs(1, 0)).toBe(500);
    expect(modelRetryDelayMs(1, 0.999)).toBeLessThan(1_000);
    expect(modelRetryDelayMs(2, 0)).toBe(1_000);
    expect(modelRetryDelayMs(20, 0.999)).toBeLessThanOrEqual(MODEL_RETRY_MAX_MS);
  });

  it("honours Retry-After up to its cap", () => {
    expect(modelRetryDelayMs(1, 0, 7_000)).toBe(7_000);
    expect(modelRetryDelayMs(1, 0, 10 * RETRY_AFTER_CAP_MS)).toBe(RETRY_AFTER_CAP_MS);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(retryAfter("3", T0)).toBe(3_000);
    expect(retryAfter(new Date(T0 + 5_000).toUTCString(), T0)).toBe(5_000);
    expect(retryAfter(new Date(T0 - 5_000).toUTCString(), T0)).toBe(0);
    expect(retryAfter("soon", T0)).toBeUndefined();
    expect(retryAfter(undefined, T0)).toBeUndefined();
  });

  it("next(): inside the wait the thread waits; at retryAt the model is called; without a clock it waits", () => {
    const s = thread(modelFailed(T0 + 1_000));
    const catalog = () => undefined;
    expect(next(s, catalog, {}, T0 + 999)).toEqual({ kind: "wait", reason: "model_retry" });
    expect(next(s, catalog, {}, T0 + 1_000)).toEqual({ kind: "call_model" });
    expect(next(s, catalog)).toEqual({ kind: "wait", reason: "model_retry" });
    expect(next(thread(modelFailed()), catalog)).toEqual({ kind: "call_model" });
  });

  it("timers(): the wait is one model_retry obligation at retryAt, none while paused", () => {
    const s = thread(modelFailed(T0 + 1_000));
    expect(timers(s).filter((o) => o.kind === "model_retry")).toEqual([{ kind: "model_retry", dueAt: T0 + 1_000 }]);
    expect(timers({ ...s, paused: true }).filter((o) => o.kind === "model_retry")).toEqual([]);
    expect(timers(thread(modelFailed())).filter((o) => o.kind === "model_retry")).toEqual([]);
  });
});

describe("timers(state): every obligation, due exactly when it should be", () => {
  const childOf = (...events: Event[]) => {
    seq = 0;
    return replay([
      ev("thread_launched", { threadId: "kid", agent: "probe", message: "go", parent: { threadId: "p1", callId: "c7" }, depth: 1 }, T0),
      ...events,
    ]) as ThreadState;
  };
  const delegated = () =>
    thread(
      ev("model_decided", { callId: "c1", tool: "hand_off", args: {}, seenSeq: 1, model: "m", promptVersion: "p", latencyMs: 1 }, T0),
      ev("agent_delegated", { callId: "c1", tool: "hand_off", agent: "probe", childThreadId: "kid1", depth: 1, deadline: at(T0 + 60_000) }, T0),
    );
  const DAY = 86_400_000;

  it("the index sync is owed with or without a thread; nothing else is owed before the launch", () => {
    expect(timers(undefined, { sync_index: T0 + 5 })).toEqual([{ kind: "sync_index", dueAt: T0 + 5 }]);
    expect(timers(undefined, { drive: T0, report_to_parent: T0, erase: T0 }, { retentionMs: DAY })).toEqual([]);
  });

  it("a notification never attempted is due at once (0), ahead of any deadline", () => {
    const s = thread(request("r1", T0 + 5_000, ["email"]));
    expect(timers(s)).toEqual([
      { kind: "human_deadline", requestId: "r1", dueAt: T0 + 5_000 },
      { kind: "notification", requestId: "r1", channel: "email", dueAt: 0 },
    ]);
    expect(nextDue(timers(s))).toBe(0);
  });

  it("a stopped step loop is driven again at its retry, only while the thread is live", () => {
    expect(timers(thread(), { drive: T0 + 300 })).toEqual([{ kind: "drive", dueAt: T0 + 300 }]);
    expect(timers(thread(ev("thread_finished", { message: "ok" })), { drive: T0 + 300 })).toEqual([]);
  });

  it("a delegated call's deadline is owed while the parent lives; a failed launch is retried only while a child is waited for", () => {
    expect(timers(delegated(), { launch_children: T0 + 2_000 })).toEqual([
      { kind: "agent_deadline", callId: "c1", dueAt: T0 + 60_000 },
      { kind: "launch_children", dueAt: T0 + 2_000 },
    ]);
    expect(timers(delegated())).toEqual([{ kind: "agent_deadline", callId: "c1", dueAt: T0 + 60_000 }]);
    // Ended: no deadline, no launch; the still-running child must be cancelled, at its retry.
    const ended = thread(
      ev("model_decided", { callId: "c1", tool: "hand_off", args: {}, seenSeq: 1, model: "m", promptVersion: "p", latencyMs: 1 }, T0),
      ev("agent_delegated", { callId: "c1", tool: "hand_off", agent: "probe", childThreadId: "kid1", depth: 1, deadline: at(T0 + 60_000) }, T0),
      ev("thread_cancelled", {}),
    );
    expect(timers(ended, { launch_children: T0, cancel_children: T0 + 9_000 })).toEqual([{ kind: "cancel_children", dueAt: T0 + 9_000 }]);
    expect(timers(ended)).toEqual([]);
  });

  it("a child that ended owes its parent the report at once, or at the retry after a failed attempt; not after parent_notified", () => {
    const ended = childOf(ev("thread_finished", { message: "done" }, T0 + 1_000));
    expect(timers(ended)).toEqual([{ kind: "report_to_parent", dueAt: 0 }]);
    expect(timers(ended, { report_to_parent: T0 + 4_000 })).toEqual([{ kind: "report_to_parent", dueAt: T0 + 4_000 }]);
    const told = childOf(
      ev("thread_finished", { message: "done" }, T0 + 1_000),
      ev("parent_notified", { threadId: "p1", callId: "c7", status: "done", accepted: true }, T0 + 2_000),
    );
    expect(timers(told, { report_to_parent: T0 + 4_000 })).toEqual([]);
  });

  it("retention erases an ended thread that long after its end, or at the retry after a refused erase, whichever is later", () => {
    const ended = thread(ev("thread_finished", { message: "ok" }, T0 + 10_000));
    expect(timers(ended, {}, { retentionMs: DAY })).toEqual([{ kind: "erase", dueAt: T0 + 10_000 + DAY }]);
    expect(timers(ended, { erase: T0 + 2 * DAY }, { retentionMs: DAY })).toEqual([{ kind: "erase", dueAt: T0 + 2 * DAY }]);
    expect(timers(ended, { erase: T0 }, { retentionMs: DAY })).toEqual([{ kind: "erase", dueAt: T0 + 10_000 + DAY }]);
    // Kept forever without a retention; a live thread is never erased.
    expect(timers(ended)).toEqual([]);
    expect(timers(thread(), {}, { retentionMs: DAY })).toEqual([]);
    // A child is not erased before its parent has heard how it ended.
    const child = childOf(ev("thread_finished", { message: "ok" }, T0 + 10_000));
    expect(timers(child, {}, { retentionMs: DAY })).toEqual([{ kind: "report_to_parent", dueAt: 0 }]);
  });

  it("nextDue is the earliest due time, whatever the order", () => {
    const o = (dueAt: number) => ({ kind: "drive", dueAt }) as const;
    expect(nextDue([o(30), o(10), o(20)])).toBe(10);
    expect(nextDue([o(10), o(30), o(20)])).toBe(10);
    expect(nextDue([o(20), o(30), o(10)])).toBe(10);
    expect(nextDue([o(7)])).toBe(7);
  });
});

describe("model retry backoff, exactly", () => {
  it("waits 1, 2, 4 ... seconds times a jitter factor in [0.5, 1), up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => modelRetryDelayMs(n, 0))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(modelRetryDelayMs(3, 0.5)).toBe(3_000);
    expect(modelRetryDelayMs(10, 0.5)).toBe(22_500);
    // A first attempt (0 failures recorded) waits like the first retry, not less.
    expect(modelRetryDelayMs(0, 0.5)).toBe(750);
  });

  it("a jitter outside [0, 1) is clamped, never a negative or doubled wait", () => {
    expect(modelRetryDelayMs(2, -3)).toBe(1_000);
    expect(modelRetryDelayMs(2, 7)).toBe(2_000);
  });

  it("Retry-After is a floor, not a replacement: a shorter one leaves the backoff; a negative one counts as none", () => {
    expect(modelRetryDelayMs(4, 0.5, 1_000)).toBe(6_000);
    expect(modelRetryDelayMs(1, 0, -5_000)).toBe(500);
    expect(modelRetryDelayMs(1, 0, RETRY_AFTER_CAP_MS - 1)).toBe(RETRY_AFTER_CAP_MS - 1);
  });
});

describe("an escalation moves its own request's deadline, no other", () => {
  it("two open requests: escalating one extends it once and notifies its contact; the other keeps its deadline", () => {
    const s = thread(
      request("r1", T0 + 2_000),
      request("r2", T0 + 3_000),
      ev("human_escalated", { requestId: "r1", deadline: at(T0 + 9_000), notify: ["email"] }),
    );
    expect(timers(s)).toEqual([
      { kind: "human_deadline", requestId: "r1", dueAt: T0 + 9_000 },
      { kind: "human_deadline", requestId: "r2", dueAt: T0 + 3_000 },
      { kind: "notification", requestId: "r1", channel: "email", dueAt: 0 },
    ]);
    expect(s.pending.map((r) => [r.requestId, r.escalated])).toEqual([
      ["r1", true],
      ["r2", false],
    ]);
    expect(s.outbox).toEqual([{ requestId: "r1", channel: "email", purpose: "escalation", attempts: 0 }]);
  });

  it("an escalation of a request no longer open, or on an ended thread, moves nothing and notifies nobody", () => {
    const answered = thread(
      request("r1", T0 + 2_000),
      ev("human_responded", { requestId: "r1", answer: "prod", by: { kind: "api", id: "ops", verifiedBy: "api_token" } }),
      ev("human_escalated", { requestId: "r1", deadline: at(T0 + 9_000), notify: ["email"] }),
    );
    expect(timers(answered)).toEqual([]);
    const ended = thread(request("r1", T0 + 2_000), ev("thread_cancelled", {}), ev("human_escalated", { requestId: "r1", deadline: at(T0 + 9_000), notify: ["email"] }));
    expect(timers(ended)).toEqual([]);
  });
});
