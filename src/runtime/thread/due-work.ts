import { nextDue, timers, wakeSecond, type RuntimeRetries, type RuntimeRetryKind, type TimerOptions } from "../../core";
import { logLine } from "../../log";
import type { ThreadLog } from "../log/thread-log";
import type { DuePart, RetryBook } from "./host";
import { TimerPayload, WakeTimer, type Scheduler } from "./timers";
import { setting } from "../../settings";

export type DueWorkHost = {
  /** Read at each use: the settings may change under a live object (tests do). */
  env(): Env;
  readonly log: ThreadLog;
  readonly now: () => number;
  /** The SDK's scheduler (the Agent itself). */
  readonly scheduler: Scheduler;
  /** The correlation id of the wake in progress, for its log line. */
  correlation(): string | undefined;
};

/**
 * The thread's timed work (invariant 9): the one wake-up (timers.ts), armed at the earliest
 * obligation the log and the runtime's own retries owe, and the timer handler, which hands
 * each due obligation to the part that owns its kind, in the order core/timers.ts lists
 * them. A new timer kind is a kind in core/timers.ts plus a part here that does it.
 */
export class DueWork {
  /** Retries of calls that failed on the wire, which the log cannot see (see core/timers.ts). */
  readonly #retries: RuntimeRetries = {};
  #wake: WakeTimer | undefined;
  readonly #book: RetryBook = {
    set: (kind, at) => {
      this.#retries[kind] = at;
    },
    clear: (kind) => {
      delete this.#retries[kind];
    },
  };

  constructor(
    private readonly host: DueWorkHost,
    /** The parts, in the order their start and settling run. */
    private readonly parts: () => readonly DuePart[],
  ) {}

  /** The thread's one wake-up, armed at the earliest timed obligation in the log. */
  get wake(): WakeTimer {
    this.#wake ??= new WakeTimer(this.host.scheduler, () => {
      const due = nextDue(timers(this.host.log.state, this.#retries, this.timerOptions()));
      return due === undefined ? undefined : wakeSecond(due);
    });
    return this.#wake;
  }

  /**
   * Runs on every start: each part resumes its owed work, and the one wake-up is re-armed
   * from the log, so an alarm that was lost or fired early heals here. Nothing here awaits
   * a schedule: scheduling waits for startup, and startup waits for this.
   */
  start(): void {
    for (const part of this.parts()) part.start?.();
    void this.wake.rearm();
  }

  /** A runtime-only retry is due at `at` (or no longer owed): the wake-up follows. */
  retryAt(kind: RuntimeRetryKind, at: number | undefined): void {
    if (this.#retries[kind] === at) return;
    if (at === undefined) delete this.#retries[kind];
    else this.#retries[kind] = at;
    void this.wake.rearm();
  }

  /**
   * The timer handler's work: everything the log says is due now, then re-arm from the
   * resulting state. An early wake does nothing but re-arm; a late or repeated one finds
   * the work done.
   */
  async fire(payload: unknown): Promise<void> {
    if (!TimerPayload.safeParse(payload).success) console.error("ignoring malformed timer payload", JSON.stringify(payload));
    else if ((await this.doDue()) === "erased") return; // the storage is gone, and so is every timer
    await this.wake.rearm();
  }

  /** Settings that add timed obligations: retention (THREAD_RETENTION_DAYS). */
  private timerOptions(): TimerOptions {
    const days = setting(this.host.env(), "THREAD_RETENTION_DAYS");
    return days === undefined ? {} : { retentionMs: days * 86_400_000 };
  }

  /** Everything due at this moment, each part re-checking the log itself. */
  private async doDue(): Promise<"erased" | undefined> {
    const state = this.host.log.state;
    const at = this.host.now();
    const due = timers(state, this.#retries, this.timerOptions()).filter((o) => o.dueAt <= at);
    if (due.length > 0 && state) logLine("wake", { correlationId: this.host.correlation(), threadId: state.id, agent: state.agent, due: due.map((o) => o.kind) });
    const parts = this.parts();
    for (const obligation of due) {
      const part = parts.find((p) => p.kinds.includes(obligation.kind));
      if ((await part?.due(obligation, at, this.#book)) === "erased") return "erased";
    }
    for (const part of parts) await part.settled?.();
    return undefined;
  }
}
