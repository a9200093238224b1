import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, eventsOf, launch, settle, thread, types } from "../support/api";
import { executions, gate, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { assertConsistent } from "../support/log-invariants";

const stubOf = (id: string) => env.THREADS.getByName(id);


const run = (label: string): ScriptStep => ({ tool: "side_effect", args: { label } });

describe("eviction at every step boundary (evictDurableObject)", () => {
  // A four-step run; for boundary k the thread is paused while model call k is in
  // flight, so it stops right after that step, is evicted, then resumed.
  const steps = (p: string): ScriptStep[] => [run(`${p}-a`), run(`${p}-b`), { tool: "echo", args: { text: p } }, { tool: "done_for_now", args: { message: `${p} done` } }];

  it.each([1, 2, 3, 4])("after model call %i: resumes with no lost and no duplicated events", async (k) => {
    const id = `ev-boundary-${k}`;
    const script = steps(id).map((step, i) => (i === k - 1 ? { gate: `${id}-gate`, then: step } : step));
    const marker = model.script(id, script);
    await launch("probe", `go ${marker}`, { threadId: id });
    await model.arrived(`${id}-gate`);
    expect((await api(`/v1/threads/${id}/pause`, { method: "POST" })).status).toBe(200);
    await model.release(`${id}-gate`);
    const paused = await settle(id);
    expect(paused.status).toBe("paused");
    const before = await eventsOf(id);

    await evictDurableObject(stubOf(id));
    // A fresh instance rebuilds exactly the same state from the log.
    expect(await thread(id).thread()).toEqual(paused);

    expect((await api(`/v1/threads/${id}/resume`, { method: "POST" })).status).toBe(200);
    const done = await settle(id);
    expect(done.status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.slice(0, before.length)).toEqual(before);
    expect(types(events).filter((t) => t === "model_decided")).toHaveLength(4);
    expect(executions.get(`${id}-a`)).toBe(1);
    expect(executions.get(`${id}-b`)).toBe(1);
  });
});

describe("crash mid-step (every object aborted while an effect is in flight)", () => {
  it("during a model call: the call is simply made again; nothing is lost or doubled", async () => {
    const id = "crash-model";
    const marker = model.script(id, [
      run("crash-model-1"),
      { gate: "crash-model-gate", then: run("never-delivered") },
      run("crash-model-2"),
      { tool: "done_for_now", args: { message: "finished after the crash" } },
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await model.arrived("crash-model-gate");
    const before = await eventsOf(id);
    expect(types(before)).toEqual(["thread_launched", "model_decided", "tool_started", "tool_succeeded"]);

    await abortAllDurableObjects();
    await model.release("crash-model-gate"); // the dead instance's answer must go nowhere

    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.slice(0, 4)).toEqual(before);
    expect(executions.get("crash-model-1")).toBe(1);
    expect(executions.get("crash-model-2")).toBe(1);
    expect(executions.get("never-delivered")).toBeUndefined();
  });

  it("during a tool that is not idempotent: never re-run; the model is told the outcome is unknown", async () => {
    const id = "crash-tool";
    const marker = model.script(id, [
      { tool: "wait_on_gate", args: { gate: "crash-tool-gate" } },
      { tool: "done_for_now", args: { message: "checked" } },
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await gate("crash-tool-gate").reached;
    await abortAllDurableObjects();
    await gate("crash-tool-gate").open(); // the dead instance finishes the tool but cannot record it

    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(types(events)).toEqual(["thread_launched", "model_decided", "tool_started", "tool_failed", "model_decided", "thread_finished"]);
    const failed = events[3];
    expect(failed?.type === "tool_failed" && failed.data.code).toBe("outcome_unknown");
    expect(executions.get("crash-tool-gate")).toBe(1);
    expect(model.requests(id)[1]?.messages[1]?.content).toContain('code="outcome_unknown"');
  });

  it("during an idempotent tool: re-run once as attempt 2, one outcome", async () => {
    const id = "crash-idem";
    const marker = model.script(id, [
      { tool: "wait_on_gate_idempotent", args: { gate: "crash-idem-gate" } },
      { tool: "done_for_now", args: { message: "ok" } },
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await gate("crash-idem-gate").reached;
    await abortAllDurableObjects();
    await gate("crash-idem-gate").open();

    await settle(id);
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.flatMap((e) => (e.type === "tool_started" ? [e.data.attempt] : []))).toEqual([1, 2]);
    expect(types(events).filter((t) => t === "tool_succeeded")).toHaveLength(1);
    expect(executions.get("crash-idem-gate")).toBe(2);
  });
});
