/// <reference types="node" />
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  REDUCER_VERSION,
  SNAPSHOT_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  replay,
  type EventBody,
  type JsonObject,
  type ThreadState,
  type Event,
} from "../../src/core";
import { ev, stamp, time } from "./fixtures";

// Random logs over small id pools, so requests, calls and notifications collide.
const callId = fc.constantFrom("c1", "c2", "c3");
const requestId = fc.constantFrom("r1", "r2", "r3");
const tool = fc.constantFrom("search", "deploy", "ask");
const args: fc.Arbitrary<JsonObject> = fc.oneof(fc.constant({}), fc.record({ env: fc.constantFrom("production", "staging") }));
const channel = fc.constantFrom("email", "webhook");
const body: fc.Arbitrary<(seq: number) => EventBody> = fc.oneof(
  fc.constantFrom("go", "use v2").map((text) => () => ev.message(text)),
  fc.tuple(callId, tool, args, fc.nat(2)).map(([c, t, a, lag]) => (seq: number) => ev.decided(c, t, a, Math.max(0, seq - 1 - lag))),
  fc.nat(2).map((lag) => (seq: number) => ev.modelFailed(Math.max(0, seq - 1 - lag))),
  fc.tuple(callId, tool, args).map(([c, t, a]) => () => ev.started(c, t, a)),
  fc.tuple(callId, tool).map(([c, t]) => () => ev.succeeded(c, t, { ok: true })),
  fc.tuple(callId, tool, fc.constantFrom("tool_error" as const, "superseded" as const)).map(([c, t, code]) => () => ev.failed(c, t, code)),
  fc
    .tuple(requestId, callId, tool, args, fc.constantFrom("deny" as const, "escalate" as const, "fail" as const), fc.subarray(["email", "webhook"]))
    .map(([r, c, t, a, onTimeout, notify]) => () => ev.approvalRequested(r, { callId: c, tool: t, args: a }, { onTimeout, notify })),
  fc.tuple(requestId, fc.constantFrom("model_asked" as const, "repeated_errors" as const)).map(([r, reason]) => () => ev.inputRequested(r, "Which?", { reason, notify: ["email"] })),
  fc.tuple(requestId, fc.option(fc.boolean(), { nil: undefined })).map(([r, approved]) => () => ev.responded(r, approved === undefined ? { answer: "eu" } : { approved })),
  requestId.map((r) => () => ev.timedOut(r)),
  fc.tuple(requestId, channel).map(([r, c]) => (seq: number) => ev.escalated(r, time(seq + 7200), [c])),
  fc.tuple(requestId, channel).map(([r, c]) => () => ev.notificationSent(r, c)),
  fc.tuple(requestId, channel, fc.boolean()).map(([r, c, retry]) => (seq: number) => ev.notificationFailed(r, c, retry ? { retryAt: time(seq) } : {})),
  fc.constantFrom(ev.paused(), ev.resumed(), ev.cancelled("why"), ev.finished("done")).map((e) => () => e),
);
const logArb: fc.Arbitrary<Event[]> = fc.array(body, { maxLength: 120 }).map((makers) => [
  stamp(ev.launched({ metadata: { team: "core" }, humanTimeoutSeconds: 60 }), 1),
  ...makers.map((make, i) => stamp(make(i + 2), i + 2)),
]);

describe("snapshots of the reduced state (invariant 1)", () => {
  it("snapshot after any prefix + replay of the tail deep-equals a full replay", () => {
    fc.assert(
      fc.property(logArb, fc.nat(), (events, cut) => {
        const k = 1 + (cut % events.length); // snapshots exist only once the thread is launched
        const head = replay(events.slice(0, k)) as ThreadState;
        const loaded = decodeSnapshot(encodeSnapshot(head));
        expect(loaded).toStrictEqual(head);
        expect(replay(events.slice(k), loaded)).toStrictEqual(replay(events));
      }),
      { seed: 20250101, numRuns: 400 },
    );
  });

  it("ignores a snapshot from another reducer version or one that does not match its seq", () => {
    const state = replay([stamp(ev.launched(), 1), stamp(ev.message("go"), 2)]) as ThreadState;
    const good = encodeSnapshot(state);
    expect(decodeSnapshot(good)).toStrictEqual(state);
    expect(decodeSnapshot({ ...good, version: "s1:0123456789abcdef" })).toBeUndefined();
    expect(decodeSnapshot({ ...good, lastSeq: 3 })).toBeUndefined();
    expect(decodeSnapshot({ ...good, state: good.state.slice(0, 20) })).toBeUndefined();
    expect(decodeSnapshot({ ...good, state: "null" })).toBeUndefined();
  });

  it("ignores a row edited into something that is not a thread state, and never throws on it", () => {
    const state = replay([stamp(ev.launched(), 1)]) as ThreadState;
    const good = encodeSnapshot(state);
    expect(good).toEqual({ version: SNAPSHOT_VERSION, lastSeq: 1, state: JSON.stringify(state) });
    // The codec and the reducer's version both name the encoding: either changing makes old rows stale.
    expect(SNAPSHOT_VERSION).toBe(`s1:${REDUCER_VERSION}`);
    for (const edited of ["1", '"t1"', "[1]", "true", "{}", '{"lastSeq":1}', '{"lastSeq":1,"id":7}', "{oops"]) {
      expect(decodeSnapshot({ ...good, state: edited }), edited).toBeUndefined();
    }
    expect(decodeSnapshot({ ...good, state: '{"lastSeq":1,"id":"t1"}' })).toEqual({ lastSeq: 1, id: "t1" });
  });

  // Skipped under `npm run mutate` (vitest.mutate.config.ts): Stryker instruments every core
  // file with all its mutants at once, so this hash differs for every mutant, including the
  // ones the other tests must kill on their merits; it would "kill" all of them for nothing.
  it.skipIf(process.env["MUTATION_RUN"] === "1")("REDUCER_VERSION is the hash of the reducer's source, so editing it invalidates stored snapshots", () => {
    // Every core file the reducer reaches through its imports (reduce.ts, state.ts, events.ts,
    // delegation.ts, stats.ts, ...), in a stable order: a change to any of them can change state.
    const core = resolve(import.meta.dirname, "../../src/core");
    const files = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const source = readFileSync(resolve(core, file), "utf8");
      for (const [, target] of source.matchAll(/from "\.\/([a-z0-9-]+)"/g)) visit(`${target}.ts`);
    };
    visit("reduce.ts");
    const hash = createHash("sha256");
    for (const file of [...files].sort()) hash.update(readFileSync(resolve(core, file)));
    const actual = hash.digest("hex").slice(0, 16);
    // On failure: the reducer changed. Set REDUCER_VERSION in src/core/reducer-version.ts to the value shown.
    expect(REDUCER_VERSION, `the reducer or a file it imports changed (${[...files].sort().join(", ")}): update REDUCER_VERSION`).toBe(actual);
    expect(SNAPSHOT_VERSION).toContain(actual);
  });
});
