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
import { auth, bench, call, growMail, growTo, launch } from "./client";
import { startBenchServer, startBenchServerWithoutDevtools, type BenchServer } from "./dev-server";
import { kib, ms, rate, stats, timeEach, timeNet, type Stats } from "./measure";
import type { Rows } from "./sql-meter";
import { deliver, rawMail } from "../test/e2e/support/mail";
import { BENCH_SENDER } from "./mail-thread";
import { needleRows } from "./needle";
import { deadlineRows, peerRows } from "./deadlines";
import { decisionRows } from "./decisions";
import { startOtlpReceiver } from "../test/e2e/support/otlp-receiver";

const root = resolve(process.cwd());
type Row = [metric: string, value: string, baseline: string, ratio: string, target: string, verdict: string];
const rows: Row[] = [];
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
  const started = Date.now();
  // `npm run bench -- --needle`: only the context needle rows (seconds, no server).
  rows.push(...(await needleRows()));
  if (process.argv.includes("--needle")) return print(Date.now() - started);
  // BENCH_LOG_LEVEL=warn runs the whole bench with LOG_LEVEL=warn (no line per request, step and wake).
  const logLevel = process.env["BENCH_LOG_LEVEL"];
  const server = await startBenchServer(root, logLevel ? { LOG_LEVEL: logLevel } : {});
  // `npm run bench -- --deadlines`: only the deadline lateness (1,000 threads; about three minutes).
  // `npm run bench -- --flat`: only the baseline and the flat-with-log-size table (a few minutes).
  const onlyDeadlines = process.argv.includes("--deadlines");
  // `npm run bench -- --peer`: only the Workflows peer of the deadline row (DEADLINE_THREADS instances).
  const onlyPeer = process.argv.includes("--peer");
  const onlyFlat = process.argv.includes("--flat");
  // `npm run bench -- --decisions`: only the audit export rows (GET /v1/decisions at 100 and 10,000 decisions).
  const onlyDecisions = process.argv.includes("--decisions");
  // `npm run bench -- --traces`: only the OTLP export's cost per step, on vs off (a minute).
  const onlyTraces = process.argv.includes("--traces");
  // `npm run bench -- --ingest`: only HTTP ingest, running and paused threads (a minute).
  const onlyIngest = process.argv.includes("--ingest");
  try {
    if (onlyDecisions) rows.push(...(await decisionRows(server)));
    else if (onlyTraces) await traceCost(server);
    else if (onlyIngest) await ingestBoth(server);
    else if (onlyDeadlines) rows.push(...(await deadlineRows(server)));
    else if (onlyPeer) rows.push(...(await peerRows(server)));
    else await measure(server, onlyFlat);
  } catch (error) {
    // What workerd said last explains a dropped connection better than the client's stack.
    console.error(server.output().split("\n").filter((l) => !/ENOTFOUND|Request\.cf|^\s+at /.test(l)).slice(-60).join("\n"));
    throw error;
  } finally {
    await server.stop();
  }
  if (onlyDeadlines || onlyPeer || onlyFlat || onlyDecisions || onlyTraces || onlyIngest) return print(Date.now() - started);
  const bundle = await bundleSize(root);
  rows.push(["bundle (wrangler deploy --dry-run), raw", kib(bundle.raw), "—", "—", "—", "info"]);
  // The tokenizer's BPE ranks (gpt-tokenizer: cl100k_base, ~0.45 MiB gzipped) are
  // most of the bundle since issue 21; the gate is the Workers Free plan's 3 MB compressed limit.
  rows.push(["bundle, gzipped", kib(bundle.gzip), "—", "—", "< 3000 KiB", bundle.gzip < 3000 * 1024 ? "pass" : "FAIL"]);
  print(Date.now() - started);
}

async function measure(s: BenchServer, onlyFlat: boolean): Promise<void> {
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

  // The flat table first, while this workerd holds nothing else: the 10,000-event storage
  // thread and the 100 deadline threads would add their own noise to its ratios.
  await flat(s, baseNet);
  if (onlyFlat) return;
  await storage(s);
  await ingestBoth(s);
  await traceCost(s);
  rows.push(...(await deadlineRows(s)));
  rows.push(...(await decisionRows(s)));
}

/**
 * Issue 29: what the OTLP export costs a step. The same steps (a message, one model call,
 * a question) on threads with the export off and on, the "on" ones sending to a real
 * OTLP/HTTP receiver in this process. The time is until the thread is idle, which waits
 * for the background export too (a step itself never waits for it); rows are the object's.
 */
async function traceCost(s: BenchServer): Promise<void> {
  const receiver = await startOtlpReceiver();
  try {
    const measured: Record<"off" | "on", { step: Stats; rows: Rows }> = { off: { step: stats([0]), rows: { read: 0, written: 0 } }, on: { step: stats([0]), rows: { read: 0, written: 0 } } };
    for (const mode of ["off", "on"] as const) {
      const steps: number[] = [];
      let sum: Rows = { read: 0, written: 0 };
      for (let t = 0; t < 10; t++) {
        const id = `otel-${mode}-${t}`;
        await launch(s, id);
        if (mode === "on") await bench(s, `otel/${id}?endpoint=${encodeURIComponent(receiver.url)}`);
        await bench(s, `step/${id}`); // warm; on: also exports what the launch ended
        await bench(s, `rows/${id}`);
        steps.push(...(await timeNet(5, (i) => bench(s, `step/${id}/answer-${i}`), () => bench(s, `noop/${id}`))).net);
        sum = sumRows([sum, (await bench(s, `rows/${id}`)) as Rows]);
      }
      measured[mode] = { step: stats(steps), rows: { read: sum.read / steps.length, written: sum.written / steps.length } };
    }
    const exported = receiver.requests.filter((r) => r.status === 200).length;
    const { on, off } = measured;
    rows.push(["step until idle, OTLP export on (incl. its background POST) vs off, net p50", ms(on.step.p50), ms(off.step.p50), x(on.step.p50, off.step.p50), "—", `info (${exported} batches acknowledged)`]);
    rows.push(["rows read / written per step, OTLP export on vs off", `${on.rows.read.toFixed(1)} / ${on.rows.written.toFixed(1)}`, `${off.rows.read.toFixed(1)} / ${off.rows.written.toFixed(1)}`, "—", "off adds none", "billed"]);
  } finally {
    await receiver.close();
  }
}

/** Storage as a thread grows, beside a bare table of rows of the same average size. */
async function storage(s: BenchServer): Promise<void> {
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

}

/**
 * Ingest with the default logging (a line per request and per step), then on a second
 * server with LOG_LEVEL=warn: under `wrangler dev` every console line travels through the
 * inspector to wrangler, a cost a deployed Worker does not have (docs/benchmarks.md).
 */
async function ingestBoth(s: BenchServer): Promise<void> {
  await ingest(s, "");
  const quiet = await startBenchServer(root, { LOG_LEVEL: "warn" });
  try {
    await ingest(quiet, ", LOG_LEVEL=warn");
  } finally {
    await quiet.stop();
  }
  // The default logging again, with no DevTools inspector carrying each line (as deployed).
  const plain = await startBenchServerWithoutDevtools(root);
  try {
    const before = plain.lines();
    await ingest(plain, ", default logging, no DevTools attached");
    console.error(`ingest without DevTools: ${plain.lines() - before} console lines written during the run (each line is still written)`);
  } finally {
    await plain.stop();
  }
}

/** Ingest over HTTP: 100 threads, 100 requests in flight, vs the baseline object's rate. */
async function ingest(s: BenchServer, label: string): Promise<void> {
  // Ingest over HTTP: 100 threads, 100 requests in flight, vs the baseline object's rate.
  const ids = Array.from({ length: 100 }, (_, i) => `ingest-${i}`);
  await Promise.all(ids.map((id) => launch(s, id)));
  const total = 2_000;
  await Promise.all(ids.map((id) => bench(s, `baseline/${id}`, "warm")));
  const baseRate = await rate(total, 100, (i) => bench(s, `baseline/${ids[i % 100]}`, "x".repeat(200)));
  await Promise.all(ids.map((id) => bench(s, `rows/${id}`)));
  const ingest = await rate(total, 100, (i) =>
    call(s, `/v1/threads/${ids[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) }),
  );
  await Promise.all(ids.map((id) => bench(s, `idle/${id}`)));
  const runningRows = sumRows((await Promise.all(ids.map((id) => bench(s, `rows/${id}`)))) as Rows[]);
  // The same requests to paused threads: the ingest path alone (HTTP, auth, validation,
  // idempotent append), with no model step competing for the CPUs.
  const paused = ids.map((id) => `${id}-paused`);
  await Promise.all(paused.map((id) => launch(s, id).then(() => call(s, `/v1/threads/${id}/pause`, { method: "POST", headers: auth }))));
  await Promise.all(paused.map((id) => bench(s, `rows/${id}`)));
  const baseRate2 = await rate(total, 100, (i) => bench(s, `baseline/${ids[i % 100]}`, "x".repeat(200)));
  const ingestOnly = await rate(total, 100, (i) =>
    call(s, `/v1/threads/${paused[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) }),
  );
  const pausedRows = sumRows((await Promise.all(paused.map((id) => bench(s, `rows/${id}`)))) as Rows[]);
  const verdict = (r: number) => (r >= 0.5 ? "pass" : `FAIL (${r.toFixed(2)}x)`);
  rows.push([
    `HTTP ingest, POST /messages, 100 running threads, 100 in flight (each message also runs one model step)${label}`,
    `${ingest.toFixed(0)} events/s`,
    `${baseRate.toFixed(0)} rows/s`,
    x(ingest, baseRate),
    "≥ 0.50x",
    verdict(ingest / baseRate),
  ]);
  rows.push([
    `HTTP ingest, same, 100 paused threads (append path only, no step)${label}`,
    `${ingestOnly.toFixed(0)} events/s`,
    `${baseRate2.toFixed(0)} rows/s`,
    x(ingestOnly, baseRate2),
    "≥ 0.80x",
    ingestOnly / baseRate2 >= 0.8 ? "pass" : `FAIL (${(ingestOnly / baseRate2).toFixed(2)}x)`,
  ]);
  rows.push([`rows read / written per ingested message, running threads (the message and its step)${label}`, perRows(runningRows, total), "—", "—", "—", "billed"]);
  rows.push([`rows read / written per ingested message, paused threads (append only)${label}`, perRows(pausedRows, total), "—", "—", "—", "billed"]);
}

/** Rows of an evicted object's first step: counted from its construction (the meter is the new instance's). */
async function coldStep(s: BenchServer, id: string): Promise<Rows> {
  await bench(s, `step/${id}/after-eviction`);
  return (await bench(s, `rows/${id}`)) as Rows;
}

const sumRows = (all: readonly Rows[]): Rows => all.reduce((a, b) => ({ read: a.read + b.read, written: a.written + b.written }), { read: 0, written: 0 });
const perRows = (r: Rows, n: number) => `${(r.read / n).toFixed(1)} / ${(r.written / n).toFixed(1)}`;
/** p50 of an operation timed `n` times in sequence. */
const p50 = async (n: number, op: (i: number) => Promise<unknown>) => stats(await timeEach(n, op)).p50;
const SIZES = [10, 1_000, 10_000] as const;

/**
 * Issue 15: nothing on a thread's path grows with its log. Each operation is timed on
 * threads of 10, 1,000 and 10,000 events and compared with its own cost at 10 events in the
 * same run; a step's rows read and written come from the object's SQL cursors.
 */
async function flat(s: BenchServer, baseNet: number): Promise<void> {
  type Op = "step" | "finish" | "get" | "context" | "wake" | "mail_out" | "mail_reply";
  const cost: Record<Op, Record<number, Stats>> = { step: {}, finish: {}, get: {}, context: {}, wake: {}, mail_out: {}, mail_reply: {} };
  const stepRows: Record<number, Rows> = {};
  const finishRows: Record<number, Rows> = {};
  const coldRows: Record<number, Rows> = {};
  for (const size of SIZES) {
    // Plain threads: steps (net of a no-op RPC), then the reads, then the end of each run.
    // Finishing ends a thread, so it is timed once per thread: enough threads at every size
    // that one slow sample cannot move the median (3 threads once read 2.3x from one outlier).
    const [threads, each] = size === 10 ? [20, 5] : [15, 7];
    const ids = Array.from({ length: threads }, (_, t) => `step-${size}-${t}`);
    const steps: number[] = [];
    let rowsSum: Rows = { read: 0, written: 0 };
    for (const id of ids) {
      await launch(s, id);
      await growTo(s, id, size - 1);
      await bench(s, `step/${id}`); // warm this object
      await bench(s, `rows/${id}`);
      steps.push(...(await timeNet(each, (i) => bench(s, `step/${id}/answer-${i}`), () => bench(s, `noop/${id}`))).net);
      rowsSum = sumRows([rowsSum, (await bench(s, `rows/${id}`)) as Rows]);
    }
    cost.step[size] = stats(steps);
    // A step here also answers the no-op RPCs, which touch no storage.
    stepRows[size] = { read: rowsSum.read / steps.length, written: rowsSum.written / steps.length };
    const probe = ids[0] as string;
    cost.get[size] = stats(await timeEach(40, () => call(s, `/v1/threads/${probe}`, { headers: auth })));
    cost.context[size] = stats(await timeEach(40, () => call(s, `/v1/threads/${probe}/context`, { headers: auth })));
    cost.wake[size] = stats((await timeNet(40, () => bench(s, `wake/${probe}`), () => bench(s, `noop/${probe}`))).net);
    // What an evicted thread pays once on its next step: the object's start (the SDK's own
    // tables included), the state snapshot and the tail after it, the window, pinned events.
    let coldSum: Rows = { read: 0, written: 0 };
    for (const id of ids.slice(1, 6)) {
      await bench(s, `evict/${id}`);
      coldSum = sumRows([coldSum, await coldStep(s, id)]);
    }
    coldRows[size] = { read: coldSum.read / 5, written: coldSum.written / 5 };
    const finishes: number[] = [];
    let finishRowsSum: Rows = { read: 0, written: 0 };
    for (const id of ids) {
      const noop = await p50(3, () => bench(s, `noop/${id}`));
      // A run's last step follows its others within seconds: finished warm, as steps are measured
      // (an evicted object's start is the row above, once per wake, at any length of log). The
      // objects may have been evicted while the other threads ran: a context render (which
      // appends nothing) brings the log, its window and pinned events back into memory.
      await call(s, `/v1/threads/${id}/context`, { headers: auth });
      await bench(s, `rows/${id}`); // start counting from here
      const [took] = await timeEach(1, async () => {
        if ((await bench(s, `finish/${id}`)) !== "done") throw new Error(`${id} did not finish`);
      });
      finishes.push((took as number) - noop);
      const detail = (await bench(s, `rows-detail/${id}`)) as { query: string; calls: number; read: number; written: number }[];
      const finishRows = detail.reduce((t, d) => ({ read: t.read + d.read, written: t.written + d.written }), { read: 0, written: 0 });
      // A finish that reads far more than a step is worth a look: name its statements.
      if (finishRows.read > 500) console.error(`finish ${id} read ${finishRows.read} rows:\n${detail.filter((d) => d.read > 20).map((d) => `  ${d.read} rows, ${d.calls} calls: ${d.query}`).join("\n")}`);
      finishRowsSum = sumRows([finishRowsSum, finishRows]);
    }
    cost.finish[size] = stats(finishes);
    finishRows[size] = { read: finishRowsSum.read / ids.length, written: finishRowsSum.written / ids.length };

    // An email thread (started by mail, grown with a mail in and a mail out per cycle): each
    // step sends its question by mail.
    const mailId = `mail-${size}`;
    await bench(s, `launch-email/${mailId}`);
    await growMail(s, mailId, size - 1);
    await bench(s, `step/${mailId}`);
    cost.mail_out[size] = stats((await timeNet(20, (i) => bench(s, `step/${mailId}/answer-${i}`), () => bench(s, `noop/${mailId}`))).net);

    // Replies routed by In-Reply-To through the real email() trigger, to a paused email
    // thread with no open question, so each reply is appended as a message.
    const replyId = `reply-${size}`;
    await bench(s, `launch-email/${replyId}`);
    await growMail(s, replyId, size - 2);
    await call(s, `/v1/threads/${replyId}/pause`, { method: "POST", headers: auth });
    await call(s, `/v1/threads/${replyId}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: "v1.2.3" }) });
    const before = (await bench(s, `idle/${replyId}`)) as number;
    // The first mail the thread sent: the oldest id it must recognise.
    const { events } = (await call(s, `/v1/threads/${replyId}/events?after=0&limit=10`, { headers: auth })) as { events: { type: string; data: { messageId?: string } }[] };
    const quoted = events.find((e) => e.type === "notification_sent")?.data.messageId;
    if (!quoted) throw new Error(`${replyId} sent no mail`);
    cost.mail_reply[size] = stats(
      await timeEach(20, async (i) => {
        const raw = rawMail({ from: BENCH_SENDER, to: "deploybot@bench.test", subject: "Re: deploy", messageId: `<r-${size}-${i}@example.com>`, inReplyTo: quoted, text: `and also ${i}` });
        const answer = await deliver(s.url, { from: BENCH_SENDER, to: "deploybot@bench.test" }, raw);
        if (answer.status >= 300) throw new Error(`reply refused: ${answer.status} ${answer.text}`);
      }),
    );
    const after = (await bench(s, `idle/${replyId}`)) as number;
    if (after - before !== 20) throw new Error(`${replyId}: ${after - before} of 20 replies were appended`);
  }

  const labels: Record<Op, string> = {
    step: "step overhead (net of the model round trip; in-process model)",
    finish: "finish a run (done_for_now answer to status done, net)",
    get: "GET /v1/threads/{id} (whole HTTP request)",
    context: "GET /v1/threads/{id}/context (whole HTTP request)",
    wake: "wake: rebuild state from storage (net)",
    mail_out: "step that sends its question by mail (net)",
    mail_reply: "email reply routed by In-Reply-To (whole email() delivery)",
  };
  for (const op of Object.keys(labels) as Op[]) {
    const ref = cost[op][10] as Stats;
    for (const size of SIZES) {
      const st = cost[op][size] as Stats;
      const r = st.p50 / ref.p50;
      rows.push([
        `${labels[op]} @${size} events, p50 (n=${st.n})`,
        ms(st.p50),
        size === 10 ? ms(baseNet) : ms(ref.p50),
        size === 10 ? x(st.p50, baseNet) : x(st.p50, ref.p50),
        size === 10 ? (op === "step" ? "≤ 3 ms" : "—") : "≤ 1.5x @10",
        size === 10 ? (op === "step" ? (st.p50 <= 3 ? "pass" : `FAIL (${ms(st.p50)})`) : "reference (ratio vs the bare insert)") : r <= 1.5 ? `pass (${r.toFixed(2)}x of @10)` : `FAIL (${r.toFixed(2)}x of @10)`,
      ]);
    }
  }
  for (const size of SIZES) {
    const r = stepRows[size] as Rows;
    rows.push([`rows read / written per step @${size} events (SQL cursors, SDK scheduler, setAlarm)`, `${r.read.toFixed(1)} / ${r.written.toFixed(1)}`, "—", "—", "flat", "billed"]);
  }
  const finish10 = finishRows[10] as Rows;
  for (const size of SIZES) {
    const r = finishRows[size] as Rows;
    const ratio = r.read / Math.max(1, finish10.read);
    rows.push([
      `rows read / written to finish a run @${size} events (the last step and the end, warm)`,
      `${r.read.toFixed(1)} / ${r.written.toFixed(1)}`,
      size === 10 ? "—" : `${finish10.read.toFixed(1)} read @10`,
      size === 10 ? "—" : x(r.read, Math.max(1, finish10.read)),
      size === 10 ? "reference" : "reads ≤ 1.5x @10",
      size === 10 ? "billed" : ratio <= 1.5 ? "pass" : `FAIL (${ratio.toFixed(2)}x)`,
    ]);
  }
  for (const size of SIZES) {
    const r = coldRows[size] as Rows;
    rows.push([`rows read / written by an evicted thread's next step @${size} events (its start, then the step; 5 threads)`, `${r.read.toFixed(1)} / ${r.written.toFixed(1)}`, "—", "—", "once per wake", "billed"]);
  }
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
