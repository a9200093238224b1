import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SNAPSHOT_VERSION, ThreadId, type JsonObject, type ThreadState } from "../../src/core";
import { MAX_SNAPSHOT_BYTES, SNAPSHOT_EVERY, SnapshotStore } from "../../src/runtime/log/snapshot-store";
import { ThreadLog } from "../../src/runtime/log/thread-log";
import { SqlMeter } from "../../bench/sql-meter";
import { api, eventsOf, launch, settle, thread, types } from "../support/api";
import { model } from "../support/harness";

const stubOf = (id: string) => env.THREADS.getByName(id);
type SnapshotRow = { version: string; last_seq: number };
const snapshotRow = (id: string) =>
  runInDurableObject(stubOf(id), (_instance, state) =>
    state.storage.sql.exec<SnapshotRow>("SELECT version, last_seq FROM snapshot").toArray()[0],
  );

/** A deploybot thread that asks a question on every model call, answered `answers` times: > SNAPSHOT_EVERY events. */
async function longThread(id: string, answers: number): Promise<void> {
  const marker = model.script(id, Array.from({ length: answers + 2 }, (_, i) => ({ tool: "request_more_information", args: { message: `Question ${i}?` } })));
  await launch("deploybot", `deploy ${marker}`, { threadId: id });
  await settle(id);
  for (let i = 0; i < answers; i++) {
    expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: `answer ${i}` } })).status).toBe(202);
    await settle(id);
  }
}

/** The state the live instance holds, next to a full replay of its log. */
const liveAndReplayed = (id: string) =>
  runInDurableObject(stubOf(id), (instance) => ({ live: instance.log.state, replayed: instance.log.replayed() }));

describe("state snapshots (invariant 1: provably equal to a full replay)", () => {
  it("a thread woken from its snapshot has the same state and behaves the same as before eviction", async () => {
    const id = "snap-wake";
    await longThread(id, 30);
    const before = await eventsOf(id);
    expect(before.length).toBeGreaterThan(SNAPSHOT_EVERY);
    const row = await snapshotRow(id);
    expect(row?.version).toBe(SNAPSHOT_VERSION);
    expect(row?.last_seq).toBeGreaterThanOrEqual(SNAPSHOT_EVERY);
    // Written with the event that crossed the boundary, never ahead of the log.
    expect(row?.last_seq).toBeLessThanOrEqual(before.length);
    const view = await thread(id).thread();

    await evictDurableObject(stubOf(id));
    expect(await thread(id).thread()).toEqual(view);
    const { live, replayed } = await liveAndReplayed(id);
    expect(live).toStrictEqual(replayed);

    // The next step after the wake writes the same kinds of events as the step before it.
    expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "after the wake" } })).status).toBe(202);
    const after = await settle(id);
    expect(after.status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    expect(events.slice(0, before.length)).toEqual(before);
    const cycle = (list: typeof events) => types(list.slice(list.findLastIndex((e) => e.type === "user_messaged")));
    expect(cycle(events)).toEqual(cycle(before));
    expect((await liveAndReplayed(id)).live).toStrictEqual((await liveAndReplayed(id)).replayed);
  });

  it("ignores a snapshot from another reducer version, replays the whole log and rewrites it", async () => {
    const id = "snap-stale";
    await longThread(id, 36);
    await runInDurableObject(stubOf(id), (_instance, state) => {
      // As if the reducer changed since: an older version, and a state that differs from the log's
      // (only the version check stands between it and the thread).
      state.storage.sql.exec("UPDATE snapshot SET version = 's1:0000000000000000', state = json_set(state, '$.paused', json('true'))");
    });
    const view = await thread(id).thread();
    await evictDurableObject(stubOf(id));
    expect(await thread(id).thread()).toEqual(view);
    const { live, replayed } = await liveAndReplayed(id);
    expect(live).toStrictEqual(replayed);
    expect((await snapshotRow(id))?.version).toBe(SNAPSHOT_VERSION);
  });

  it("snapshot + tail equals full replay at every length across two snapshot boundaries (real SQLite)", async () => {
    await runInDurableObject(stubOf("snap-direct"), (_instance, state) => {
      const sql = state.storage.sql;
      const log = new ThreadLog(sql);
      const at = "2025-01-01T00:00:00.000Z";
      log.append({ type: "thread_launched", data: { threadId: ThreadId.parse("snap-direct"), agent: "deploybot", message: "go" }, key: "launch" }, at);
      for (let i = 2; i <= 2 * SNAPSHOT_EVERY + 7; i++) {
        log.append(i % 3 === 0 ? { type: "thread_paused", data: {} } : { type: "user_messaged", data: { text: `m${i}` } }, at);
        // A fresh instance (a wake) at this length sees exactly the live state.
        if (i % 17 === 0 || i % SNAPSHOT_EVERY <= 1) expect(new ThreadLog(sql).state).toStrictEqual(log.state);
      }
      expect(log.state).toStrictEqual(log.replayed());
      expect(sql.exec<SnapshotRow>("SELECT last_seq FROM snapshot").one().last_seq).toBe(2 * SNAPSHOT_EVERY);
    });
  });

  it("keeps the older snapshot when the state is too large for one row", async () => {
    await runInDurableObject(stubOf("snap-large"), (_instance, state) => {
      const store = new SnapshotStore(state.storage.sql);
      const small = { id: "snap-large", lastSeq: 100 } as unknown as ThreadState;
      expect(store.save(small)).toBe(true);
      const metadata: JsonObject = { blob: "x".repeat(MAX_SNAPSHOT_BYTES) };
      expect(store.save({ ...small, lastSeq: 200, metadata })).toBe(false);
      expect(store.load()?.lastSeq).toBe(100);
    });
  });

  it("a cold instance reads the newest events from the window snapshot (one row), not back through the log; the same events in the same order", async () => {
    await runInDurableObject(stubOf("snap-window"), (_instance, state) => {
      const sql = state.storage.sql;
      const log = new ThreadLog(sql);
      const at = "2025-01-01T00:00:00.000Z";
      log.append({ type: "thread_launched", data: { threadId: ThreadId.parse("snap-window"), agent: "deploybot", message: "go" }, key: "launch" }, at);
      for (let i = 2; i <= 1_310; i++) log.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      const newest = (store: ThreadLog["store"], n: number) => {
        const seqs: number[] = [];
        for (const event of store.newestFirst()) {
          if (seqs.length === n) break;
          seqs.push(event.seq);
        }
        return seqs;
      };
      const warm = newest(log.store, 1_000);
      // A wake: a new instance on the same storage, counted.
      const meter = new SqlMeter();
      const cold = new ThreadLog(meter.sql(sql));
      expect(cold.state).toStrictEqual(log.state);
      const seqs = newest(cold.store, 1_000);
      expect(seqs).toEqual(warm);
      expect(seqs).toEqual(Array.from({ length: 1_000 }, (_, i) => 1_310 - i));
      // The snapshot, the replay after it (< SNAPSHOT_EVERY), the window row, the newest seq: not 1,000 rows.
      expect(meter.take().read).toBeLessThanOrEqual(SNAPSHOT_EVERY + 4);
      // A second render reads the tail from memory.
      expect(newest(cold.store, 1_000)).toEqual(warm);
      expect(meter.take().read).toBeLessThanOrEqual(1);
      // Past the window (older than the newest 1,024), storage serves the rest, in order, without a gap or a repeat.
      const all = [...cold.store.newestFirst()].map((e) => e.seq);
      expect(all).toEqual(Array.from({ length: 1_310 }, (_, i) => 1_310 - i));
    });
  });
});
