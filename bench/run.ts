/// <reference types="node" />
/**
 * BENCH ONLY: `npm run bench`. Starts the bench Worker under `wrangler dev`, measures the
 * runtime from outside (Node's clock; workerd's stands still while code runs) against a
 * bare Durable Object baseline measured in the same run, and prints a Markdown table.
 * Not a test: nothing here asserts; the last column says pass or explains.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { bundleSize } from "./bundle";
import { BENCH_TOKEN, startBenchServer, type BenchServer } from "./dev-server";
import { kib, ms, rate, stats, timeEach, timeNet, type Stats } from "./measure";

const root = resolve(process.cwd());
const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };
type Row = [metric: string, value: string, baseline: string, ratio: string, target: string, verdict: string];
const rows: Row[] = [];
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function call(server: BenchServer, path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}
const bench = (s: BenchServer, path: string, body?: string) => call(s, `/bench/${path}`, body === undefined ? {} : { method: "POST", body });

async function launch(s: BenchServer, id: string): Promise<void> {
  await call(s, "/v1/agents/deploybot/threads", { method: "POST", headers: auth, body: JSON.stringify({ message: "deploy the backend", threadId: id }) });
  await bench(s, `idle/${id}`);
}

/** Grows a thread to at least `events` events, 900 at a time (3 per cycle). */
async function growTo(s: BenchServer, id: string, events: number): Promise<number> {
  let seq = (await bench(s, `idle/${id}`)) as number;
  while (seq < events) seq = (await bench(s, `grow/${id}?n=${Math.min(300, Math.ceil((events - seq) / 3))}`)) as number;
  return seq;
}

async function main(): Promise<void> {
  const started = Date.now();
  const server = await startBenchServer(root);
  // `npm run bench -- --deadlines`: only the deadline lateness (about a minute).
  const onlyDeadlines = process.argv.includes("--deadlines");
  try {
    if (onlyDeadlines) await deadlineLateness(server);
    else await measure(server);
  } finally {
    await server.stop();
  }
  if (onlyDeadlines) return print(Date.now() - started);
  const bundle = await bundleSize(root);
  rows.push(["bundle (wrangler deploy --dry-run), raw", kib(bundle.raw), "—", "—", "—", "info"]);
  rows.push(["bundle, gzipped", kib(bundle.gzip), "—", "—", "< 1024 KiB", bundle.gzip < 1024 * 1024 ? "pass" : "FAIL"]);
  print(Date.now() - started);
}

/**
 * Deadline lateness on the real clock (invariant 9): 100 threads, each asking a question
 * with a 2 s deadline at about the same moment; lateness is the log's own account, the
 * human_timed_out event's `at` minus the request's deadline.
 */
async function deadlineLateness(s: BenchServer): Promise<void> {
  const ids = Array.from({ length: 100 }, (_, i) => `deadline-${i}`);
  // 20 launches in flight at a time: the deadlines of a batch land within a few hundred ms.
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map((id) =>
        call(s, "/v1/agents/deploybot/threads", { method: "POST", headers: auth, body: JSON.stringify({ message: "which tag?", threadId: id, humanTimeoutSeconds: 2, onHumanTimeout: "deny" }) }),
      ),
    );
  }
  console.error(`deadlines: ${ids.length} threads launched`);
  type Ev = { type: string; at: string; data: { requestId?: string; deadline?: string } };
  const late: number[] = [];
  const giveUp = Date.now() + 60_000;
  const open = new Set(ids);
  while (open.size > 0 && Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 500));
    for (const id of [...open]) {
      const { events } = (await call(s, `/v1/threads/${id}/events?after=0&limit=1000`, { headers: auth })) as { events: Ev[] };
      const timedOut = events.find((e) => e.type === "human_timed_out");
      const request = events.find((e) => e.type === "human_requested" && e.data.requestId === timedOut?.data.requestId);
      if (!timedOut || !request?.data.deadline) continue;
      late.push(Date.parse(timedOut.at) - Date.parse(request.data.deadline));
      open.delete(id);
    }
    console.error(`deadlines: ${late.length} of ${ids.length} timed out so far`);
  }
  const st = stats(late);
  const max = Math.max(...late);
  rows.push(["alarm granularity (Agent SDK schedule, whole seconds; the wake-up is rounded up)", "1000 ms", "—", "—", "never early", late.every((l) => l >= 0) ? "pass (none early)" : "FAIL (one fired early)"]);
  rows.push([
    `deadline lateness, ${late.length} of ${ids.length} 2 s deadlines under wrangler dev (p50 / max)`,
    `${ms(st.p50)} / ${ms(max)}`,
    "—",
    "—",
    "all fired, max < 3 s",
    late.length === ids.length && max < 3_000 ? "pass" : `FAIL (${ids.length - late.length} never fired, max ${ms(max)})`,
  ]);
}

async function measure(s: BenchServer): Promise<void> {
  await deadlineLateness(s);
  // Warm both objects and the isolate before any timing.
  await launch(s, "rtt");
  await timeEach(50, () => bench(s, "noop/rtt"));
  await timeEach(50, () => bench(s, "baseline/rtt", "warm"));
  const noop = stats(await timeEach(300, () => bench(s, "noop/rtt")));
  const baseNoop = stats(await timeEach(300, () => bench(s, "baseline-noop/rtt")));
  // The yardstick for latencies: a whole request to a bare object that inserts one row. Its
  // net of a no-op is a fraction of a millisecond, within the noise of a shared machine.
  const insert = stats(await timeEach(300, () => bench(s, "baseline/rtt", "x".repeat(200))));
  const baseNet = insert.p50;
  rows.push(["no-op RPC round trip into a thread object (p50)", ms(noop.p50), ms(baseNoop.p50), x(noop.p50, baseNoop.p50), "—", "subtracted from figures marked net"]);
  rows.push(["baseline: one request, bare DO inserts one row (p50 / p99)", `${ms(insert.p50)} / ${ms(insert.p99)}`, ms(baseNet), "1.00x", "—", "yardstick for latencies"]);

  // Storage as a thread grows, beside a bare table of rows of the same average size.
  await launch(s, "grow-a");
  const empty = (await bench(s, "size/grow-a")) as number;
  const emptySeq = (await bench(s, "idle/grow-a")) as number;
  const sizes: { events: number; bytes: number }[] = [];
  for (const target of [100, 1_000, 10_000]) {
    const events = await growTo(s, "grow-a", target);
    sizes.push({ events, bytes: (await bench(s, "size/grow-a")) as number });
  }
  const sample = (await call(s, "/v1/threads/grow-a/events?after=0&limit=100", { headers: auth })) as { events: unknown[] };
  const avgEvent = Math.round(sample.events.reduce<number>((n, e) => n + JSON.stringify(e).length, 0) / sample.events.length);
  const baseEmpty = (await bench(s, "baseline-fill/store?n=0", "")) as number;
  const perEvent = sizes.map((z) => (z.bytes - empty) / (z.events - emptySeq));
  let filled = 0;
  for (const [i, z] of sizes.entries()) {
    const baseBytes = (await bench(s, `baseline-fill/store?n=${z.events - filled}`, "x".repeat(avgEvent))) as number;
    filled = z.events;
    const basePer = (baseBytes - baseEmpty) / z.events;
    const per = perEvent[i] as number;
    const linear = per / (perEvent[0] as number);
    rows.push([`storage at ${z.events} events: total`, kib(z.bytes), kib(baseBytes), x(z.bytes, baseBytes), "linear", "info"]);
    rows.push([
      `storage at ${z.events} events: bytes/event (marginal)`,
      `${per.toFixed(0)} B`,
      `${basePer.toFixed(0)} B`,
      x(per, basePer),
      i === 0 ? `avg event JSON ${avgEvent} B` : "≤ 1.2x of @100",
      i === 0 ? "reference" : linear <= 1.2 ? `pass (${linear.toFixed(2)}x of @100)` : `FAIL (${linear.toFixed(2)}x of @100)`,
    ]);
  }

  // Wake: rebuild state from storage as a fresh instance does, on the 10,000-event thread.
  await timeEach(3, () => bench(s, "wake/grow-a"));
  const wake = stats((await timeNet(40, () => bench(s, "wake/grow-a"), () => bench(s, "noop/grow-a"))).net).p50;
  rows.push([`wake an evicted thread of ${sizes[2]?.events} events (p50, net)`, ms(wake), ms(baseNet), x(wake, baseNet), "< 50 ms", wake < 50 ? "pass" : "FAIL"]);

  // Per-step overhead with the instant model, net of the no-op round trip.
  const steps: Record<number, Stats> = {};
  for (const [size, threads, each] of [[10, 20, 5], [1_000, 2, 50], [10_000, 2, 50]] as const) {
    const samples: number[] = [];
    for (let t = 0; t < threads; t++) {
      const id = size === 10_000 && t === 0 ? "grow-a" : `step-${size}-${t}`;
      if (id !== "grow-a") {
        await launch(s, id);
        await growTo(s, id, size - 1);
      }
      await bench(s, `step/${id}`); // warm this object
      samples.push(...(await timeNet(each, (i) => bench(s, `step/${id}/answer-${i}`), () => bench(s, `noop/${id}`))).net);
    }
    const st = (steps[size] = stats(samples));
    const vs = size === 10 ? "reference" : st.p50 / (steps[10] as Stats).p50 <= 2 ? `pass (${x(st.p50, (steps[10] as Stats).p50)} of @10)` : `FAIL (${x(st.p50, (steps[10] as Stats).p50)} of @10)`;
    rows.push([`step overhead @${size} events, p50 (n=${st.n})`, ms(st.p50), ms(baseNet), x(st.p50, baseNet), size === 10 ? "—" : "≤ 2x @10", vs]);
    rows.push([`step overhead @${size} events, p99`, ms(st.p99), ms(insert.p99), x(st.p99, insert.p99), "—", "info"]);
  }

  // Ingest over HTTP: 100 threads, 100 requests in flight, vs the baseline object's rate.
  const ids = Array.from({ length: 100 }, (_, i) => `ingest-${i}`);
  await Promise.all(ids.map((id) => launch(s, id)));
  const total = 2_000;
  await Promise.all(ids.map((id) => bench(s, `baseline/${id}`, "warm")));
  const baseRate = await rate(total, 100, (i) => bench(s, `baseline/${ids[i % 100]}`, "x".repeat(200)));
  const ingest = await rate(total, 100, (i) =>
    call(s, `/v1/threads/${ids[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) }),
  );
  await Promise.all(ids.map((id) => bench(s, `idle/${id}`)));
  // The same requests to paused threads: the ingest path alone (HTTP, auth, validation,
  // idempotent append), with no model step competing for the CPUs.
  const paused = ids.map((id) => `${id}-paused`);
  await Promise.all(paused.map((id) => launch(s, id).then(() => call(s, `/v1/threads/${id}/pause`, { method: "POST", headers: auth }))));
  const baseRate2 = await rate(total, 100, (i) => bench(s, `baseline/${ids[i % 100]}`, "x".repeat(200)));
  const ingestOnly = await rate(total, 100, (i) =>
    call(s, `/v1/threads/${paused[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) }),
  );
  const verdict = (r: number) => (r >= 0.5 ? "pass" : `FAIL (${r.toFixed(2)}x)`);
  rows.push([
    "HTTP ingest, POST /messages, 100 running threads, 100 in flight (each message also runs one model step)",
    `${ingest.toFixed(0)} events/s`,
    `${baseRate.toFixed(0)} rows/s`,
    x(ingest, baseRate),
    "≥ 0.50x",
    verdict(ingest / baseRate),
  ]);
  rows.push([
    "HTTP ingest, same, 100 paused threads (append path only, no step)",
    `${ingestOnly.toFixed(0)} events/s`,
    `${baseRate2.toFixed(0)} rows/s`,
    x(ingestOnly, baseRate2),
    "≥ 0.50x",
    verdict(ingestOnly / baseRate2),
  ]);
}

function print(elapsed: number): void {
  const head: Row = ["metric", "value", "baseline", "ratio", "target", "pass / explain"];
  const lines = [head, ["---", "---:", "---:", "---:", "---", "---"] as Row, ...rows].map((r) => `| ${r.join(" | ")} |`);
  console.log(lines.join("\n"));
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const version = (pkg: string) => (JSON.parse(readFileSync(resolve(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  console.log(`\n${cpus().length} CPUs (${cpu}), Node ${process.version}, workerd ${version("workerd")}, wrangler ${version("wrangler")}; bench took ${(elapsed / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
