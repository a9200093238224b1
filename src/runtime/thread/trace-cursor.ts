/**
 * The trace export's whole storage: ONE row, overwritten (invariant 8 and issue 31: no row
 * per span, no row per step). `cursor` is the seq up to which every span that ended has
 * been acknowledged by the collector; `retryAt` and `failures` carry the backoff across
 * restarts. The table exists only once an export was configured and owed something.
 */
export type TraceCursorRow = { readonly cursor: number; readonly failures: number; readonly retryAt?: number };

export class TraceCursor {
  #created = false;

  constructor(private readonly sql: SqlStorage) {}

  read(): TraceCursorRow | undefined {
    this.create();
    const row = this.sql.exec<{ cursor: number; failures: number; retry_at: number | null }>("SELECT cursor, failures, retry_at FROM trace_export WHERE id = 1").toArray()[0];
    return row ? { cursor: row.cursor, failures: row.failures, ...(row.retry_at !== null ? { retryAt: row.retry_at } : {}) } : undefined;
  }

  write(row: TraceCursorRow): void {
    this.create();
    this.sql.exec(
      "INSERT INTO trace_export (id, cursor, failures, retry_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, failures = excluded.failures, retry_at = excluded.retry_at",
      row.cursor,
      row.failures,
      row.retryAt ?? null,
    );
  }

  private create(): void {
    if (this.#created) return;
    this.sql.exec("CREATE TABLE IF NOT EXISTS trace_export (id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL, failures INTEGER NOT NULL, retry_at INTEGER)");
    this.#created = true;
  }
}
