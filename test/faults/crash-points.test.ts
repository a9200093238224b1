/**
 * A hard crash (every object aborted) at EVERY point of a five-step, three-tool run where
 * an effect is in flight: each model call, an idempotent tool and a non-idempotent one.
 * test/runtime/eviction.test.ts covers quiescent eviction between model calls and one
 * crash per effect kind in single-tool runs; this walks the whole multi-tool run.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventsOf, launch, settle, types } from "../support/api";
import { executions, gate, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { assertConsistent, count, fresh } from "./consistency";

type Point = { name: string; model?: number; tool?: "t1" | "t3" };

const POINTS: Point[] = [
  { name: "model call 1 (after launch)", model: 1 },
  { name: "idempotent tool t1 in flight", tool: "t1" },
  { name: "model call 2 (after t1 succeeded)", model: 2 },
  { name: "model call 3 (after side_effect succeeded)", model: 3 },
  { name: "non-idempotent tool t3 in flight", tool: "t3" },
  { name: "model call 4 (after t3 succeeded)", model: 4 },
  { name: "model call 5 (after echo succeeded)", model: 5 },
];

describe("crash at every in-flight point of a multi-tool run", () => {
  it.each(POINTS)("$name: finishes with no lost or duplicated events, side effects at most once", async (point) => {
    const id = fresh("crash-point");
    const g = { t1: `${id}-t1`, t3: `${id}-t3`, model: `${id}-model` };
    const label = `${id}-se`;
    const steps: ScriptStep[] = [
      { tool: "wait_on_gate_idempotent", args: { gate: g.t1 } },
      { tool: "side_effect", args: { label } },
      { tool: "wait_on_gate", args: { gate: g.t3 } },
      { tool: "echo", args: { text: "still here" } },
      { tool: "done_for_now", args: { message: "survived" } },
    ];
    // The answer held at the gate dies with the crash; the retried call gets the same step again.
    const k = point.model;
    const script = k ? [...steps.slice(0, k - 1), { gate: g.model, then: steps[k - 1] as ScriptStep }, ...steps.slice(k - 1)] : steps;
    let crashed = false;
    const openTools = () => Promise.all((["t1", "t3"] as const).filter((t) => t !== point.tool || crashed).map((t) => gate(g[t]).open()));
    await openTools();
    await launch("probe", `go ${model.script(id, script)}`, { threadId: id });
    await (k ? model.arrived(g.model) : gate(g[point.tool ?? "t1"]).reached);
    const before = await eventsOf(id);

    await abortAllDurableObjects();
    crashed = true;
    // Gates are objects too and lost their state: open them again (a re-run must pass).
    await openTools();
    if (k) await model.release(g.model);

    const done = await settle(id);
    expect(done).toMatchObject({ status: "done", result: { message: "survived" } });
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.slice(0, before.length)).toEqual(before);
    expect(executions.get(label)).toBe(1);
    expect(executions.get(g.t1)).toBe(point.tool === "t1" ? 2 : 1); // idempotent: re-run once after the crash
    expect(executions.get(g.t3)).toBe(1); // not idempotent: never twice
    const failed = events.flatMap((e) => (e.type === "tool_failed" ? [e.data.code] : []));
    expect(failed).toEqual(point.tool === "t3" ? ["outcome_unknown"] : []);
    expect(count(events, "tool_started")).toBe(point.tool === "t1" ? 5 : 4);
    expect(count(events, "model_decided")).toBe(5);
    expect(types(events).at(-1)).toBe("thread_finished");
  });
});
