/**
 * Factor 9 under repeated faults: every kind of model and tool failure, three in a row,
 * escalates to a human instead of looping; answering resumes the thread, and a second
 * streak escalates again. test/runtime/model-failures.test.ts covers each failure once
 * and one mixed streak; this proves the streak rule for every kind.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, fireTimer, launch, settleRetries as settle } from "../support/api";
// Retryable model errors now wait out a backoff; `settle` here lets each wait pass on the test clock.
import { clock, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { assertConsistent, fresh } from "./consistency";

const errorCodes = (events: readonly Event[]) =>
  events.flatMap((e) => (e.type === "model_failed" || e.type === "tool_failed" ? [e.data.code] : []));

const KINDS: [string, ScriptStep, string][] = [
  ["HTTP 429", { status: 429, message: "slow down" }, "model_rate_limited"],
  ["HTTP 500", { status: 500 }, "model_unavailable"],
  ["a non-JSON body", { garbage: "<html>502</html>" }, "model_http_error"],
  ["empty choices", { empty: true }, "empty_response"],
  ["malformed tool arguments", { tool: "echo", rawArguments: "{\"text\": " }, "invalid_json"],
  ["an unknown tool", { tool: "format_disk", args: {} }, "unknown_tool"],
  ["several tool calls", { calls: [{ tool: "echo", args: { text: "a" } }, { tool: "nope" }] }, "too_many_tool_calls"],
  ["a throwing tool", { tool: "explode", args: {} }, "tool_error"],
  ["a tool hanging past its 50 ms timeout", { tool: "hang", args: {} }, "tool_timeout"],
];

const finish: ScriptStep = { tool: "done_for_now", args: { message: "recovered" } };

describe("three failures in a row escalate, for every kind of failure", () => {
  it.each(KINDS)("%s x3 -> escalation (model not called again); an answer resumes it", async (_name, bad, code) => {
    const id = fresh("streak");
    await launch("probe", `go ${model.script(id, [bad, bad, bad, finish])}`, { threadId: id });
    const escalated = await settle(id);
    expect(escalated.status).toBe("waiting_for_human");
    expect(escalated.pending).toMatchObject({ kind: "input", reason: "repeated_errors" });
    expect(model.consumed(id)).toBe(3);
    const events = await eventsOf(id);
    expect(errorCodes(events)).toEqual([code, code, code]);
    // Compact: error events stay short, whatever the failure carried.
    for (const e of events) if (e.type === "model_failed" || e.type === "tool_failed") expect(e.data.message.length).toBeLessThanOrEqual(1000);

    expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "try once more" } })).status).toBe(202);
    expect(await settle(id)).toMatchObject({ status: "done", result: { message: "recovered" } });
    assertConsistent(await eventsOf(id));
  });

  it("a second streak after the human answered escalates again; the thread never loops", async () => {
    const id = fresh("streak-twice");
    const bad: ScriptStep = { status: 500 };
    await launch("probe", `go ${model.script(id, [bad, bad, bad, bad, bad, bad, finish])}`, { threadId: id });
    expect((await settle(id)).pending?.reason).toBe("repeated_errors");
    await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "go on" } });
    const again = await settle(id);
    expect(again.pending?.reason).toBe("repeated_errors");
    expect(model.consumed(id)).toBe(6);
    await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "last try" } });
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.filter((e) => e.type === "human_requested")).toHaveLength(2);
  });

  it("two failures then a success reset the streak: no escalation", async () => {
    const id = fresh("streak-reset");
    const bad: ScriptStep = { status: 429 };
    const ok: ScriptStep = { tool: "echo", args: { text: "fine" } };
    await launch("probe", `go ${model.script(id, [bad, bad, ok, bad, bad, finish])}`, { threadId: id });
    expect(await settle(id)).toMatchObject({ status: "done", result: { message: "recovered" } });
    expect((await eventsOf(id)).some((e) => e.type === "human_requested")).toBe(false);
  });

  it("an escalation nobody answers fails the thread (escalation_timed_out) once, even if its timer fires twice", async () => {
    const id = fresh("streak-unanswered");
    await launch("probe", `go ${model.script(id, [{ empty: true }, { empty: true }, { empty: true }])}`, { threadId: id });
    const escalated = await settle(id);
    const requestId = escalated.pending?.requestId ?? "";
    clock.advance(24 * 3_600_000);
    try {
      await fireTimer(id, { type: "human_deadline", requestId });
      await fireTimer(id, { type: "human_deadline", requestId });
    } finally {
      clock.offsetMs = 0;
    }
    const failed = await settle(id);
    expect(failed).toMatchObject({ status: "failed", error: { code: "escalation_timed_out" } });
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.filter((e) => e.type === "human_timed_out")).toHaveLength(1);
    expect(events.filter((e) => e.type === "thread_failed")).toHaveLength(1);
    expect(model.consumed(id)).toBe(3);
  });
});

afterEach(() => {
  clock.offsetMs = 0;
});
