import { afterEach, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settleRetries as settle, types } from "../support/api";
// Retryable model errors now wait out a backoff; `settle` here lets each wait pass on the test clock.
import { model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

let n = 0;
async function runScript(steps: ScriptStep[]) {
  const id = `mf${++n}`;
  const marker = model.script(id, steps);
  const { thread } = await launch("probe", `go ${marker}`, { threadId: id });
  return { view: await settle(thread.id), events: await eventsOf(thread.id) };
}

const failures = (events: Event[]) =>
  events.flatMap((e) => (e.type === "model_failed" ? [e.data.code] : []));

describe("a model that returns garbage becomes compact error events, never a crash", () => {
  it.each<[string, ScriptStep, string]>([
    ["malformed JSON arguments", { tool: "echo", rawArguments: "{not json" }, "invalid_json"],
    ["an unknown tool", { tool: "rm_rf", args: {} }, "unknown_tool"],
    ["arguments that break the schema", { tool: "echo", args: { text: 42 } }, "invalid_arguments"],
    ["text instead of a tool call", { text: "I think we should deploy." }, "no_tool_call"],
    ["empty choices", { empty: true }, "empty_response"],
    ["two tool calls", { calls: [{ tool: "echo", args: { text: "a" } }, { tool: "echo", args: { text: "b" } }] }, "too_many_tool_calls"],
    ["HTTP 429", { status: 429 }, "model_rate_limited"],
    ["HTTP 500", { status: 500 }, "model_unavailable"],
    ["HTTP 400", { status: 400 }, "model_http_error"],
    ["a body that is not JSON", { garbage: "<html>bad gateway</html>" }, "model_http_error"],
  ])("%s -> %s, then the next step recovers", async (_name, bad, code) => {
    const { view, events } = await runScript([bad, { tool: "done_for_now", args: { message: "recovered" } }]);
    expect(failures(events)).toEqual([code]);
    expect(view.status).toBe("done");
    expect(view.result?.message).toBe("recovered");
    const failed = events.find((e) => e.type === "model_failed");
    // Compact, and still records what was asked (Factor 2).
    expect(failed?.type === "model_failed" && failed.data.message.length).toBeLessThanOrEqual(700);
    expect(failed?.type === "model_failed" && failed.data.promptVersion).toMatch(/^sha256:/);
  });

  it("the error is in the next model call's context; once a decision follows, it is low (the first thing a full budget drops), not hidden", async () => {
    const id = "mf-context";
    const marker = model.script(id, [
      { tool: "echo", rawArguments: "{oops" },
      { tool: "echo", args: { text: "fixed" } },
      { tool: "done_for_now", args: { message: "ok" } },
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await settle(id);
    const [, second, third] = model.requests(id);
    expect(second?.messages[1]?.content).toContain('<error code="invalid_json">');
    expect(second?.messages[1]?.content).toContain("Try: Send the arguments as valid JSON.");
    expect(third?.messages[1]?.content).toContain("<echo_result");
    // Within budget a resolved error stays (issue 21: only its own resolution makes it low, and low goes first).
    expect(third?.messages[1]?.content).toContain('<error code="invalid_json">');
    const context = (await (await api(`/v1/threads/${id}/context`)).json()) as { sections: { fromSeq: number; toSeq: number; as: string; reason: string }[] };
    const failedAt = (await eventsOf(id)).find((e) => e.type === "model_failed")?.seq;
    expect(context.sections.find((s) => s.fromSeq <= (failedAt ?? 0) && (failedAt ?? 0) <= s.toSeq)).toMatchObject({ as: "full", reason: "low" });
  });

  it("escalates to a human after 3 errors in a row instead of looping", async () => {
    const { view, events } = await runScript([
      { tool: "nope", args: {} },
      { status: 500 },
      { tool: "echo", rawArguments: "[" },
      { tool: "done_for_now", args: { message: "never reached" } },
    ]);
    expect(failures(events)).toEqual(["unknown_tool", "model_unavailable", "invalid_json"]);
    expect(view.status).toBe("waiting_for_human");
    expect(view.pending).toMatchObject({ kind: "input", reason: "repeated_errors" });
    expect(view.pending?.message).toContain("3 errors in a row");
    expect(types(events).filter((t) => !t.startsWith("notification_")).at(-1)).toBe("human_requested");
  });
});

describe("tools that misbehave", () => {
  it("a throwing tool becomes tool_failed with its message", async () => {
    const { view, events } = await runScript([{ tool: "explode" }, { tool: "done_for_now", args: { message: "saw it" } }]);
    const failed = events.find((e) => e.type === "tool_failed");
    expect(failed?.type === "tool_failed" && failed.data).toMatchObject({ code: "tool_error", message: "probe exploded on purpose" });
    expect(view.status).toBe("done");
  });

  it("a tool hanging past its timeout becomes tool_timeout", async () => {
    const { events } = await runScript([{ tool: "hang" }, { tool: "done_for_now", args: { message: "moved on" } }]);
    const failed = events.find((e) => e.type === "tool_failed");
    expect(failed?.type === "tool_failed" && failed.data.code).toBe("tool_timeout");
  });

  it("a 5 MB result is truncated with a marker and the row stays small", async () => {
    const { events } = await runScript([{ tool: "big", args: { bytes: 5_000_000 } }, { tool: "done_for_now", args: { message: "ok" } }]);
    const result = events.find((e) => e.type === "tool_succeeded");
    expect(result?.type === "tool_succeeded" && result.data.truncatedFromBytes).toBeGreaterThan(5_000_000);
    expect(JSON.stringify(result).length).toBeLessThan(10_000);
  });
});

afterEach(async () => {
  (await import("../support/harness")).clock.offsetMs = 0;
});
