import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ThreadId, type NewEvent, type RequestId } from "../../src/core";
import { closedHow } from "../../src/runtime/thread/command-results";
import { emailHistory, emailStarter } from "../../src/runtime/humans/email-thread";
import { EventStore } from "../../src/runtime/log/event-store";
import { SqlMeter } from "../../bench/sql-meter";

const at = "2025-01-01T00:00:00.000Z";
const mail = (from: string, messageId: string) => ({ kind: "email" as const, detail: { from, to: "deploybot@agents.test", messageId, subject: "deploy" } });
const rid = (s: string) => s as RequestId;

/**
 * Issue 15: no question a thread asks of its log reads the whole log. A log of ~6,000 events
 * with a few mails and answers early in it and filler after; each question must read a few
 * rows (counted by the SQL cursors, what Cloudflare bills), where a scan reads them all.
 */
describe("questions about the log read a bounded number of rows", () => {
  it("email history, sent-mail routing, and how a request closed use indexes, not scans", async () => {
    await runInDurableObject(env.THREADS.getByName("log-reads"), (_instance, state) => {
      const meter = new SqlMeter();
      const store = new EventStore(meter.sql(state.storage.sql));
      const append = (event: NewEvent) => store.append(event, at);
      append({ type: "thread_launched", data: { threadId: ThreadId.parse("log-reads"), agent: "deploybot", message: "hi" }, source: mail("ann@example.com", "<root@example.com>") });
      append({ type: "human_requested", data: { requestId: rid("req_a"), kind: "input", reason: "model_asked", message: "which?", deadline: at, onTimeout: "deny", notify: [] }, key: "request:req_a" });
      append({ type: "notification_sent", data: { requestId: rid("req_a"), channel: "email", purpose: "request", attempt: 1, messageId: "<out-1@agents.test>" } });
      append({ type: "human_responded", data: { requestId: rid("req_a"), answer: "v1", by: { kind: "email", id: "ann@example.com", verifiedBy: "dmarc" } }, source: mail("ann@example.com", "<reply-1@example.com>") });
      append({ type: "human_timed_out", data: { requestId: rid("req_b") } });
      for (let i = 0; i < 6_000; i++) append({ type: "user_messaged", data: { text: `filler ${i}` } });
      meter.take();

      const read = <T>(question: () => T): { answer: T; rows: number } => {
        const answer = question();
        return { answer, rows: meter.take().read };
      };
      // The meter sees a scan for what it is.
      expect(read(() => [...store.after(0)].length).rows).toBeGreaterThanOrEqual(6_005);

      const history = read(() => emailHistory(store));
      expect(history.answer).toEqual({
        started: { from: "ann@example.com", to: "deploybot@agents.test", messageId: "<root@example.com>", subject: "deploy" },
        lastReceived: "<reply-1@example.com>",
        recent: ["<root@example.com>", "<out-1@agents.test>", "<reply-1@example.com>"],
      });
      expect(history.rows).toBeLessThanOrEqual(20);
      expect(read(() => emailStarter(store)?.from)).toMatchObject({ answer: "ann@example.com" });
      expect(read(() => emailStarter(store)).rows).toBeLessThanOrEqual(2);

      const sent = read(() => [store.sentAnyOf(["<x@y>", "<out-1@agents.test>"]), store.sentAnyOf(["<root@example.com>"]), store.sentAnyOf([])]);
      expect(sent.answer).toEqual([true, false, false]);
      // Hundreds of quoted ids (a long References header) are asked in batches.
      const many = Array.from({ length: 250 }, (_, i) => `<ref-${i}@example.com>`);
      expect([store.sentAnyOf(many), store.sentAnyOf([...many, "<out-1@agents.test>"])]).toEqual([false, true]);
      expect(sent.rows).toBeLessThanOrEqual(6);

      meter.take();
      const closed = read(() => [closedHow(store, "req_a"), closedHow(store, "req_b"), closedHow(store, "req_never")]);
      expect(closed.answer).toEqual(["answered", "timed_out", undefined]);
      expect(closed.rows).toBeLessThanOrEqual(10);
      expect(read(() => [store.wasRequested("req_a"), store.wasRequested("req_b")])).toEqual({ answer: [true, false], rows: expect.any(Number) as number });
      expect(read(() => store.wasRequested("req_a")).rows).toBeLessThanOrEqual(2);
    });
  });

  it("pinned events by seq are read from storage once per instance: every later step gets them from memory, the same events", async () => {
    await runInDurableObject(env.THREADS.getByName("log-reads-pinned"), (_instance, state) => {
      const meter = new SqlMeter();
      const store = new EventStore(meter.sql(state.storage.sql));
      store.append({ type: "thread_launched", data: { threadId: ThreadId.parse("log-reads-pinned"), agent: "deploybot", message: "hi" } }, at);
      for (let i = 2; i <= 400; i++) store.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      meter.take();
      const pinned = [7, 150, 3, 399];
      const first = store.bySeq(pinned);
      expect(first.map((e) => e.seq).sort((a, b) => a - b)).toEqual([3, 7, 150, 399]);
      expect(meter.take().read).toBe(4); // a row per event
      expect(store.bySeq(pinned)).toEqual(first); // the next step: the same events...
      expect(meter.take().read).toBe(0); // ...and no row read
      // One more pinned event reads that one alone; a seq that does not exist is simply absent.
      expect(store.bySeq([...pinned, 200, 9_999]).map((e) => e.seq).sort((a, b) => a - b)).toEqual([3, 7, 150, 200, 399]);
      expect(meter.take().read).toBe(2); // 200's row, and the probe for 9,999 that finds none
      // A fresh instance (after eviction) reads them once again.
      const cold = new EventStore(meter.sql(state.storage.sql));
      meter.take();
      expect(cold.bySeq(pinned)).toEqual(first);
      expect(meter.take().read).toBe(4);
    });
  });

  it("human answers are read once per instance; answers appended later join them without a read; another writer's answer is seen after the render notices", async () => {
    await runInDurableObject(env.THREADS.getByName("log-reads-answers"), (_instance, state) => {
      const meter = new SqlMeter();
      const store = new EventStore(meter.sql(state.storage.sql));
      const by = { kind: "api" as const, id: "ann", verifiedBy: "api_token" as const };
      store.append({ type: "thread_launched", data: { threadId: ThreadId.parse("log-reads-answers"), agent: "deploybot", message: "hi" } }, at);
      store.append({ type: "human_responded", data: { requestId: rid("req_1"), answer: "v1", by } }, at);
      for (let i = 0; i < 300; i++) store.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      store.append({ type: "human_timed_out", data: { requestId: rid("req_2") } }, at);
      meter.take();
      const seqs = (events: readonly { seq: number }[]) => events.map((e) => e.seq);

      expect(seqs(store.answersBefore(1_000))).toEqual([2, 303]);
      const first = meter.take().read;
      expect(first).toBeGreaterThanOrEqual(2);
      expect(first).toBeLessThanOrEqual(4); // the partial index, not the log
      expect(seqs(store.answersBefore(303))).toEqual([2]); // the bound still applies
      expect(seqs(store.answersBefore(2))).toEqual([]);
      store.append({ type: "human_responded", data: { requestId: rid("req_3"), answer: "v2", by } }, at);
      meter.take();
      expect(seqs(store.answersBefore(1_000))).toEqual([2, 303, 304]); // the new one, from memory
      expect(meter.take().read).toBe(0);

      // Another writer on the same storage (tests do this; a thread object never does): the render's check finds it.
      new EventStore(state.storage.sql).append({ type: "human_timed_out", data: { requestId: rid("req_4") } }, at);
      expect(seqs(store.answersBefore(1_000))).toEqual([2, 303, 304]); // not seen yet...
      store.newestFirst().next(); // ...until a render checks the tail against the newest row
      expect(seqs(store.answersBefore(1_000))).toEqual([2, 303, 304, 305]);
    });
  });

  it("an older log gets its indexes built once, from what it already holds", async () => {
    await runInDurableObject(env.THREADS.getByName("log-reads-old"), (_instance, state) => {
      const sql = state.storage.sql;
      new EventStore(sql).append({ type: "notification_sent", data: { requestId: rid("req_a"), channel: "email", purpose: "request", attempt: 1, messageId: "<old@agents.test>" } }, at);
      // As a log written before the indexes existed.
      for (const name of ["events_closing", "events_mail_in", "events_mail", "events_answers", "events_sent"]) sql.exec(`DROP INDEX ${name}`);
      expect(new EventStore(sql).sentAnyOf(["<old@agents.test>"])).toBe(true);
      const indexes = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name LIKE 'events_%' ORDER BY name").toArray();
      expect(indexes.map((r) => r.name)).toEqual(["events_answers", "events_closing", "events_key", "events_mail", "events_mail_in", "events_sent"]);
    });
  });
});
