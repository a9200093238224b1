import { DecisionRow } from "./decision-rows";

// The decisions table of one index shard (the audit export, GET /v1/decisions): rows pushed
// by each thread with its summary, read newest first through an index, so a page costs the
// same however many decisions the shard holds (bench/: 10,000 decisions).

export type DecisionQuery = {
  readonly agent?: string;
  /** Inclusive lower bound on `at` (ISO-8601). */
  readonly since?: string;
  /** Exclusive upper bound on `at`. */
  readonly until?: string;
  /** Exclusive: rows strictly older than this position (newest first). */
  readonly before?: DecisionCursor;
  readonly limit: number;
};

export type DecisionCursor = { readonly at: string; readonly threadId: string; readonly seq: number };

export function migrateDecisions(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS decisions (
    thread_id TEXT NOT NULL, seq INTEGER NOT NULL, agent TEXT NOT NULL, at TEXT NOT NULL, row TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq))`);
  sql.exec("CREATE INDEX IF NOT EXISTS decisions_newest ON decisions (at DESC, thread_id DESC, seq DESC)");
  sql.exec("CREATE INDEX IF NOT EXISTS decisions_agent_newest ON decisions (agent, at DESC, thread_id DESC, seq DESC)");
}

/** Idempotent: a re-push (after a restart, or a retry) writes the same row again. */
export function writeDecisions(sql: SqlStorage, rows: readonly DecisionRow[]): void {
  for (const raw of rows) {
    const row = DecisionRow.parse(raw);
    sql.exec("INSERT OR REPLACE INTO decisions (thread_id, seq, agent, at, row) VALUES (?, ?, ?, ?, ?)", row.threadId, row.seq, row.agent, row.at, JSON.stringify(row));
  }
}

export function removeDecisions(sql: SqlStorage, threadId: string): void {
  sql.exec("DELETE FROM decisions WHERE thread_id = ?", threadId);
}

export function readDecisions(sql: SqlStorage, query: DecisionQuery): DecisionRow[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.agent) {
    where.push("agent = ?");
    params.push(query.agent);
  }
  if (query.since) {
    where.push("at >= ?");
    params.push(query.since);
  }
  if (query.until) {
    where.push("at < ?");
    params.push(query.until);
  }
  if (query.before) {
    const b = query.before;
    where.push("(at < ? OR (at = ? AND (thread_id < ? OR (thread_id = ? AND seq < ?))))");
    params.push(b.at, b.at, b.threadId, b.threadId, b.seq);
  }
  const sqlText = `SELECT row FROM decisions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, thread_id DESC, seq DESC LIMIT ?`;
  return sql
    .exec<{ row: string }>(sqlText, ...params, query.limit)
    .toArray()
    .map((r) => DecisionRow.parse(JSON.parse(r.row)));
}

/** Newest first: at, then thread id, then seq, all descending. */
export function newerFirst(a: DecisionRow, b: DecisionRow): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  if (a.threadId !== b.threadId) return a.threadId < b.threadId ? 1 : -1;
  return b.seq - a.seq;
}
