import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  mergeUsage,
  mergeVariantStats,
  migrateStatsColumns,
  shardUsage,
  shardVariantStats,
  type UsageTotals,
  type UsageWindow,
  type VariantTotals,
} from "./thread-index-stats";
import { setting } from "../../settings";
import { DecisionRow } from "./decision-rows";
import { migrateDecisions, newerFirst, readDecisions, removeDecisions, writeDecisions, type DecisionCursor, type DecisionQuery } from "./thread-index-decisions";

/** How much of a launch message the index keeps: enough to recognise and search a thread by. */
export const LAUNCH_TEXT_MAX = 200;

export const ThreadSummary = z.object({
  id: z.string(),
  agent: z.string(),
  status: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastSeq: z.number().int(),
  // Variant stats columns (thread-index-stats.ts); optional so an older caller still parses.
  variant: z.string().nullable().optional(),
  steps: z.number().int().nonnegative().optional(),
  errors: z.number().int().nonnegative().optional(),
  escalations: z.number().int().nonnegative().optional(),
  promptTokens: z.number().int().nonnegative().optional(),
  completionTokens: z.number().int().nonnegative().optional(),
  /** The oldest open request ("approval deploy_backend"), for the console's list. */
  pending: z.string().max(200).nullable().optional(),
  /** The start of the launch message, for the console's search (sent while the thread knows it; kept once stored). */
  launch: z.string().max(LAUNCH_TEXT_MAX).nullable().optional(),
  /** The type of the event at lastSeq ("human_requested"), for the console's list; null when the pusher did not see it (after a restart) rather than an older event's type. */
  lastEvent: z.string().max(40).nullable().optional(),
});
export type ThreadSummary = z.infer<typeof ThreadSummary>;

type Row = {
  id: string;
  agent: string;
  status: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  pending: string | null;
  launch: string | null;
  last_event: string | null;
};

export type ListQuery = {
  readonly agent?: string;
  readonly status?: string;
  /** The console's search: threads whose id starts with this, or whose launch message contains it (any case). */
  readonly search?: string;
  /** Add each row's oldest open request, launch text and last event (the console's list; the API's rows stay as documented). */
  readonly withPending?: boolean;
  /** Exclusive: return threads strictly older than this position. */
  readonly before?: { readonly createdAt: string; readonly id: string };
  readonly limit: number;
};

/**
 * One shard of the thread index behind `GET /v1/threads`. Threads are spread over
 * INDEX_SHARDS shards by id, so neither storage nor write load sits in one object.
 * Each thread pushes its own summary here; a stale push never overwrites a newer one.
 */
export class ThreadIndex extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS threads (
      id TEXT PRIMARY KEY, agent TEXT NOT NULL, status TEXT NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_seq INTEGER NOT NULL)`);
    ctx.storage.sql.exec("CREATE INDEX IF NOT EXISTS threads_newest ON threads (created_at DESC, id DESC)");
    migrateStatsColumns(ctx.storage.sql);
    migrateDecisions(ctx.storage.sql);
  }

  /** The thread's summary, and its decisions logged since its last push (the audit export). */
  upsert(summary: ThreadSummary, decisions: readonly DecisionRow[] = []): void {
    const s = ThreadSummary.parse(summary);
    writeDecisions(this.ctx.storage.sql, decisions);
    this.ctx.storage.sql.exec(
      `INSERT INTO threads (id, agent, status, created_at, updated_at, last_seq, variant, steps, errors, escalations, prompt_tokens, completion_tokens, pending, launch, last_event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, last_seq = excluded.last_seq,
         variant = excluded.variant, steps = excluded.steps, errors = excluded.errors, escalations = excluded.escalations,
         prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, pending = excluded.pending,
         launch = COALESCE(excluded.launch, threads.launch),
         last_event = CASE WHEN excluded.last_event IS NOT NULL THEN excluded.last_event
           WHEN excluded.last_seq = threads.last_seq THEN threads.last_event END
       WHERE excluded.last_seq >= threads.last_seq`,
      s.id,
      s.agent,
      s.status,
      s.createdAt,
      s.updatedAt,
      s.lastSeq,
      s.variant ?? null,
      s.steps ?? 0,
      s.errors ?? 0,
      s.escalations ?? 0,
      s.promptTokens ?? 0,
      s.completionTokens ?? 0,
      s.pending ?? null,
      s.launch ?? null,
      s.lastEvent ?? null,
    );
  }

  /** Forgets a thread (DELETE /v1/threads/{id}, retention). */
  remove(id: string): void {
    this.ctx.storage.sql.exec("DELETE FROM threads WHERE id = ?", id);
    removeDecisions(this.ctx.storage.sql, id);
  }

  /** This shard's decisions, newest first (GET /v1/decisions). */
  decisions(query: DecisionQuery): DecisionRow[] {
    return readDecisions(this.ctx.storage.sql, query);
  }

  /** This shard's token usage per variant for one agent. */
  usage(agent: string, window: UsageWindow): Record<string, UsageTotals> {
    return shardUsage(this.ctx.storage.sql, agent, window);
  }

  /** This shard's per-variant totals for one agent. */
  variantStats(agent: string): Record<string, VariantTotals> {
    return shardVariantStats(this.ctx.storage.sql, agent);
  }

  list(query: ListQuery): ThreadSummary[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.agent) {
      where.push("agent = ?");
      params.push(query.agent);
    }
    if (query.status) {
      where.push("status = ?");
      params.push(query.status);
    }
    if (query.search) {
      // substr/instr, not LIKE: the user's % and _ mean themselves. Text search scans the shard's
      // rows (no full-text index): fine for a console page, not for an API (docs/console.md).
      where.push("(substr(id, 1, ?) = ? OR instr(lower(launch), ?) > 0)");
      params.push(query.search.length, query.search, query.search.toLowerCase());
    }
    if (query.before) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      params.push(query.before.createdAt, query.before.createdAt, query.before.id);
    }
    const sql = `SELECT * FROM threads ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.ctx.storage.sql
      .exec<Row>(sql, ...params, query.limit)
      .toArray()
      .map((r) => ({
        id: r.id,
        agent: r.agent,
        status: r.status,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        lastSeq: r.last_seq,
        ...(query.withPending ? { pending: r.pending, launch: r.launch, lastEvent: r.last_event } : {}),
      }));
  }

  /** This shard's threads per status, for one agent or all. */
  statusCounts(agent?: string): Record<string, number> {
    const rows = this.ctx.storage.sql
      .exec<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM threads ${agent ? "WHERE agent = ?" : ""} GROUP BY status`, ...(agent ? [agent] : []))
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}

export function shardCount(env: Pick<Env, "INDEX_SHARDS">): number {
  return setting(env, "INDEX_SHARDS");
}

/** FNV-1a: a stable, cheap hash so a thread always lands on the same shard. */
export function shardOf(threadId: string, shards: number): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < threadId.length; i++) {
    hash ^= threadId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `shard-${hash % shards}`;
}

export function indexShard(env: Env, threadId: string) {
  return env.THREAD_INDEX.getByName(shardOf(threadId, shardCount(env)));
}

/** Newest first across all shards: each shard returns its newest page, then we merge. */
export async function listThreads(env: Env, query: ListQuery): Promise<{ threads: ThreadSummary[]; next?: ListQuery["before"] }> {
  const shards = shardCount(env);
  const pages = await Promise.all(
    Array.from({ length: shards }, (_, i) => env.THREAD_INDEX.getByName(`shard-${i}`).list({ ...query, limit: query.limit + 1 })),
  );
  const merged = pages
    .flat()
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
  const threads = merged.slice(0, query.limit);
  const last = threads[threads.length - 1];
  return merged.length > query.limit && last ? { threads, next: { createdAt: last.createdAt, id: last.id } } : { threads };
}

/** Threads per status across all shards (for one agent, or all). */
export async function statusCounts(env: Env, agent?: string): Promise<Record<string, number>> {
  const shards = await Promise.all(Array.from({ length: shardCount(env) }, (_, i) => env.THREAD_INDEX.getByName(`shard-${i}`).statusCounts(agent)));
  const out: Record<string, number> = {};
  for (const shard of shards) for (const [status, n] of Object.entries(shard)) out[status] = (out[status] ?? 0) + n;
  return out;
}

/** Per-variant totals for an agent across all shards (eventually consistent, see thread-index-stats.ts). */
export async function variantStats(env: Env, agent: string): Promise<Record<string, VariantTotals>> {
  const shards = shardCount(env);
  return mergeVariantStats(await Promise.all(Array.from({ length: shards }, (_, i) => env.THREAD_INDEX.getByName(`shard-${i}`).variantStats(agent))));
}

/** Token usage per variant for an agent's threads created in the window, across all shards (eventually consistent). */
export async function usageTotals(env: Env, agent: string, window: UsageWindow): Promise<Record<string, UsageTotals>> {
  const shards = shardCount(env);
  return mergeUsage(await Promise.all(Array.from({ length: shards }, (_, i) => env.THREAD_INDEX.getByName(`shard-${i}`).usage(agent, window))));
}

/** Decisions newest first across all shards: each shard returns its newest page, then we merge (as listThreads). */
export async function listDecisions(env: Env, query: DecisionQuery): Promise<{ decisions: DecisionRow[]; next?: DecisionCursor }> {
  // Parsed again: RPC's types cannot carry the rows' open-ended argument objects.
  const pages = await Promise.all(
    Array.from({ length: shardCount(env) }, async (_, i) => DecisionRow.array().parse(await env.THREAD_INDEX.getByName(`shard-${i}`).decisions({ ...query, limit: query.limit + 1 }))),
  );
  const merged = pages.flat().sort(newerFirst);
  const decisions = merged.slice(0, query.limit);
  const last = decisions[decisions.length - 1];
  return merged.length > query.limit && last ? { decisions, next: { at: last.at, threadId: last.threadId, seq: last.seq } } : { decisions };
}
