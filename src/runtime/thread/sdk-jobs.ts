/**
 * The Agent SDK's own job queue (`cf_agents_jobs`: its scheduler's and keep-alive's rows).
 * The thread schedules nothing there (it owns its alarm, wake-alarm.ts), so the queue is
 * empty for every thread this code armed; an object armed by an earlier version may still
 * hold an `onTimer` wake row or a keep-alive row, and an interrupted `destroy()` leaves the
 * SDK a destroy job. While the queue holds a row, the alarm also wakes at its time and the
 * SDK's own alarm handler drives it (each such row is one-shot), see thread-object.ts
 * `alarm()` and docs/agents-sdk.md.
 */
export class SdkJobs {
  #due: number | undefined;

  constructor(private readonly sql: SqlStorage) {
    this.refresh();
  }

  /** The earliest job's time (epoch ms) as last read, or undefined when the queue is empty. */
  get due(): number | undefined {
    return this.#due;
  }

  /** Reads the queue again (after this instance's start, and after the SDK's driver ran). */
  refresh(): void {
    try {
      this.#due = this.sql.exec<{ time: number | null }>("SELECT MIN(time) AS time FROM cf_agents_jobs").one().time ?? undefined;
    } catch {
      // No table: the SDK never created its queue here, so it holds nothing.
      this.#due = undefined;
    }
  }

  /**
   * After the SDK's driver ran: reads the queue again, and whether the thread's log still
   * exists (the driver may have run a pending destroy). Reads the schema, so only then.
   */
  afterDriver(): boolean {
    this.refresh();
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray().length > 0;
  }
}
