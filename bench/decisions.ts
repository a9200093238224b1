/// <reference types="node" />
/**
 * BENCH ONLY: the audit export (GET /v1/decisions) as the decisions grow from 100 to
 * 10,000: the time for the first page and for a page deep behind a cursor, which must stay
 * flat (each shard reads its newest rows through an index, then the pages merge).
 */
import { auth, bench, call } from "./client";
import type { BenchServer } from "./dev-server";
import { ms, stats, timeEach } from "./measure";

type Row = [metric: string, value: string, baseline: string, ratio: string, target: string, verdict: string];

export async function decisionRows(s: BenchServer): Promise<Row[]> {
  const rows: Row[] = [];
  const page = (query: string) => call(s, `/v1/decisions?${query}`, { headers: auth }) as Promise<{ decisions: unknown[]; next?: string }>;
  let seeded = 0;
  const at: Record<number, { first: number; deep: number; agent: number }> = {};
  for (const size of [100, 10_000]) {
    // In batches, so no one request holds 10,000 rows.
    while (seeded < size) seeded = (await bench(s, `decisions-seed?from=${seeded}&n=${Math.min(1_000, size - seeded)}`, "")) as number;
    await timeEach(10, () => page("limit=50")); // warm
    // A cursor half way down: the page behind it is as deep as the export gets.
    let cursor: string | undefined;
    for (let i = 0; i < Math.min(size / 2 / 50, 100) && (i === 0 || cursor); i++) cursor = (await page(`limit=50${cursor ? `&cursor=${cursor}` : ""}`)).next;
    const first = stats(await timeEach(100, () => page("limit=50")));
    const deep = stats(await timeEach(100, () => page(`limit=50&cursor=${cursor ?? ""}`)));
    const agent = stats(await timeEach(100, () => page("limit=50&agent=deploybot")));
    at[size] = { first: first.p50, deep: deep.p50, agent: agent.p50 };
    rows.push([`GET /v1/decisions?limit=50 @${size} decisions: first page / deep page / agent filter (p50)`, `${ms(first.p50)} / ${ms(deep.p50)} / ${ms(agent.p50)}`, "—", "—", size === 100 ? "reference" : "≤ 1.5x of @100", ""]);
  }
  const small = at[100];
  const large = at[10_000];
  const last = rows[rows.length - 1];
  if (small && large && last) {
    const worst = Math.max(large.first / small.first, large.deep / small.deep, large.agent / small.agent);
    last[3] = `${worst.toFixed(2)}x (worst of the three)`;
    last[5] = worst <= 1.5 ? "pass (flat)" : "FAIL (grows with the decisions)";
  }
  if (rows[0]) rows[0][5] = "reference";
  return rows;
}
