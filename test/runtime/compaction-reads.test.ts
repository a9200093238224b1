/**
 * Issue 31: rows read are billed. A summary takes the oldest events of its range that fit
 * its room, so reading the range is paged: what it stops short of is never read.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ThreadId } from "../../src/core";
import { COMPACT_PAGE, oldestFirst } from "../../src/runtime/context/compaction";
import { ThreadLog } from "../../src/runtime/log/thread-log";
import { SqlMeter } from "../../bench/sql-meter";

describe("reading a range to summarise", () => {
  it("yields exactly fromSeq..toSeq in order across pages, and reads at most a page past what the caller took", async () => {
    await runInDurableObject(env.THREADS.getByName("compaction-reads"), (_instance, state) => {
      const at = "2026-01-01T00:00:00.000Z";
      const writer = new ThreadLog(state.storage.sql);
      writer.append({ type: "thread_launched", data: { threadId: ThreadId.parse("compaction-reads"), agent: "deploybot", message: "go" }, key: "launch" }, at);
      for (let i = 2; i <= 300; i++) writer.append({ type: "user_messaged", data: { text: `m${i}` } }, at);
      const seqs = (from: number, to: number) => [...oldestFirst(writer, from, to)].map((e) => e.seq);
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

      expect(seqs(2, 2 + COMPACT_PAGE - 1)).toEqual(range(2, 2 + COMPACT_PAGE - 1)); // exactly one page
      expect(seqs(5, 5 + 3 * COMPACT_PAGE)).toEqual(range(5, 5 + 3 * COMPACT_PAGE)); // a page and one more event
      expect(seqs(290, 400)).toEqual(range(290, 300)); // past the end of the log: what there is
      expect(seqs(40, 40)).toEqual([40]);

      // The caller stops after 10 events of a 500-event range: one page read, not 500 rows.
      const meter = new SqlMeter();
      const counted = new ThreadLog(meter.sql(state.storage.sql));
      meter.take(); // the wake's own reads
      let taken = 0;
      for (const event of oldestFirst(counted, 2, 501)) {
        expect(event.seq).toBe(2 + taken);
        if (++taken === 10) break;
      }
      expect(meter.take().read).toBe(COMPACT_PAGE);
    });
  });
});
