/**
 * BENCH ONLY: the Worker that `npm run bench` starts under `wrangler dev`. It serves the
 * real runtime (createRuntime, the production agents) with an instant in-process model,
 * plus routes under /bench/ that exist only here:
 *   - a bare Durable Object (Baseline) that inserts one SQLite row per request: the
 *     yardstick every figure is divided by, measured in the same run;
 *   - RPCs on the thread object to grow a log, run one step, rebuild state as a fresh
 *     instance would, read the database size, and do nothing (the round trip to subtract).
 * Never deployed: wrangler.toml at the root points at src/index.ts, not here.
 */
import { DurableObject, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { agents } from "../src/agents";
import { ThreadId, type CallId, type RequestId } from "../src/core";
import { ThreadLog } from "../src/runtime/log/thread-log";
import { createRuntime } from "../src/worker";
import { FINISH, instantModel } from "./instant-model";
import { BENCH_SENDER } from "./mail-thread";
import { SqlMeter, type Rows } from "./sql-meter";
import type { DecisionRow } from "../src/runtime/index/decision-rows";
import { indexShard } from "../src/runtime/index/thread-index";

type BenchEnv = Env & { BASELINE: DurableObjectNamespace<Baseline>; WAIT_PEER: Workflow<PeerWait> };

/** BENCH ONLY: outbound mail goes nowhere; the Message-ID we composed is the one "sent". */
const discardMail = async () => ({});

/** BENCH ONLY: the instant model, except OTLP exports, which go over the network to the bench's receiver. */
const benchFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
  new URL(new Request(input, init).url).pathname.endsWith("/v1/traces") ? fetch(input, init) : instantModel(input, init);

const runtime = createRuntime({ agents, fetch: benchFetch, sendEmail: discardMail });


export class ThreadObject extends runtime.ThreadObjectBase {
  /** BENCH ONLY: counts rows read and written through this object's storage (SQL, SDK key-value, alarms). */
  readonly meter = new SqlMeter();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.meter.attach(ctx);
  }

  /** BENCH ONLY: rows read and written by this object since the last call. */
  benchRows(): Rows {
    return this.meter.take();
  }

  /** BENCH ONLY: the same, per statement. */
  benchRowsDetail(): ReturnType<SqlMeter["detail"]> {
    return this.meter.detail();
  }

  /** BENCH ONLY: launches a thread as a mail from BENCH_SENDER would (its source and reply channel), without the mail. */
  async benchLaunchByEmail(id: string): Promise<number> {
    const launched = await this.launch(
      { threadId: ThreadId.parse(id), agent: "deploybot", message: "deploy the backend", replyChannels: ["email"] },
      { kind: "email", detail: { from: BENCH_SENDER, to: "deploybot@bench.test", messageId: `<start-${id}@example.com>`, subject: "deploy" } },
    );
    if (!launched.ok) throw new Error(`launch rejected: ${launched.rejection.code}`);
    await this.idle();
    return this.log.state?.lastSeq ?? 0;
  }

  /** BENCH ONLY: ends the run: the instant model answers done_for_now to this message. */
  async benchFinish(): Promise<string> {
    await this.benchStep(FINISH);
    return this.log.state?.end?.status ?? "running";
  }
  /** BENCH ONLY: switches the OTLP trace export on for this instance, to `endpoint` (the bench's receiver). */
  benchOtel(endpoint: string): boolean {
    Object.defineProperty(this, "env", { value: { ...this.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, configurable: true });
    return true;
  }

  /** BENCH ONLY: ends this instance as an eviction would (the next call starts a new one); the call itself fails. */
  benchEvict(): void {
    this.ctx.abort("bench: evict");
  }

  /** BENCH ONLY: an RPC that does nothing: its round trip is subtracted from the others. */
  benchNoop(): number {
    return 0;
  }

  /** BENCH ONLY: one real step: append a message, run the loop (model, human request) until idle. */
  async benchStep(text: string): Promise<number> {
    const result = await this.message(text);
    if (!result.ok) throw new Error(`message rejected: ${result.rejection.code}`);
    await this.idle();
    return this.log.state?.lastSeq ?? 0;
  }

  /**
   * BENCH ONLY: grows the log by `cycles` x 3 events through the real storage append path
   * (ThreadLog.append: validation, insert, reduce), each cycle the three events one real
   * step writes: user_messaged, model_decided (a question), human_requested. Growing by
   * real steps gives the same log and takes ~100x longer.
   */
  benchGrow(cycles: number, mail = false): number {
    const at = new Date().toISOString();
    const id = this.log.state?.id ?? "";
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < cycles; i++) {
      const state = this.log.state;
      if (!state) throw new Error("launch first");
      const n = state.lastSeq;
      const callId = `call_grow_${n}` as CallId;
      const args = { message: `Question ${n}: which version should I deploy?` };
      // An email thread's answers come by mail, and each question goes out as one.
      const source = { kind: "email" as const, detail: { from: BENCH_SENDER, to: `deploybot+${id}@bench.test`, messageId: `<in-${n}@example.com>`, subject: "Re: deploy" } };
      this.log.append({ type: "user_messaged", data: { text: `Answer ${n}: use v1.2.${n}` }, ...(mail ? { source } : {}) }, at);
      this.log.append(
        {
          type: "model_decided",
          data: {
            callId,
            tool: "request_more_information",
            args,
            seenSeq: n + 1,
            model: "bench-instant",
            promptVersion: "bench",
            latencyMs: 1,
            usage: { promptTokens: 1000, completionTokens: 12 },
          },
        },
        at,
      );
      this.log.append(
        {
          type: "human_requested",
          data: {
            requestId: `req_${callId}` as RequestId,
            kind: "input",
            reason: "model_asked",
            message: args.message,
            call: { callId, tool: "request_more_information", args },
            deadline,
            onTimeout: "deny",
            notify: mail ? ["email"] : [],
          },
          key: `request:req_${callId}`,
        },
        at,
      );
      if (mail) {
        const messageId = `<${id}.${n}.0123456789abcdef@bench.test>`;
        const data = { requestId: `req_${callId}` as RequestId, channel: "email", purpose: "request" as const, attempt: 1, messageId };
        this.log.append({ type: "notification_sent", data, key: `notified:req_${callId}:email:request` }, at);
      }
    }
    this.benchCompacted(at);
    return this.log.state?.lastSeq ?? 0;
  }

  /**
   * BENCH ONLY: a live thread summarises what its context leaves out as it goes (one
   * `context_compacted` per omitted run, src/runtime/context/compaction.ts), so its long log
   * holds summaries of everything older than its window. A grown log gets the same: one
   * summary of all that lies more than 1,100 events back and no summary covers yet.
   * Without it, a grown thread's steps would catch up on 10,000 events of history first.
   */
  private benchCompacted(at: string): void {
    const state = this.log.state;
    if (!state) return;
    const fromSeq = Math.max(2, ...(state.context?.compactions ?? []).map((c) => c.toSeq + 1));
    const toSeq = state.lastSeq - 1_100;
    if (toSeq - fromSeq + 1 < 32) return;
    const summary = "Earlier: the user answered questions about which version to deploy.";
    const data = { fromSeq, toSeq, summary, tokensBefore: 10_000, tokensAfter: 20, model: "bench-instant", promptVersion: "bench", latencyMs: 1 };
    this.log.append({ type: "context_compacted", data, key: `compact:${fromSeq}:${toSeq}`, source: { kind: "runtime" } }, at);
  }

  /** BENCH ONLY: rebuilds the log's state from storage exactly as a freshly woken instance does. */
  benchWake(): number {
    return new ThreadLog(this.ctx.storage.sql).state?.lastSeq ?? 0;
  }

  /** BENCH ONLY: this object's SQLite size in bytes (every table, the SDK's included). */
  benchSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}

export { ThreadIndex } from "../src/runtime/index/thread-index";

/** BENCH ONLY: the baseline, a bare Durable Object that inserts one row per request. */
export class Baseline extends DurableObject<BenchEnv> {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL, at TEXT NOT NULL)");
  }

  insert(data: string): number {
    return this.ctx.storage.sql.exec<{ seq: number }>("INSERT INTO rows (data, at) VALUES (?, ?) RETURNING seq", data, new Date().toISOString()).one().seq;
  }

  /** Inserts `count` rows in one call, to build a table as large as a thread's log quickly. */
  fill(data: string, count: number): number {
    for (let i = 0; i < count; i++) this.insert(data);
    return this.size();
  }

  noop(): number {
    return 0;
  }

  size(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}

/** BENCH ONLY: what a peer instance waits for: its deadline (epoch ms). */
type PeerWait = { deadline: number };
/** BENCH ONLY: a peer instance's account of its wait: when its timeout fired (null: an event came). */
type PeerOutcome = { deadline: number; timedOutAt: number | null };

/**
 * BENCH ONLY: the peer the deadline row is compared with (issue 31): Cloudflare Workflows'
 * own human-wait primitive, `step.waitForEvent` with a timeout, under the same `wrangler dev`.
 * Its timeout is set so that it fires at `deadline`; the instance's output says when it did
 * (workerd's clock, read as the timeout's rejection arrives, as ours is read as the alarm runs).
 */
export class PeerWaitWorkflow extends WorkflowEntrypoint<BenchEnv, PeerWait> {
  override async run(event: Readonly<WorkflowEvent<PeerWait>>, step: WorkflowStep): Promise<PeerOutcome> {
    const { deadline } = event.payload;
    try {
      await step.waitForEvent("human answer", { type: "human-answer", timeout: Math.max(1, deadline - Date.now()) });
      return { deadline, timedOutAt: null };
    } catch {
      return { deadline, timedOutAt: Date.now() };
    }
  }
}

/** BENCH ONLY: starts peer instances `ids`, each with its deadline, in batches of 100 (the platform's batch limit). */
async function peerStart(env: BenchEnv, instances: { id: string; deadline: number }[]): Promise<number> {
  for (let i = 0; i < instances.length; i += 100) {
    const batch = instances.slice(i, i + 100).map(({ id, deadline }) => ({ id, params: { deadline } }));
    await env.WAIT_PEER.createBatch(batch);
  }
  return instances.length;
}

/** BENCH ONLY: each peer instance's outcome, or null while it still waits. */
async function peerOutcomes(env: BenchEnv, ids: string[]): Promise<(PeerOutcome | null)[]> {
  return Promise.all(
    ids.map(async (id) => {
      const status = await (await env.WAIT_PEER.get(id)).status();
      return status.status === "complete" ? (status.output as PeerOutcome) : null;
    }),
  );
}

/**
 * BENCH ONLY: decisions [from, from + n) written into the index shards through the same
 * upsert a thread's sync uses (10 decisions per thread, one second apart), without running
 * the threads that would have made them: the export's read path is what is measured.
 */
async function seedDecisions(env: BenchEnv, from: number, n: number): Promise<number> {
  const byThread = new Map<string, DecisionRow[]>();
  for (let i = from; i < from + n; i++) {
    const threadId = `bench-dec-${Math.floor(i / 10)}`;
    const args = { tag: `v1.${i}`, environment: "production" };
    const row: DecisionRow = {
      threadId, seq: 4 + (i % 10), agent: i % 2 ? "deploybot" : "releasebot", requestId: `req_c${Math.floor(i / 10)}`, tool: "deploy_backend",
      originalArgs: args, finalArgs: args, decision: i % 7 ? "approve" : "reject",
      principal: { kind: "api", id: `approver-${i % 5}`, verifiedBy: "api_token" }, channel: "api",
      at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    };
    byThread.set(threadId, [...(byThread.get(threadId) ?? []), row]);
  }
  for (const [threadId, rows] of byThread) {
    const at = rows[0]?.at ?? "";
    await indexShard(env, threadId).upsert({ id: threadId, agent: rows[0]?.agent ?? "deploybot", status: "done", createdAt: at, updatedAt: at, lastSeq: 20 }, rows);
  }
  return from + n;
}

const threads = (env: BenchEnv, id: string) => env.THREADS.getByName(id) as unknown as ThreadObject;

/** BENCH ONLY routes; everything else goes to the real app. No auth: this Worker only ever listens on 127.0.0.1. */
async function bench(request: Request, env: BenchEnv): Promise<Response> {
  const url = new URL(request.url);
  const [, , what, id = "", arg = ""] = url.pathname.split("/");
  const n = Number(url.searchParams.get("n") ?? "0");
  switch (what) {
    case "baseline":
      return Response.json(await env.BASELINE.getByName(id).insert(await request.text()));
    case "baseline-noop":
      return Response.json(await env.BASELINE.getByName(id).noop());
    case "baseline-fill":
      return Response.json(await env.BASELINE.getByName(id).fill(await request.text(), n));
    case "noop":
      return Response.json(await threads(env, id).benchNoop());
    case "evict":
      // The abort rejects the call that made it: that is the eviction, not a failure.
      return Response.json(await Promise.resolve(threads(env, id).benchEvict()).then(() => false, () => true));
    case "otel":
      return Response.json(await threads(env, id).benchOtel(url.searchParams.get("endpoint") ?? ""));
    case "step":
      return Response.json(await threads(env, id).benchStep(arg || "use v1.2.3"));
    case "grow":
      return Response.json(await threads(env, id).benchGrow(n, arg === "mail"));
    case "launch-email":
      return Response.json(await threads(env, id).benchLaunchByEmail(id));
    case "finish":
      return Response.json(await threads(env, id).benchFinish());
    case "rows":
      return Response.json(await threads(env, id).benchRows());
    case "rows-detail":
      return Response.json(await threads(env, id).benchRowsDetail());
    case "idle":
      return Response.json((await threads(env, id).idle())?.lastSeq ?? 0);
    case "wake":
      return Response.json(await threads(env, id).benchWake());
    case "size":
      return Response.json(await threads(env, id).benchSize());
    case "peer-start":
      return Response.json(await peerStart(env, (await request.json()) as { id: string; deadline: number }[]));
    case "peer-outcomes":
      return Response.json(await peerOutcomes(env, (await request.json()) as string[]));
    case "decisions-seed":
      return Response.json(await seedDecisions(env, Number(url.searchParams.get("from") ?? "0"), n));
    default:
      return Response.json({ error: { code: "not_found", message: "unknown bench route" } }, { status: 404 });
  }
}

export default {
  fetch(request: Request, env: BenchEnv, ctx: ExecutionContext) {
    if (new URL(request.url).pathname.startsWith("/bench/")) return bench(request, env);
    return runtime.handler.fetch(request, env, ctx);
  },
  email: runtime.handler.email,
} satisfies ExportedHandler<BenchEnv>;
