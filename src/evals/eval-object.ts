import { DurableObject } from "cloudflare:workers";
import { caseView, compare } from "./questions";
import { summarize } from "./summary";
import { EvalStore, type EvalSpec, type QuestionRow } from "./store";
import type { Answer, CasesQuery, EvalListItem, EvalMessage, EvalView, Question } from "./schemas";
import { z } from "zod";
import { setting } from "../settings";

/**
 * How long a consumer may hold a question (model timeout x retries, plus backoff, with room;
 * EVAL_LEASE_SECONDS), and after how long an unanswered question whose message went out is
 * sent again as lost (EVAL_RESEND_SECONDS). The watchdog looks at most once a minute.
 */
export function timingsFrom(env: Pick<Env, "EVAL_LEASE_SECONDS" | "EVAL_RESEND_SECONDS">) {
  const leaseMs = setting(env, "EVAL_LEASE_SECONDS") * 1000;
  const resendMs = setting(env, "EVAL_RESEND_SECONDS") * 1000;
  return { leaseMs, resendMs, watchdogMs: Math.min(60_000, resendMs) };
}
/** Questions per queue message (all of one thread, so the consumer reads its log once). */
export const PER_MESSAGE = 10;

/**
 * One eval: its spec, its questions and their answers, in its own SQLite. It never asks
 * the model itself; it sends its questions to the EVAL_QUEUE, whose consumers (Worker
 * invocations that Cloudflare scales out) lease, ask and record them here. A question is
 * leased before it is asked and answered at most once, so no question is asked twice
 * unless a consumer died holding it (then it is asked again once its lease runs out). The one alarm is a watchdog that resends
 * what looks lost; the state it acts on is in SQLite, so eviction and restarts lose nothing.
 */
export class EvalObject extends DurableObject<Env> {
  #store: EvalStore;
  #waiters: (() => void)[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new EvalStore(ctx.storage.sql);
  }

  /** Creates the eval (once; a repeat returns false) and sends its questions out. */
  async start(spec: EvalSpec, questions: readonly Question[]): Promise<boolean> {
    if (this.#store.spec()) return false;
    this.#store.create(spec, questions);
    await this.ctx.storage.setAlarm(Date.now() + timingsFrom(this.env).watchdogMs);
    await this.#send(questions.map((q, n) => ({ n, threadId: q.threadId })));
    return true;
  }

  /** A consumer takes the questions of a message that nobody holds or answered yet. */
  async lease(ns: readonly number[]): Promise<{ spec: EvalSpec; questions: QuestionRow[] } | null> {
    const spec = this.#store.spec();
    if (!spec) return null; // deleted, or never created
    const now = Date.now();
    return { spec, questions: this.#store.lease(ns, now, now + timingsFrom(this.env).leaseMs) };
  }

  async record(n: number, answer: Answer): Promise<boolean> {
    const row = this.#store.one(n);
    if (!row) return false;
    const recorded = this.#store.answer(n, answer, compare(row.question, answer).same);
    if (this.#finished()) this.#wake();
    return recorded;
  }

  async view(query: CasesQuery): Promise<EvalView | null> {
    const spec = this.#store.spec();
    if (!spec) return null;
    const rows = this.#store.all();
    const after = query.cursor !== undefined ? Number(query.cursor) : -1;
    const page = this.#store.page(after, query.limit + 1, query.only === "differing");
    const shown = page.slice(0, query.limit);
    const last = shown[shown.length - 1];
    return {
      ...this.#head(spec, rows),
      threads: spec.threads,
      steps: spec.steps,
      baseline: baselineVersions(rows),
      summary: summarize(
        rows.map((r) => r.question),
        new Map(rows.flatMap((r) => (r.answer ? [[r.n, r.answer] as const] : []))),
      ),
      cases: shown.flatMap((r) => (r.answer ? [caseView(r.question, r.answer)] : [])),
      ...(page.length > query.limit && last ? { next: String(last.n) } : {}),
    };
  }

  /** What a start with the same Idempotency-Key answers: the eval's size, status and request digest. */
  async started(): Promise<{ status: "running" | "done"; total: number; threads: number; request?: string } | null> {
    const spec = this.#store.spec();
    if (!spec) return null;
    const { total, done } = this.#store.counts();
    return { status: done === total ? "done" : "running", total, threads: spec.threads, ...(spec.request ? { request: spec.request } : {}) };
  }

  async listItem(): Promise<z.infer<typeof EvalListItem> | null> {
    const spec = this.#store.spec();
    if (!spec) return null;
    const rows = this.#store.all();
    const summary = summarize(
      rows.map((r) => r.question),
      new Map(rows.flatMap((r) => (r.answer ? [[r.n, r.answer] as const] : []))),
    );
    return { ...this.#head(spec, rows), agreement: summary.agreement };
  }

  /** Erases the eval; answers still in flight find nothing to record into. */
  async remove(): Promise<boolean> {
    if (!this.#store.spec()) return false;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // deleteAll drops the tables too; this instance may serve more calls (a late answer, a GET).
    this.#store = new EvalStore(this.ctx.storage.sql);
    this.#wake();
    return true;
  }

  /** Resolves once every question has an answer (tests, and callers that want to wait). */
  async settled(): Promise<void> {
    if (!this.#store.spec() || this.#finished()) return;
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Watchdog: resend questions whose message looks lost, and re-arm while any is open. */
  override async alarm(): Promise<void> {
    if (!this.#store.spec() || this.#finished()) return;
    const { resendMs, watchdogMs } = timingsFrom(this.env);
    await this.#send(this.#store.stale(Date.now(), resendMs));
    await this.ctx.storage.setAlarm(Date.now() + watchdogMs);
  }

  #finished(): boolean {
    const { total, done } = this.#store.counts();
    return done === total;
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  #head(spec: EvalSpec, rows: readonly QuestionRow[]) {
    const done = rows.filter((r) => r.answer).length;
    return {
      id: spec.id,
      agent: spec.agent,
      status: done === rows.length ? ("done" as const) : ("running" as const),
      createdAt: spec.createdAt,
      progress: { done, total: rows.length },
      candidate: spec.candidate,
    };
  }

  async #send(questions: readonly { n: number; threadId: string }[]): Promise<void> {
    const spec = this.#store.spec();
    if (!spec || questions.length === 0) return;
    const messages: { body: EvalMessage }[] = [];
    const byThread = new Map<string, number[]>();
    for (const q of questions) byThread.set(q.threadId, [...(byThread.get(q.threadId) ?? []), q.n]);
    for (const ns of byThread.values()) {
      for (let i = 0; i < ns.length; i += PER_MESSAGE) messages.push({ body: { evalId: spec.id, questions: ns.slice(i, i + PER_MESSAGE) } });
    }
    // sendBatch takes at most 100 messages per call.
    for (let i = 0; i < messages.length; i += 100) {
      await this.env.EVAL_QUEUE.sendBatch(messages.slice(i, i + 100));
      this.#store.markEnqueued(
        messages.slice(i, i + 100).flatMap((m) => m.body.questions),
        Date.now(),
      );
    }
  }
}

function baselineVersions(rows: readonly QuestionRow[]) {
  const versions = new Map<string, { variant: string; promptVersion: string; model: string; questions: number }>();
  for (const { question } of rows) {
    const { variant, promptVersion, model } = question.baseline;
    const key = `${variant}\n${promptVersion}\n${model}`;
    const entry = versions.get(key) ?? { variant, promptVersion, model, questions: 0 };
    entry.questions++;
    versions.set(key, entry);
  }
  return [...versions.values()];
}
