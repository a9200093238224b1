import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { replay, type Event, type EventBody, type NewEvent, type ThreadState } from "../../src/core";
import { perform, type EffectsHost } from "../../src/runtime/thread/effects";
import { ev, stamp } from "../core/fixtures";
import { executions } from "../support/harness";
import { probe } from "../support/probe-agent";

// The executor's last-moment approval re-check (effects.ts, invariant 5). `next` never
// hands it an unapproved call, so the end-to-end tests cannot tell whether the re-check
// exists; here the executor gets a `run_tool` step as a buggy or stale `next` might, and
// must refuse it by itself. Remove the `mayRun` line in toolStep and the first two fail.

/** The parts of a thread object a tool step touches; anything else fails the test loudly. */
function host(): { host: EffectsHost; appended: NewEvent[] } {
  const appended: NewEvent[] = [];
  const untouched = new Proxy({}, { get: (_t, name) => { throw new Error(`a tool step touched ${String(name)}`); } });
  const fake = {
    env,
    now: () => 0,
    fetch: () => Promise.reject(new Error("a tool step fetched")),
    log: untouched,
    humans: untouched,
    delegation: untouched,
    append(event: NewEvent) {
      appended.push(event);
      return { event: { ...event, seq: appended.length, at: "2025-01-01T00:00:00.000Z" } as Event, duplicate: false };
    },
  };
  return { host: fake as unknown as EffectsHost, appended };
}

function stateOf(...bodies: EventBody[]): ThreadState {
  const state = replay([ev.launched({ agent: "probe" }), ...bodies].map((body, i) => stamp(body, i + 1)));
  if (!state) throw new Error("no thread");
  return state;
}

async function runGuarded(state: ThreadState) {
  const call = state.calls[0];
  if (!call) throw new Error("no call in the state");
  const { host: h, appended } = host();
  // Exactly what a `next` that forgot invariant 5 would hand the executor.
  await perform(h, { kind: "run_tool", call, attempt: 1 }, state, probe);
  return appended;
}

describe("the executor re-checks the approval at the last moment, whatever next decided", () => {
  it("a run_tool step for a call nobody approved: tool_failed approval_missing, no tool_started, the tool never ran", async () => {
    const label = "recheck-unapproved";
    const state = stateOf(ev.decided("c1", "guarded", { label }, 1));
    expect(state.calls[0]?.phase.kind).toBe("decided");
    const appended = await runGuarded(state);
    expect(appended.map((e) => e.type)).toEqual(["tool_failed"]);
    expect(appended[0]).toMatchObject({ type: "tool_failed", data: { callId: "c1", code: "approval_missing" }, key: "outcome:c1" });
    expect(executions.get(label)).toBeUndefined();
  });

  it("a run_tool step for a call approved with OTHER arguments: approval_missing, the tool never ran", async () => {
    const label = "recheck-other-args";
    const state = stateOf(
      ev.decided("c1", "guarded", { label }, 1),
      ev.approvalRequested("r1", { callId: "c1", tool: "guarded", args: { label: "something-else" } }),
      ev.responded("r1", { approved: true }),
    );
    expect(state.calls[0]?.phase).toMatchObject({ kind: "approved", approvedArgs: { label: "something-else" } });
    const appended = await runGuarded(state);
    expect(appended.map((e) => e.type)).toEqual(["tool_failed"]);
    expect(appended[0]).toMatchObject({ data: { code: "approval_missing" } });
    expect(executions.get(label)).toBeUndefined();
  });

  it("control: a call approved with exactly these arguments starts, runs once and succeeds", async () => {
    const label = "recheck-approved";
    const state = stateOf(
      ev.decided("c1", "guarded", { label }, 1),
      ev.approvalRequested("r1", { callId: "c1", tool: "guarded", args: { label } }),
      ev.responded("r1", { approved: true }),
    );
    const appended = await runGuarded(state);
    expect(appended.map((e) => e.type)).toEqual(["tool_started", "tool_succeeded"]);
    expect(appended[1]).toMatchObject({ data: { callId: "c1", result: { guarded: label } } });
    expect(executions.get(label)).toBe(1);
  });
});
