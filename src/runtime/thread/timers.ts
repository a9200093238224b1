import { z } from "zod";

/**
 * The one timer payload. The thread keeps a single wake-up (`{type: "wake"}`); what it
 * does is read from the log, never from the payload (invariant 9). The per-kind payloads
 * of earlier versions may still sit in deployed objects' schedule tables: each one is
 * parsed as a plain wake, so an old row wakes the thread, which does whatever is due.
 */
export const LEGACY_TIMER_TYPES = [
  "human_deadline",
  "sync_index",
  "notify",
  "drive",
  "agent_deadline",
  "cancel_children",
  "report_to_parent",
  "launch_children",
] as const;

export const TimerPayload = z.object({ type: z.enum(["wake", ...LEGACY_TIMER_TYPES]) });
export type TimerPayload = z.infer<typeof TimerPayload>;

export const WAKE: { readonly type: "wake" } = { type: "wake" };

/** The part of the SDK's scheduler the wake-up uses. */
export type Scheduler = {
  schedule(when: Date, callback: "onTimer", payload: typeof WAKE, options: { idempotent: false }): Promise<{ readonly id: string }>;
  listSchedules(): Promise<readonly ScheduleRow[]> | readonly ScheduleRow[];
  cancelSchedule(id: string): Promise<unknown>;
};
export type ScheduleRow = { readonly id: string; readonly callback: string; readonly time: number };

/**
 * Keeps exactly one `onTimer` schedule armed at the earliest due time of the thread,
 * rounded up to the whole second (`target` returns that second, or undefined when nothing
 * is owed). Why it cannot lose a timer:
 *
 * - Never early: the SDK floors a Date to the second; a target rounded UP to the second is
 *   stored exactly, so the job runs at or after every deadline it is for.
 * - Never deduplicated onto a dying row: the SDK's `idempotent` option matches the row that
 *   is running now, which it deletes after the callback. We never use it. A re-arm keeps
 *   an existing row only if it is the single `onTimer` row at exactly the target second
 *   and has never fired in this instance; otherwise it cancels every other `onTimer` row
 *   and inserts a NEW row (new id), which the running row's deletion does not touch.
 * - Serialized: re-arms run one at a time, the latest request last, so an older
 *   computation never overwrites a newer one.
 * - Self-healing: every start, every wake and every append re-arms from the log, so an
 *   alarm that was lost, fired early or fired twice is replaced by the next re-arm.
 * - Cheap when nothing changed: most appends leave the due time where it was. A re-arm to
 *   the second this instance itself armed last, whose row has not started to fire, reads
 *   and writes nothing (the SDK's rows change only through this class or by firing, and
 *   a firing row is never trusted). A new instance knows nothing and reads the table.
 */
export class WakeTimer {
  /** Rows that have started to fire in this instance: the SDK deletes them when their callback returns. */
  readonly #fired = new Set<string>();
  /** What this instance last left armed (id undefined: nothing armed); undefined when unknown. */
  #armed: { readonly at: number | undefined; readonly id: string | undefined } | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly scheduler: Scheduler,
    /** The whole second to wake at, or undefined when nothing is owed. */
    private readonly target: () => number | undefined,
  ) {}

  /** A row is firing: never keep it as the armed wake-up. */
  firing(id: string | undefined): void {
    if (id) this.#fired.add(id);
    if (id === undefined || id === this.#armed?.id) this.#armed = undefined;
  }

  /** Re-arms from the current state; resolves once a re-arm that started after this call has finished. */
  rearm(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.loop();
    return this.#running;
  }

  /** Settles when no re-arm is running. */
  get settled(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.#again = false;
      try {
        await this.once();
      } catch (error) {
        this.#armed = undefined;
        // Storage gone (an aborted instance) or a scheduler error: the next start re-arms from the log.
        console.error("re-arming the wake-up failed", error);
      }
      // Checked and cleared in one synchronous step: a request that arrives later starts a new loop.
      if (!this.#again) {
        this.#running = undefined;
        return;
      }
    }
  }

  private async once(): Promise<void> {
    const at = this.target();
    const armed = this.#armed;
    if (armed && armed.at === at && (armed.id === undefined || !this.#fired.has(armed.id))) return;
    this.#armed = undefined;
    const rows = (await this.scheduler.listSchedules()).filter((row) => row.callback === "onTimer" && !this.#fired.has(row.id));
    const only = rows[0];
    if (at !== undefined && rows.length === 1 && only && only.time === at) {
      this.#armed = { at, id: only.id };
      return;
    }
    for (const row of rows) await this.scheduler.cancelSchedule(row.id);
    const row = at === undefined ? undefined : await this.scheduler.schedule(new Date(at * 1000), "onTimer", WAKE, { idempotent: false });
    this.#armed = { at, id: row?.id };
  }
}
