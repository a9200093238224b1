import { describe, expect, it } from "vitest";
import {
  MODEL_RETRY_MAX_MS,
  modelRetryDelayMs,
  next,
  nextDue,
  replay,
  RETRY_AFTER_CAP_MS,
  timers,
  wakeSecond,
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

  it("a paused thread's model retry waits for the resume; an ended thread owes nothing", () => {
    expect(timers(thread(modelFailed(T0 + 1_000), ev("thread_paused", {})))).toEqual([]);
    expect(timers(thread(request("r1", T0 + 2_000), ev("thread_cancelled", {})))).toEqual([]);
  });
});

describe("wakeSecond", () => {
  it("rounds UP to the whole second, so the SDK's flooring never makes a wake early", () => {
    expect(wakeSecond(T0)).toBe(T0 / 1000);
    expect(wakeSecond(T0 + 1)).toBe(T0 / 1000 + 1);
    expect(wakeSecond(T0 + 999)).toBe(T0 / 1000 + 1);
    for (const due of [T0 + 1, T0 + 400, T0 + 999, T0 + 1_000]) expect(wakeSecond(due) * 1000).toBeGreaterThanOrEqual(due);
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
});
