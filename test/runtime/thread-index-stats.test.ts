import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ThreadIndex } from "../../src/runtime/index/thread-index";
import { migrateStatsColumns } from "../../src/runtime/index/thread-index-stats";

// A shard created before the stats columns existed: the migration adds them, old rows
// count as variant "default" with zero counts, and the thread's next push fills them in.

const OLD_SCHEMA = `CREATE TABLE threads (
  id TEXT PRIMARY KEY, agent TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_seq INTEGER NOT NULL)`;

describe("thread index: stats columns migration", () => {
  it("adds the columns to an old shard, keeps its rows, and is idempotent", async () => {
    const stub = env.THREAD_INDEX.getByName(`migration-${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (instance: ThreadIndex, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE threads");
      sql.exec(OLD_SCHEMA);
      sql.exec("INSERT INTO threads VALUES ('old-1', 'scout', 'done', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:05.000Z', 7)");
      sql.exec("INSERT INTO threads VALUES ('old-2', 'scout', 'running', '2025-01-01T00:00:01.000Z', '2025-01-01T00:00:02.000Z', 3)");

      migrateStatsColumns(sql);
      migrateStatsColumns(sql); // a second wake changes nothing
      const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('threads')").toArray().map((r) => r.name);
      expect(columns).toEqual(["id", "agent", "status", "created_at", "updated_at", "last_seq", "variant", "steps", "errors", "escalations", "prompt_tokens", "completion_tokens", "pending", "launch", "last_event"]);

      expect(instance.variantStats("scout")).toEqual({
        default: { threads: 2, steps: 0, errors: 0, escalations: 0, outcomes: { done: 1, failed: 0, cancelled: 0, open: 1 } },
      });
      // The old thread pushes again at the same seq (nothing new happened): its counts land.
      instance.upsert({ id: "old-1", agent: "scout", status: "done", createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:05.000Z", lastSeq: 7, variant: "terse", steps: 2, errors: 1, escalations: 0 });
      // A stale push (older seq) never overwrites a newer row.
      instance.upsert({ id: "old-2", agent: "scout", status: "done", createdAt: "2025-01-01T00:00:01.000Z", updatedAt: "2025-01-01T00:00:01.500Z", lastSeq: 2, steps: 9 });
      expect(instance.variantStats("scout")).toEqual({
        default: { threads: 1, steps: 0, errors: 0, escalations: 0, outcomes: { done: 0, failed: 0, cancelled: 0, open: 1 } },
        terse: { threads: 1, steps: 2, errors: 1, escalations: 0, outcomes: { done: 1, failed: 0, cancelled: 0, open: 0 } },
      });
      // The listing keeps its shape.
      expect(Object.keys(instance.list({ limit: 10 })[0]!).sort()).toEqual(["agent", "createdAt", "id", "lastSeq", "status", "updatedAt"]);
    });
  });
});
