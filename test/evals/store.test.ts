import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EvalStore } from "../../src/evals/store";
import type { Question } from "../../src/evals/schemas";

const question = (threadId: string, seq: number): Question => ({
  threadId,
  seq,
  seenSeq: seq - 1,
  baseline: { tool: "list_git_tags", args: {}, promptVersion: "sha256:x", model: "m", variant: "default", tokens: 3 },
});
const spec = { id: `ev_${"a".repeat(32)}`, agent: "deploybot", createdAt: "2026-01-01T00:00:00.000Z", candidate: { variant: "terse", model: "m", promptVersion: "sha256:y" }, steps: "all" as const, threads: 2 };
const answer = { candidate: { tool: "list_git_tags", args: {} }, tokens: 5, latencyMs: 7 };

// The ledger that keeps a question from being asked twice, driven with explicit times
// (an object of the EVALS namespace that no eval uses, so no queue message reaches it).
describe("the eval ledger (EvalStore)", () => {
  it("leases a question to one consumer at a time, keeps the first answer, and offers lost work again", async () => {
    const stub = env.EVALS.getByName(`store-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_instance, state) => {
      const store = new EvalStore(state.storage.sql);
      store.create(spec, [question("t-a", 2), question("t-a", 5), question("t-b", 2)]);
      store.markEnqueued([0, 1, 2], 1_000);

      // A second delivery of the same message while the first holds it gets nothing.
      expect(store.lease([0, 1], 2_000, 10_000).map((r) => r.n)).toEqual([0, 1]);
      expect(store.lease([0, 1], 3_000, 11_000)).toEqual([]);
      // Answered once; a late duplicate answer is ignored.
      expect(store.answer(0, answer, true)).toBe(true);
      expect(store.answer(0, { ...answer, tokens: 99 }, true)).toBe(false);
      expect(store.counts()).toEqual({ total: 3, done: 1 });

      // Nothing looks lost before the resend window or while a lease runs.
      expect(store.stale(5_000, 60_000)).toEqual([]);
      // Later: question 2 was never picked up, question 1's consumer died holding it.
      expect(store.stale(70_000, 60_000)).toEqual([
        { n: 1, threadId: "t-a" },
        { n: 2, threadId: "t-b" },
      ]);
      // After its lease ran out, question 1 can be leased again; answered question 0 never.
      expect(store.lease([0, 1], 70_000, 80_000).map((r) => r.n)).toEqual([1]);
      expect(store.all().find((r) => r.n === 0)?.answer).toEqual(answer);
    });
  });
});
