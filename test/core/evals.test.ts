import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { compare, questionsOf } from "../../src/evals/questions";
import { backoffMs, retryAfterMs, withRetries, DEFAULT_RETRY } from "../../src/evals/retry";
import { percentile, summarize } from "../../src/evals/summary";
import type { Answer, Question } from "../../src/evals/schemas";

const at = "2026-01-01T00:00:00.000Z";
const facts = { model: "m1", promptVersion: "sha256:p", latencyMs: 10, usage: { promptTokens: 10, completionTokens: 2 } };
const log: Event[] = [
  { seq: 1, at, id: "e1", type: "thread_launched", data: { threadId: "t-1", agent: "deploybot", message: "go", variant: "terse" } },
  { seq: 2, at, id: "e2", type: "model_decided", data: { callId: "c1", tool: "list_git_tags", args: {}, seenSeq: 1, ...facts } },
  { seq: 3, at, id: "e3", type: "model_failed", data: { code: "model_timeout", message: "slow", seenSeq: 2, ...facts } },
  { seq: 4, at, id: "e4", type: "model_decided", data: { callId: "c2", tool: "deploy_backend", args: { tag: "v1", environment: "staging" }, seenSeq: 3, ...facts } },
] as unknown as Event[];

describe("questions of a log", () => {
  it("are the recorded decisions (not failures), with their context frontier and the thread's variant", () => {
    const all = questionsOf(log, "all");
    expect(all.map((q) => [q.seq, q.seenSeq, q.baseline.tool, q.baseline.variant, q.baseline.tokens])).toEqual([
      [2, 1, "list_git_tags", "terse", 12],
      [4, 3, "deploy_backend", "terse", 12],
    ]);
    expect(questionsOf(log, "first").map((q) => q.seq)).toEqual([2]);
  });

  it("compare arguments as canonical JSON, and an error never agrees", () => {
    const q = questionsOf(log, "all")[1] as Question;
    const ans = (candidate: Answer["candidate"]): Answer => ({ candidate, tokens: 0, latencyMs: 1 });
    expect(compare(q, ans({ tool: "deploy_backend", args: { environment: "staging", tag: "v1" } }))).toEqual({ sameTool: true, same: true });
    expect(compare(q, ans({ tool: "deploy_backend", args: { environment: "production", tag: "v1" } }))).toEqual({ sameTool: true, same: false });
    expect(compare(q, ans({ error: { code: "model_timeout", message: "x" } }))).toEqual({ sameTool: false, same: false });
  });
});

describe("summary", () => {
  it("counts agreement over answered questions, errors as disagreements, tokens and latency percentiles", () => {
    const qs = questionsOf(log, "all");
    const answers = new Map<number, Answer>([
      [0, { candidate: { tool: "list_git_tags", args: {} }, tokens: 7, latencyMs: 30 }],
      [1, { candidate: { error: { code: "model_rate_limited", message: "429" } }, tokens: 0, latencyMs: 10 }],
    ]);
    expect(summarize(qs, answers)).toEqual({
      questions: 2,
      answered: 2,
      sameTool: 1,
      sameArgs: 1,
      errors: 1,
      agreement: 0.5,
      tokens: { baseline: 24, candidate: 7 },
      latencyMs: { p50: 10, p95: 30 },
    });
    expect(summarize(qs, new Map()).agreement).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });
});

describe("the eval's model backoff", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("backs off exponentially with jitter, honours Retry-After, and never waits past the cap", () => {
    const policy = { retries: 4, baseMs: 500, maxMs: 30_000 };
    expect(backoffMs(0, policy, () => 0)).toBe(250);
    expect(backoffMs(0, policy, () => 1)).toBe(500);
    expect(backoffMs(3, policy, () => 1)).toBe(4000);
    expect(backoffMs(20, policy, () => 1)).toBe(30_000);
    expect(backoffMs(0, policy, () => 0.5, 7000)).toBe(7000);
    expect(backoffMs(0, policy, () => 0.5, 90_000)).toBe(30_000);
  });

  it("retries only what is retryable, a bounded number of times", async () => {
    const waits: number[] = [];
    const options = { policy: DEFAULT_RETRY, now: () => now, random: () => 1, sleep: async (ms: number) => void waits.push(ms) };
    let calls = 0;
    const limited = await withRetries(async () => ({ result: ++calls, retryable: true, retryAfter: "2" }), options);
    expect(limited).toEqual({ result: DEFAULT_RETRY.retries + 1, attempts: DEFAULT_RETRY.retries + 1 });
    expect(waits).toEqual([2000, 2000, 2000, 2000]);
    waits.length = 0;
    calls = 0;
    const settled = await withRetries(async () => ({ result: ++calls, retryable: calls < 3 }), options);
    expect(settled).toEqual({ result: 3, attempts: 3 });
    expect(waits).toEqual([500, 1000]);
  });
});
