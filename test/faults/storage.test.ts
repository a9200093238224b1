/**
 * Invariant 8 measured in SQLite itself: one row per event, rows far below the 2 MB cap
 * even after a 5 MB tool result, and storage growing linearly with steps (a checkpoint
 * of the whole history per step, as LangGraph does, would grow with the square).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventsOf, launch, settle } from "../support/api";
import { model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { fresh } from "./consistency";
import { MAX_WINDOW_CHARS } from "../../src/runtime/log/snapshot-store";

type Usage = { rows: number; bytes: number; maxRow: number; databaseSize: number; windowBytes: number };

/**
 * Bytes in every table of the thread's SQLite (the event log and the SDK's own tables),
 * but for the window snapshot: one row, overwritten in place, holding a copy of the newest
 * events up to MAX_WINDOW_CHARS (snapshot-store.ts), a bounded constant rather than growth,
 * so it is measured on its own.
 */
async function usage(id: string): Promise<Usage> {
  return runInDurableObject(env.THREADS.getByName(id), async (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
    let bytes = 0;
    let rows = 0;
    let windowBytes = 0;
    for (const { name } of tables) {
      for (const row of sql.exec(`SELECT * FROM "${name}"`)) {
        if (name === "snapshot_window") {
          windowBytes += JSON.stringify(row).length;
          continue;
        }
        rows++;
        bytes += JSON.stringify(row).length;
      }
    }
    const maxRow = sql.exec<{ m: number }>("SELECT MAX(LENGTH(data)) AS m FROM events").one().m;
    return { rows, bytes, maxRow, databaseSize: sql.databaseSize, windowBytes };
  });
}

async function run(steps: ScriptStep[]) {
  const id = fresh("storage");
  await launch("probe", `go ${model.script(id, steps)}`, { threadId: id });
  await settle(id);
  return { id, events: await eventsOf(id), usage: await usage(id) };
}

const echoes = (n: number): ScriptStep[] => [
  ...Array.from({ length: n }, (_, i) => ({ tool: "echo", args: { text: `step ${i} ${"y".repeat(200)}` } })),
  { tool: "done_for_now", args: { message: "ok" } },
];

describe("rows stay small and storage grows linearly", () => {
  it("a 5 MB tool result is stored as a truncated row far below 2 MB", async () => {
    const { usage: u, events } = await run([{ tool: "big", args: { bytes: 5_000_000 } }, { tool: "done_for_now", args: { message: "ok" } }]);
    // Stored as a success with a marked, truncated result: not a failed insert, nor a failed tool.
    const outcome = events.find((e) => e.type === "tool_succeeded" || e.type === "tool_failed");
    expect(outcome).toMatchObject({ type: "tool_succeeded", data: { tool: "big", result: { truncated: true } } });
    expect(outcome?.type === "tool_succeeded" ? outcome.data.truncatedFromBytes : 0).toBeGreaterThan(5_000_000);
    expect(u.maxRow).toBeLessThan(2_000_000);
    expect(u.maxRow).toBeLessThan(200_000);
    expect(u.databaseSize).toBeLessThan(2_000_000);
  });

  it("doubling the steps roughly doubles the stored bytes (linear, not quadratic)", async () => {
    const small = await run(echoes(15));
    const large = await run(echoes(60));
    const ratio = large.usage.bytes / small.usage.bytes;
    const eventRatio = large.events.length / small.events.length;
    // 4x the steps: linear storage is ~4x; re-storing history per step would be ~16x.
    expect(eventRatio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(eventRatio * 1.25);
    expect(large.usage.maxRow).toBeLessThan(4_096); // no row accumulates history...
    // ...but the window snapshot, a copy of the newest events capped at MAX_WINDOW_CHARS.
    expect(large.usage.windowBytes).toBeLessThan(MAX_WINDOW_CHARS * 1.25);
  });
});
