/// <reference types="node" />
/**
 * BENCH ONLY: deadline lateness on the real clock (invariant 9, issue 31). 1,000 deploybot
 * threads wait for a human at once under `wrangler dev`, their deadlines spread over 60 s;
 * lateness is the log's own account: the `human_timed_out` event's `at` minus the request's
 * deadline. The policy is `fail`: a timeout ends the thread, with no model step after it,
 * like the Workflows peer whose `waitForEvent` timeout ends its instance. Nothing polls while the deadlines fire (the client would add its own load): the
 * logs are read once the last deadline has passed. While all of them wait, the bench pages
 * through `GET /v1/threads?status=waiting_for_human` and times each page. Then the peer, Cloudflare
 * Workflows' `step.waitForEvent`, is measured the same way (`peerRows`).
 */
import { auth, bench, call } from "./client";
import type { BenchServer } from "./dev-server";
import { ms, stats } from "./measure";

type Row = [metric: string, value: string, baseline: string, ratio: string, target: string, verdict: string];
type Ev = { type: string; at: string; data: { requestId?: string; deadline?: string } };

const THREADS = Number(process.env["DEADLINE_THREADS"] ?? "1000");
/** Every thread's `humanTimeoutSeconds`: the first deadline is this long after the first launch. */
const TIMEOUT_S = Number(process.env["DEADLINE_TIMEOUT_S"] ?? "75");
const SPREAD_S = 60;
/** The peer's first deadline is this long after its first instance starts. */
const PEER_LEAD_S = Number(process.env["PEER_LEAD_S"] ?? "90");

export async function deadlineRows(s: BenchServer): Promise<Row[]> {
  const ids = Array.from({ length: THREADS }, (_, i) => `waiting-${i}`);
  const started = Date.now();
  // The deadlines are spread evenly over SPREAD_S, like the peer's: the API takes whole
  // seconds, so every thread gets the same timeout and thread i is launched at its slot,
  // i * SPREAD_S / THREADS after the first. (Launching as fast as possible with timeouts
  // rounded to the second, as before, bunched the deadlines into bursts at the launch rate,
  // nearly twice the average: a harder load than the peer's, not the same spread.)
  const slotMs = (SPREAD_S * 1000) / THREADS;
  const launches: Promise<unknown>[] = [];
  for (const [i, id] of ids.entries()) {
    const wait = started + i * slotMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    launches.push(call(s, "/v1/agents/deploybot/threads", { method: "POST", headers: auth, body: JSON.stringify({ message: "which tag?", threadId: id, humanTimeoutSeconds: TIMEOUT_S, onHumanTimeout: "fail" }) }));
  }
  await Promise.all(launches);
  const launchedIn = (Date.now() - started) / 1000;
  console.error(`deadlines: ${THREADS} threads launched in ${launchedIn.toFixed(0)} s`);

  // All of them wait now. The list is eventually consistent (a thread pushes its summary at
  // most once per INDEX_PUSH_INTERVAL_MS, 1 s, in src/runtime/index/index-sync.ts): give the
  // last launches' pushes time to land (the module is not importable from Node: it uses cloudflare:workers).
  await new Promise((r) => setTimeout(r, 3_000));
  // Page through the list and time each page.
  const pages: number[] = [];
  let listed = 0;
  let cursor: string | undefined;
  do {
    const t = performance.now();
    const page = (await call(s, `/v1/threads?status=waiting_for_human&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers: auth })) as { threads: { id: string }[]; next?: string };
    pages.push(performance.now() - t);
    listed += page.threads.filter((t) => t.id.startsWith("waiting-")).length;
    cursor = page.next;
  } while (cursor);

  // Wait for the last deadline (and a margin), then read every log once.
  const lastDeadline = started + (TIMEOUT_S + SPREAD_S) * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, lastDeadline - Date.now()) + 5_000));
  const late: number[] = [];
  const lateBy = new Map<number, number>();
  const open = new Set(ids);
  const giveUp = Date.now() + 60_000;
  while (open.size > 0 && Date.now() < giveUp) {
    await inFlight(25, [...open], async (id) => {
      const { events } = (await call(s, `/v1/threads/${id}/events?after=0&limit=100`, { headers: auth })) as { events: Ev[] };
      const timedOut = events.find((e) => e.type === "human_timed_out");
      const request = events.find((e) => e.type === "human_requested" && e.data.requestId === timedOut?.data.requestId);
      if (!timedOut || !request?.data.deadline) return;
      const lateness = Date.parse(timedOut.at) - Date.parse(request.data.deadline);
      late.push(lateness);
      lateBy.set(ids.indexOf(id), lateness);
      open.delete(id);
    });
    if (open.size > 0) await new Promise((r) => setTimeout(r, 2_000));
  }
  // Where the tail is: the worst lateness per 10 s of the spread, in deadline order (stderr).
  const byTime = [...lateBy.entries()].sort((a, b) => a[0] - b[0]);
  const buckets = Array.from({ length: Math.ceil(SPREAD_S / 10) }, (_, b) => byTime.filter(([i]) => Math.floor((i * SPREAD_S) / THREADS / 10) === b).map(([, l]) => l));
  console.error(`deadlines: worst lateness per 10 s of the spread: ${buckets.map((b) => `${b.length ? Math.max(...b) : "-"} ms`).join(", ")}`);
  const worst = [...byTime].sort((a, b) => b[1] - a[1]).slice(0, 5);
  console.error(`deadlines: the 5 latest: ${worst.map(([i, l]) => `${ids[i]} (+${((i * SPREAD_S) / THREADS).toFixed(2)} s) ${l} ms`).join(", ")}`);
  const st = stats(late);
  const max = Math.max(...late);
  const early = late.filter((l) => l < 0).length;
  const pageStats = stats(pages);
  return [
    [
      `deadline lateness, ${late.length} of ${THREADS} threads waiting at once, deadlines spread over ${SPREAD_S} s, wrangler dev (p50 / p99 / max)`,
      `${ms(st.p50)} / ${ms(st.p99)} / ${ms(max)}`,
      "—",
      "—",
      "all fire, none early, p99 ≤ 100 ms",
      late.length === THREADS && early === 0 && st.p99 <= 100 ? "pass" : `FAIL (${THREADS - late.length} never fired, ${early} early, p99 ${ms(st.p99)})`,
    ],
    [
      `GET /v1/threads?status=waiting_for_human, ${pages.length} pages of 100 while they wait (p50 / max per page; listed ${listed})`,
      `${ms(pageStats.p50)} / ${ms(Math.max(...pages))}`,
      "—",
      `${((pages.at(-1) ?? 0) / (pages[0] ?? 1)).toFixed(2)}x last/first`,
      "flat; all listed",
      listed === THREADS ? "pass (all listed)" : `FAIL (${listed} of ${THREADS} listed)`,
    ],
    [`launching the ${THREADS} threads, one every ${slotMs} ms`, `${launchedIn.toFixed(0)} s`, "—", "—", `< ${TIMEOUT_S} s (all wait at once)`, launchedIn < TIMEOUT_S ? "pass" : "FAIL (some fired before all waited)"],
    ...(await peerRows(s)),
  ];
}

/**
 * The peer, in the same run and on the same `wrangler dev`, after ours have all fired (so
 * neither loads the other): THREADS Workflows instances (bench/worker.ts, PeerWaitWorkflow)
 * each `step.waitForEvent` with a timeout, deadlines spread over the same SPREAD_S, the
 * first PEER_LEAD_S after the first start. Lateness is the instance's own account.
 */
export async function peerRows(s: BenchServer): Promise<Row[]> {
  const ids = Array.from({ length: THREADS }, (_, i) => `peer-${i}`);
  const first = Date.now() + PEER_LEAD_S * 1000;
  const instances = ids.map((id, i) => ({ id, deadline: Math.round(first + (i * SPREAD_S * 1000) / THREADS) }));
  const started = Date.now();
  for (let i = 0; i < instances.length; i += 100) await bench(s, "peer-start", JSON.stringify(instances.slice(i, i + 100)));
  const startedIn = (Date.now() - started) / 1000;
  console.error(`deadlines: ${THREADS} Workflows instances started in ${startedIn.toFixed(0)} s`);
  await new Promise((r) => setTimeout(r, Math.max(0, first + SPREAD_S * 1000 - Date.now()) + 5_000));
  const late: number[] = [];
  let open = ids;
  const giveUp = Date.now() + 60_000;
  while (open.length > 0 && Date.now() < giveUp) {
    const still: string[] = [];
    for (let i = 0; i < open.length; i += 100) {
      const batch = open.slice(i, i + 100);
      const outcomes = (await bench(s, "peer-outcomes", JSON.stringify(batch))) as ({ deadline: number; timedOutAt: number | null } | null)[];
      outcomes.forEach((o, j) => {
        if (o?.timedOutAt != null) late.push(o.timedOutAt - o.deadline);
        else still.push(batch[j] as string);
      });
    }
    open = still;
    if (open.length > 0) await new Promise((r) => setTimeout(r, 2_000));
  }
  const st = stats(late);
  return [
    [
      `peer: Workflows step.waitForEvent timeout, ${late.length} of ${THREADS} instances waiting at once, same spread, same wrangler dev (p50 / p99 / max)`,
      `${ms(st.p50)} / ${ms(st.p99)} / ${ms(Math.max(...late))}`,
      "—",
      "—",
      "the platform's own human wait",
      late.length === THREADS ? `reference (started in ${startedIn.toFixed(0)} s)` : `${THREADS - late.length} never fired`,
    ],
  ];
}

/** Runs `op` over `items` with at most `n` in flight. */
async function inFlight<T>(n: number, items: readonly T[], op: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < items.length; i = next++) await op(items[i] as T, i);
    }),
  );
}
