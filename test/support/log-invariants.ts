/** TEST ONLY: the log invariants every crash, fault and restart test checks (workerd and Node alike). */
import { expect } from "vitest";
import type { Event } from "../../src/core";

/** Dense seqs from 1, unique idempotency keys, exactly one outcome per started tool call (a re-run shares its callId). */
export function assertConsistent(events: readonly Event[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const keys = events.flatMap((e) => (e.key ? [e.key] : []));
  expect(new Set(keys).size).toBe(keys.length);
  const outcomes = new Map<string, number>();
  for (const e of events) {
    if (e.type === "tool_succeeded" || e.type === "tool_failed") outcomes.set(e.data.callId, (outcomes.get(e.data.callId) ?? 0) + 1);
  }
  for (const e of events) if (e.type === "tool_started") expect(outcomes.get(e.data.callId), `outcomes of ${e.data.callId}`).toBe(1);
}
