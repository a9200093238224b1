import { describe, expect, it } from "vitest";
import { chooseVariant, stableHash, threadView } from "../../src/core";
import { Log, ev } from "./fixtures";

const ids = (n: number, prefix = "t-") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("prompt variants: a weighted choice per thread, pure and stable", () => {
  const variants = [
    { name: "default", weight: 3 },
    { name: "terse", weight: 1 },
  ];

  it("is deterministic: the same id always gets the same variant", () => {
    for (const id of ids(200)) {
      const first = chooseVariant(id, variants);
      expect(first).toBeDefined();
      expect(chooseVariant(id, variants)).toBe(first);
      expect(chooseVariant(id, [...variants])).toBe(first);
    }
    // Pinned values: a change to the hash would silently move live threads to other variants.
    expect(stableHash("t-1")).toBe(1081932247);
    expect(stableHash("demo-1")).toBe(1105529826);
    expect(["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"].map((id) => chooseVariant(id, variants))).toEqual([
      "default",
      "default",
      "default",
      "default",
      "terse",
      "default",
    ]);
  });

  it("respects the weights over many ids (3:1 within 2 points over 20,000 fixed ids)", () => {
    const counts = { default: 0, terse: 0 };
    for (const id of ids(20_000)) counts[chooseVariant(id, variants) as "default" | "terse"]++;
    const share = counts.terse / 20_000;
    // Binomial sd at p = 0.25, n = 20,000 is 0.3 points: 2 points is more than 6 sd.
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
  });

  it("spreads uuid-like ids as well, and three-way weights too", () => {
    const three = [
      { name: "a", weight: 1 },
      { name: "b", weight: 2 },
      { name: "c", weight: 1 },
    ];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const id of ids(20_000, "t_9f8e7d6c5b4a39281706f5e4d3c2b1a0-")) counts[chooseVariant(id, three) as string]!++;
    expect(counts["a"]! / 20_000).toBeCloseTo(0.25, 1);
    expect(counts["b"]! / 20_000).toBeCloseTo(0.5, 1);
    expect(counts["c"]! / 20_000).toBeCloseTo(0.25, 1);
  });

  it("never chooses a weight-0 variant, and chooses nothing when all weights are 0", () => {
    const withCanary = [...variants, { name: "canary", weight: 0 }];
    for (const id of ids(2_000)) expect(chooseVariant(id, withCanary)).not.toBe("canary");
    expect(chooseVariant("t-1", [{ name: "only", weight: 0 }])).toBeUndefined();
    expect(chooseVariant("t-1", [{ name: "only", weight: 5 }])).toBe("only");
  });

  it("the launch records the variant; the state and the thread view carry it", () => {
    const log = Log.launched({ message: "go" });
    expect(log.state).not.toHaveProperty("variant");
    const withVariant = new Log();
    withVariant.add({ ...ev.launched(), data: { ...(ev.launched().data as object), variant: "terse" } } as Parameters<Log["add"]>[0]);
    expect(withVariant.state.variant).toBe("terse");
    expect(threadView(withVariant.state).variant).toBe("terse");
    expect(threadView(log.state)).not.toHaveProperty("variant");
  });
});
