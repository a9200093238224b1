import { countsOf, NO_USAGE, type MaybeThread, type ThreadState } from "../../core";

// Per-variant stats (Factor 2) ride on the thread index: each thread pushes its counters
// with its summary, each shard aggregates its rows, and the Worker merges the shards.
// The thread's log is the truth; these columns are a copy pushed at every status change
// and at the end of every step loop run, so they are eventually consistent.

/** The columns a thread adds to its index summary. */
export function statsColumns(state: ThreadState) {
  const counts = countsOf(state);
  const usage = state.usage ?? NO_USAGE;
  return {
    variant: state.variant ?? null,
    steps: counts.steps,
    errors: counts.errors,
    escalations: counts.escalations,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    pending: pendingLine(state),
  };
}

/** The oldest open request as the threads list shows it: "approval deploy_backend", "input"; null when none. */
export function pendingLine(state: ThreadState): string | null {
  const first = state.pending[0];
  if (!first) return null;
  const more = state.pending.length > 1 ? ` (+${state.pending.length - 1})` : "";
  return `${first.kind}${first.call ? ` ${first.call.tool}` : ""}${more}`;
}

export function countsChanged(before: MaybeThread, after: ThreadState): boolean {
  if (!before) return true;
  const a = countsOf(before);
  const b = countsOf(after);
  const ua = before.usage ?? NO_USAGE;
  const ub = after.usage ?? NO_USAGE;
  return a.steps !== b.steps || a.errors !== b.errors || a.escalations !== b.escalations || ua.modelCalls !== ub.modelCalls;
}

const COLUMNS: readonly [name: string, definition: string][] = [
  ["variant", "TEXT"],
  ["steps", "INTEGER NOT NULL DEFAULT 0"],
  ["errors", "INTEGER NOT NULL DEFAULT 0"],
  ["escalations", "INTEGER NOT NULL DEFAULT 0"],
  ["prompt_tokens", "INTEGER NOT NULL DEFAULT 0"],
  ["completion_tokens", "INTEGER NOT NULL DEFAULT 0"],
  // The console's threads list (not a stat): the oldest open request, see pendingLine.
  ["pending", "TEXT"],
  // The console's list and search: the launch message's start, and the type of the newest event pushed.
  ["launch", "TEXT"],
  ["last_event", "TEXT"],
];

/**
 * Adds the stats columns to a shard created before they existed. Existing rows get zero
 * counts and no variant (reported as "default") until their thread pushes again.
 */
export function migrateStatsColumns(sql: SqlStorage): void {
  const have = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('threads')").toArray().map((r) => r.name));
  for (const [name, definition] of COLUMNS) {
    if (!have.has(name)) sql.exec(`ALTER TABLE threads ADD COLUMN ${name} ${definition}`);
  }
}

export type Outcomes = { done: number; failed: number; cancelled: number; open: number };
export type VariantTotals = { threads: number; steps: number; errors: number; escalations: number; outcomes: Outcomes };

const zero = (): VariantTotals => ({ threads: 0, steps: 0, errors: 0, escalations: 0, outcomes: { done: 0, failed: 0, cancelled: 0, open: 0 } });

type Row = { variant: string; status: string; threads: number; steps: number; errors: number; escalations: number };

/** One shard's totals per variant for an agent. */
export function shardVariantStats(sql: SqlStorage, agent: string): Record<string, VariantTotals> {
  const rows = sql
    .exec<Row>(
      `SELECT COALESCE(variant, 'default') AS variant, status, COUNT(*) AS threads,
         SUM(steps) AS steps, SUM(errors) AS errors, SUM(escalations) AS escalations
       FROM threads WHERE agent = ? GROUP BY 1, 2`,
      agent,
    )
    .toArray();
  const totals: Record<string, VariantTotals> = {};
  for (const row of rows) addRow((totals[row.variant] ??= zero()), row);
  return totals;
}

function addRow(t: VariantTotals, row: Omit<Row, "variant">): void {
  t.threads += row.threads;
  t.steps += row.steps;
  t.errors += row.errors;
  t.escalations += row.escalations;
  const outcome = row.status === "done" || row.status === "failed" || row.status === "cancelled" ? row.status : "open";
  t.outcomes[outcome] += row.threads;
}

/** Sums shard totals. */
export function mergeVariantStats(shards: readonly Record<string, VariantTotals>[]): Record<string, VariantTotals> {
  const merged: Record<string, VariantTotals> = {};
  for (const shard of shards) {
    for (const [variant, t] of Object.entries(shard)) {
      const m = (merged[variant] ??= zero());
      m.threads += t.threads;
      m.steps += t.steps;
      m.errors += t.errors;
      m.escalations += t.escalations;
      for (const k of ["done", "failed", "cancelled", "open"] as const) m.outcomes[k] += t.outcomes[k];
    }
  }
  return merged;
}

export { zero as emptyVariantTotals };

/** Token usage of one variant's threads (GET /v1/agents/{agent}/usage). */
export type UsageTotals = { threads: number; steps: number; promptTokens: number; completionTokens: number; totalTokens: number };
export type UsageWindow = { readonly from?: string; readonly to?: string };

/** One shard's token usage per variant for an agent's threads created in [from, to). */
export function shardUsage(sql: SqlStorage, agent: string, window: UsageWindow): Record<string, UsageTotals> {
  const where = ["agent = ?"];
  const params: string[] = [agent];
  if (window.from) {
    where.push("created_at >= ?");
    params.push(window.from);
  }
  if (window.to) {
    where.push("created_at < ?");
    params.push(window.to);
  }
  const rows = sql
    .exec<{ variant: string; threads: number; steps: number; prompt: number; completion: number }>(
      `SELECT COALESCE(variant, 'default') AS variant, COUNT(*) AS threads, SUM(steps) AS steps,
         SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion
       FROM threads WHERE ${where.join(" AND ")} GROUP BY 1`,
      ...params,
    )
    .toArray();
  const totals: Record<string, UsageTotals> = {};
  for (const r of rows) {
    totals[r.variant] = { threads: r.threads, steps: r.steps, promptTokens: r.prompt, completionTokens: r.completion, totalTokens: r.prompt + r.completion };
  }
  return totals;
}

/** Sums shard usage. */
export function mergeUsage(shards: readonly Record<string, UsageTotals>[]): Record<string, UsageTotals> {
  const merged: Record<string, UsageTotals> = {};
  for (const shard of shards) {
    for (const [variant, t] of Object.entries(shard)) {
      const m = (merged[variant] ??= { threads: 0, steps: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 });
      m.threads += t.threads;
      m.steps += t.steps;
      m.promptTokens += t.promptTokens;
      m.completionTokens += t.completionTokens;
      m.totalTokens += t.totalTokens;
    }
  }
  return merged;
}

/** All variants together: the agent's total. */
export function totalUsage(variants: Readonly<Record<string, UsageTotals>>): UsageTotals {
  return mergeUsage(Object.values(variants).map((v) => ({ total: v })))["total"] ?? { threads: 0, steps: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 };
}
