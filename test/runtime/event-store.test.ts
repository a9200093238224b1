import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventStore } from "../../src/runtime/log/event-store";
import { SqlMeter } from "../../bench/sql-meter";

describe("EventStore reads in bounded pages", () => {
  it("newestFirst yields every event once, newest first, across page boundaries", async () => {
    await runInDurableObject(env.THREADS.getByName("store-pages"), (_instance, state) => {
      const store = new EventStore(state.storage.sql);
      const at = "2025-01-01T00:00:00.000Z";
      for (let i = 0; i < 150; i++) store.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      const seqs = [...store.newestFirst(64)].map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 150 }, (_, i) => 150 - i));
      // Exactly one page: no empty trailing read, nothing skipped or repeated at the edge.
      expect([...store.newestFirst(150)].map((e) => e.seq)).toEqual(seqs);
      expect([...store.newestFirst(1)].map((e) => e.seq)).toEqual(seqs);
      // A reader that stops early stops reading.
      const firstTen: number[] = [];
      for (const event of store.newestFirst(4)) {
        if (firstTen.length === 10) break;
        firstTen.push(event.seq);
      }
      expect(firstTen).toEqual(seqs.slice(0, 10));
      expect([...store.after(140)].map((e) => e.seq)).toEqual([141, 142, 143, 144, 145, 146, 147, 148, 149, 150]);
    });
  });
});

describe("EventStore keeps the newest events in memory", () => {
  it("newestFirst serves appended events from memory and the rest from storage, and notices another writer", async () => {
    await runInDurableObject(env.THREADS.getByName("store-tail"), (_instance, state) => {
      const meter = new SqlMeter();
      const store = new EventStore(meter.sql(state.storage.sql));
      const at = "2025-01-01T00:00:00.000Z";
      for (let i = 0; i < 400; i++) store.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      meter.take();
      const newest = (n: number) => {
        const seqs: number[] = [];
        for (const event of store.newestFirst()) {
          if (seqs.length === n) break;
          seqs.push(event.seq);
        }
        return seqs;
      };
      expect(newest(200)).toEqual(Array.from({ length: 200 }, (_, i) => 400 - i));
      expect(meter.take().read).toBeLessThanOrEqual(1); // the check that memory ends at the newest row
      expect(newest(400)).toEqual(Array.from({ length: 400 }, (_, i) => 400 - i));
      // Another writer on the same storage: the memory no longer ends at the newest row.
      new EventStore(state.storage.sql).append({ type: "user_messaged", data: { text: "elsewhere" } }, at);
      expect(newest(3)).toEqual([401, 400, 399]);
      store.append({ type: "user_messaged", data: { text: "here" } }, at);
      expect([...store.newestFirst()].map((e) => e.seq)).toEqual(Array.from({ length: 402 }, (_, i) => 402 - i));
    });
  });
});

describe("EventStore idempotency keys (invariant 4)", () => {
  it("an event whose key is already in the log is not appended again: the original comes back, marked duplicate", async () => {
    await runInDurableObject(env.THREADS.getByName("store-keys"), (_instance, state) => {
      const store = new EventStore(state.storage.sql);
      const at = "2025-01-01T00:00:00.000Z";
      const first = store.append({ type: "user_messaged", data: { text: "once" }, key: "msg:k1" }, at);
      expect(first.duplicate).toBe(false);
      const again = store.append({ type: "user_messaged", data: { text: "once" }, key: "msg:k1" }, "2025-01-01T00:00:09.000Z");
      expect(again).toEqual({ event: first.event, duplicate: true });
      const other = store.append({ type: "user_messaged", data: { text: "twice" }, key: "msg:k2" }, at);
      expect(other.duplicate).toBe(false);
      expect([...store.after(0)].map((e) => e.key)).toEqual(["msg:k1", "msg:k2"]);
    });
  });
});

describe("EventStore appends write few rows (issue 31: rows are billed)", () => {
  it("an event without a key writes one row, with a key two; the key stays unique; seqs run on after the last", async () => {
    await runInDurableObject(env.THREADS.getByName("store-rows"), (_instance, state) => {
      const meter = new SqlMeter();
      const store = new EventStore(meter.sql(state.storage.sql));
      const at = "2025-01-01T00:00:00.000Z";
      meter.take();
      store.append({ type: "user_messaged", data: { text: "no key" } }, at);
      expect(meter.take().written).toBe(1);
      store.append({ type: "user_messaged", data: { text: "keyed" }, key: "msg:rows-1" }, at);
      expect(meter.take().written).toBe(2);
      // The partial index still refuses a second row under one key, whatever the caller checks first.
      expect(() => state.storage.sql.exec("INSERT INTO events (type, data, at, key) VALUES ('user_messaged', '{}', ?, 'msg:rows-1')", at)).toThrow(/UNIQUE/);
      expect(store.byKey("msg:rows-1")?.seq).toBe(2);
      expect(store.append({ type: "user_messaged", data: { text: "next" } }, at).event.seq).toBe(3);
    });
  });

  it("a log created with the old columns (AUTOINCREMENT, key UNIQUE) keeps them and gets no second key index", async () => {
    await runInDurableObject(env.THREADS.getByName("store-rows-old"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL, at TEXT NOT NULL, key TEXT UNIQUE, source TEXT)`);
      const store = new EventStore(sql);
      const at = "2025-01-01T00:00:00.000Z";
      store.append({ type: "user_messaged", data: { text: "old" }, key: "msg:old-1" }, at);
      expect(store.append({ type: "user_messaged", data: { text: "old" }, key: "msg:old-1" }, at).duplicate).toBe(true);
      const keyIndexes = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND (name = 'events_key' OR name LIKE 'sqlite_autoindex_%')").toArray();
      expect(keyIndexes.map((r) => r.name)).toEqual(["sqlite_autoindex_events_1"]);
    });
  });
});
