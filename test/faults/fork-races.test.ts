/**
 * Fork under fire, beyond test/triggers/fork.test.ts (sequential idempotency, bad input,
 * crash rule): the same fork requested 20 times at once (by threadId, by Idempotency-Key),
 * conflicting forks racing for one id, forks of a waiting thread (one deadline timer, not
 * twenty), and a fork taken while the original's model call is in flight. Every time:
 * exactly one fork, a whole and exact copy, and the original untouched byte for byte.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { api, deadlineTimers, eventsOf, launch, settle, thread } from "../support/api";
import { model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { assertConsistent, count, fresh } from "./consistency";

const N = 20;
const done = (message = "done"): ScriptStep => ({ tool: "done_for_now", args: { message } });
const ask = (message: string): ScriptStep => ({ tool: "request_more_information", args: { message } });
const times = <T>(n: number, make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => make(i)));

async function rawRows(id: string): Promise<unknown[]> {
  return runInDurableObject(env.THREADS.getByName(id), async (_instance, state) => state.storage.sql.exec("SELECT * FROM events ORDER BY seq").toArray());
}

async function fork(id: string, body: unknown, headers?: HeadersInit) {
  const response = await api(`/v1/threads/${id}/fork`, { method: "POST", json: body, ...(headers ? { headers } : {}) });
  return { status: response.status, body: (await response.json()) as ThreadView & { error?: { code: string } } };
}

async function original(steps: ScriptStep[]) {
  const id = fresh("fork-orig");
  await launch("probe", `work ${model.script(id, steps)}`, { threadId: id, humanTimeoutSeconds: 3600 });
  return { id, view: await settle(id) };
}

const copy = (events: readonly Event[]) => events.map((e) => ({ seq: e.seq, type: e.type, data: e.data, at: e.at, key: e.key, source: e.source }));
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

/** The fork holds exactly events 1..atSeq of the original, then one marker. */
async function expectExactFork(forkId: string, from: string, atSeq: number, originalEvents: readonly Event[]) {
  const events = await eventsOf(forkId);
  assertConsistent(events);
  expect(copy(events.slice(0, atSeq))).toEqual(copy(originalEvents.slice(0, atSeq)));
  expect(events[atSeq]).toMatchObject({ type: "thread_forked", data: { threadId: forkId, from, atSeq } });
  expect(count(events, "thread_forked")).toBe(1);
  expect(count(events, "thread_launched")).toBe(1);
  return events;
}

describe(`the same fork ${N} times at once`, () => {
  it("by threadId: one 201, the rest 200 with the same fork, one exact copy, the original untouched", async () => {
    const o = await original([{ tool: "echo", args: { text: "a" } }, done("original done")]);
    const before = await eventsOf(o.id);
    const rows = await rawRows(o.id);
    model.script(o.id, [done("fork done")]);
    const forkId = fresh("fork-same");
    const results = await times(N, () => fork(o.id, { atSeq: 3, threadId: forkId }));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(new Set(results.map((r) => r.body.id))).toEqual(new Set([forkId]));
    expect((await settle(forkId)).status).toBe("done");
    await expectExactFork(forkId, o.id, 3, before);
    expect(model.consumed(o.id)).toBe(1); // the fork's one model call, not twenty
    expect(await eventsOf(o.id)).toEqual(before);
    expect(await rawRows(o.id)).toEqual(rows);
  });

  it("by Idempotency-Key alone: every answer names one fork, one 201", async () => {
    const o = await original([ask("which env?")]);
    const before = await eventsOf(o.id);
    const key = fresh("fork-key");
    const results = await times(N, () => fork(o.id, { atSeq: 2 }, { "idempotency-key": key }));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [forkId = ""] = ids;
    await settle(forkId);
    await expectExactFork(forkId, o.id, 2, before);
    expect(await eventsOf(o.id)).toEqual(before);
  });

  it("of a thread waiting on an approval: the fork waits too, with ONE deadline timer for the copied request", async () => {
    const o = await original([{ tool: "guarded", args: { label: fresh("fork-guard") } }]);
    expect(o.view.status).toBe("waiting_for_human");
    const before = await eventsOf(o.id);
    const forkId = fresh("fork-wait");
    const results = await times(N, () => fork(o.id, { atSeq: before.length, threadId: forkId }));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect((await settle(forkId)).status).toBe("waiting_for_human");
    await expectExactFork(forkId, o.id, before.length, before);
    expect(await deadlineTimers(forkId)).toEqual([{ requestId: o.view.pending?.requestId, time: expect.any(Number) }]);
    expect(await deadlineTimers(o.id)).toHaveLength(1);
    expect(await eventsOf(o.id)).toEqual(before);
  });
});

describe("conflicting forks racing for one id", () => {
  it(`${N} forks with different atSeq/model for one threadId: one wins, identical requests get 200, the rest 409; the copy is whole`, async () => {
    const o = await original([{ tool: "echo", args: { text: "x" } }, ask("more?")]);
    const before = await eventsOf(o.id);
    const rows = await rawRows(o.id);
    const forkId = fresh("fork-race");
    const bodies = Array.from({ length: N }, (_, i) => ({ atSeq: 1 + (i % 3), threadId: forkId, ...(i % 2 ? { model: `m${i % 4}` } : {}) }));
    const results = await times(N, (i) => fork(o.id, bodies[i]));
    const created = results.flatMap((r, i) => (r.status === 201 ? [i] : []));
    expect(created).toHaveLength(1);
    const winner = bodies[created[0] ?? 0]!;
    results.forEach((r, i) => {
      const same = JSON.stringify(bodies[i]) === JSON.stringify(winner);
      if (i !== created[0]) expect(r.status, `request ${i}`).toBe(same ? 200 : 409);
      if (r.status === 409) expect(r.body.error?.code).toBe("thread_exists");
    });
    await settle(forkId);
    const events = await expectExactFork(forkId, o.id, winner.atSeq, before);
    expect(events[winner.atSeq]?.type === "thread_forked" && events[winner.atSeq]?.data).toEqual({
      threadId: forkId,
      from: o.id,
      atSeq: winner.atSeq,
      ...(winner.model ? { model: winner.model } : {}),
    });
    expect(await rawRows(o.id)).toEqual(rows);
  });

  it("a fork taken while the original's model call is in flight: both finish on their own, the original's log is its own", async () => {
    const id = fresh("fork-inflight");
    const gateName = fresh("fork-gate");
    await launch("probe", `work ${model.script(id, [{ tool: "echo", args: { text: "1" } }, { gate: gateName, then: done("original done") }])}`, { threadId: id });
    await model.arrived(gateName);
    const mid = await eventsOf(id);
    const forkIds = Array.from({ length: 5 }, () => fresh("fork-mid"));
    const results = await Promise.all(forkIds.map((forkId) => fork(id, { atSeq: mid.length, threadId: forkId })));
    expect(results.map((r) => r.status)).toEqual(forkIds.map(() => 201));
    await model.release(gateName);
    expect((await settle(id)).status).toBe("done");
    const finished = await eventsOf(id);
    assertConsistent(finished);
    expect(copy(finished.slice(0, mid.length))).toEqual(copy(mid));
    expect(count(finished, "thread_forked")).toBe(0);
    for (const forkId of forkIds) {
      await settle(forkId);
      await expectExactFork(forkId, id, mid.length, mid);
      expect((await thread(forkId).thread())?.forkedFrom).toEqual({ threadId: id, atSeq: mid.length });
    }
  });
});
