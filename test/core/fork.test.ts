import { describe, expect, it } from "vitest";
import { ThreadId, countsOf, next, replay, statusOf, threadView, type EventBody } from "../../src/core";
import { Log, at, catalog, ev } from "./fixtures";

const forked = (data: { threadId?: string; from?: string; atSeq: number; variant?: string; model?: string }): EventBody => ({
  type: "thread_forked",
  data: {
    threadId: ThreadId.parse(data.threadId ?? "t2"),
    from: ThreadId.parse(data.from ?? "t1"),
    atSeq: data.atSeq,
    ...(data.variant ? { variant: data.variant } : {}),
    ...(data.model ? { model: data.model } : {}),
  },
});

describe("reduce: thread_forked", () => {
  it("makes the copy its own thread: id, creation time, origin, variant and model", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "x" });
    log.add(ev.started("c1", "search", { q: "x" }), ev.succeeded("c1", "search"));
    const original = log.state;
    log.add(forked({ atSeq: 4, variant: "terse", model: "gpt-other" }));
    const fork = log.state;
    expect(fork).toMatchObject({
      id: "t2",
      agent: original.agent,
      createdAt: at(5),
      lastSeq: 5,
      forkedFrom: { threadId: "t1", atSeq: 4 },
      variant: "terse",
      model: "gpt-other",
    });
    // Nothing else changes: the fork continues exactly where the original was at seq 4.
    expect(fork.needsModel).toBe(original.needsModel);
    expect(fork.calls).toEqual(original.calls);
    expect(fork.pending).toEqual(original.pending);
    expect(statusOf(fork)).toBe(statusOf(original));
    expect(next(fork, catalog)).toEqual(next(original, catalog));
    expect(threadView(fork)).toMatchObject({ id: "t2", forkedFrom: { threadId: "t1", atSeq: 4 }, variant: "terse", model: "gpt-other" });
  });

  it("counts only what happens after the fork; the copied history was the original's", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1));
    log.decide("c1", "search", { q: "x" });
    expect(countsOf(log.state)).toEqual({ steps: 2, errors: 1, escalations: 0 });
    log.add(forked({ atSeq: 3 }));
    expect(countsOf(log.state)).toEqual({ steps: 0, errors: 0, escalations: 0 });
    log.add(ev.modelFailed(4));
    expect(countsOf(log.state)).toEqual({ steps: 1, errors: 1, escalations: 0 });
  });

  it("without overrides the fork keeps the launch's variant; a fork of a fork takes the newest marker", () => {
    const log = new Log();
    log.add({ type: "thread_launched", data: { ...(ev.launched().data as object), variant: "default" } } as EventBody);
    log.add(forked({ atSeq: 1 }));
    expect(log.state.variant).toBe("default");
    expect(log.state).not.toHaveProperty("model");
    log.add(forked({ threadId: "t3", from: "t2", atSeq: 2, model: "m2" }));
    expect(log.state).toMatchObject({ id: "t3", forkedFrom: { threadId: "t2", atSeq: 2 }, variant: "default", model: "m2" });
  });

  it("a tool started without an outcome at the fork point follows the crash rule in the fork", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "staging" }); // not idempotent
    log.add(ev.started("c1", "deploy", { env: "staging" }));
    const atStart = replay(log.events.slice(0, 3))!;
    const fork = replay([...log.events.slice(0, 3), { ...forked({ atSeq: 3 }), seq: 4, at: at(4) } as never])!;
    expect(next(fork, catalog)).toMatchObject({ kind: "fail_call", code: "outcome_unknown", call: { callId: "c1" } });
    expect(next(fork, catalog)).toEqual(next(atStart, catalog));

    const idem = Log.launched();
    idem.decide("c1", "search", { q: "z" }); // idempotent: re-run as attempt 2
    idem.add(ev.started("c1", "search", { q: "z" }), forked({ atSeq: 3 }));
    expect(next(idem.state, catalog)).toMatchObject({ kind: "run_tool", attempt: 2, call: { callId: "c1" } });
  });

  it("open human requests are copied as open (the runtime arms their deadlines in the fork)", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("req_c1", { callId: "c1", tool: "deploy", args: { env: "production" } }));
    log.add(forked({ atSeq: 3 }));
    expect(log.state.pending.map((r) => r.requestId)).toEqual(["req_c1"]);
    expect(statusOf(log.state)).toBe("waiting_for_human");
  });
});
