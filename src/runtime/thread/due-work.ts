import { timers, type RuntimeRetries, type RuntimeRetryKind, type TimerOptions } from "../../core";
import { infoLines, logLine } from "../../log";
import type { ThreadLog } from "../log/thread-log";
import type { DuePart, RetryBook } from "./host";
import { TimerPayload, WAKE } from "./timers";
import { SdkJobs } from "./sdk-jobs";
import { WakeAlarm, type AlarmStorage } from "./wake-alarm";
import { setting } from "../../settings";

export type DueWorkHost = {
  /** Read at each use: the settings may change under a live object (tests do). */
  env(): Env;
  readonly log: ThreadLog;
  readonly now: () => number;
  /** The object's one alarm (ctx.storage): the thread owns it, not the SDK's scheduler. */
  readonly alarm: AlarmStorage;
  /** The object's SQLite, where the SDK keeps its own job queue (sdk-jobs.ts). */
  readonly sql: SqlStorage;
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
  #wake: WakeAlarm | undefined;
  #sdk: SdkJobs | undefined;
  /** Step loop runs in progress, and the heartbeat that keeps the object in memory while it is busy (wakeAt). */
  #runs = 0;
  #heartbeatAt: number | undefined;
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

  /** The thread's one wake-up, armed at the earliest timed obligation in the log (to the millisecond). */
  get wake(): WakeAlarm {
    this.#wake ??= new WakeAlarm(this.host.alarm, () => this.wakeAt());
    return this.#wake;
  }

  /**
   * When the alarm must next fire (epoch ms): the earliest obligation with a time, the SDK's
   * own job while its queue holds one, and the heartbeat while this instance is busy. Busy
   * means a step loop run is in progress or an obligation is owed "at once" (time 0: an
   * outbox item's first attempt, a report to the parent), which this instance does right
   * after the append that created it; the alarm need not fire for it, only keep the object
   * in memory and be the deadman should the instance die first: an instance that dies is
   * woken within HEARTBEAT_MS, and its start resumes the work from the log. The heartbeat
   * stays put while it lies ahead, so a busy step writes the alarm once, not per append.
   * An obligation whose time has passed keeps that time: the alarm fires at once for it.
   * A human's deadline is woken for WARM_UP_MS early (see warmAt).
   */
  wakeAt(): number | undefined {
    const now = this.host.now();
    let next: number | undefined;
    let atOnce = false;
    for (const o of timers(this.host.log.state, this.#retries, this.timerOptions())) {
      if (o.dueAt <= 0) atOnce = true;
      else next = earliest(next, o.kind === "human_deadline" ? warmAt(o.dueAt, now) : o.dueAt);
    }
    if (this.#runs === 0 && !atOnce) this.#heartbeatAt = undefined;
    else if (this.#heartbeatAt === undefined || this.#heartbeatAt <= now) this.#heartbeatAt = now + HEARTBEAT_MS;
    return earliest(earliest(next, this.#heartbeatAt), this.#sdk?.due);
  }

  /**
   * Keeps the object in memory while `work` runs (a step loop run: a model call may take
   * minutes), as the SDK's keepAlive did, without its job rows: the run makes the instance
   * busy, so the alarm is a heartbeat HEARTBEAT_MS away (see wakeAt), and each heartbeat
   * moves it on while the run lasts; the end of the run re-arms from the log.
   */
  async keepAliveWhile(work: () => Promise<void>): Promise<void> {
    this.#runs++;
    void this.wake.rearm();
    try {
      await work();
    } finally {
      this.#runs--;
      void this.wake.rearm();
    }
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

  /** The SDK's own job queue, read when this instance started (sdk-jobs.ts): its earliest job, if any. */
  get sdk(): SdkJobs {
    this.#sdk ??= new SdkJobs(this.host.sql);
    return this.#sdk;
  }

  /**
   * This instance has started (its first RPC or alarm). The SDK's own start re-arms the
   * alarm from its queue when that start changed the queue (it drops a keep-alive row an
   * older version left), after start() above armed ours: so check ours once more.
   */
  started(): void {
    if (this.#sdk) return;
    this.#sdk = new SdkJobs(this.host.sql);
    if (!this.host.log.state) return;
    this.wake.forget();
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
  async fire(payload: unknown = WAKE): Promise<void> {
    // The platform cleared the alarm as it fired it (or the SDK's driver ran and may have written it).
    this.wake.forget();
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
    if (due.length > 0 && state && infoLines(this.host.env())) logLine("wake", { correlationId: this.host.correlation(), threadId: state.id, agent: state.agent, due: due.map((o) => o.kind) });
    const parts = this.parts();
    for (const obligation of due) {
      const part = parts.find((p) => p.kinds.includes(obligation.kind));
      if ((await part?.due(obligation, at, this.#book)) === "erased") return "erased";
    }
    for (const part of parts) await part.settled?.();
    return undefined;
  }
}

/**
 * While the instance is busy, the alarm fires at least this often: an object is evicted
 * after 70-140 s without an event (the SDK's keepAlive heartbeat is 30 s, for the same reason).
 */
export const HEARTBEAT_MS = 30_000;

/**
 * A waiting thread has usually been evicted by its deadline, and starting it (the SDK's
 * set-up, the snapshot, the replay after it) is most of the work of a timeout. So the alarm
 * for a human's deadline fires this long before it: that wake finds nothing due (a wake
 * never does work early) and re-arms at the deadline itself, now `now` is past the warm-up,
 * on an instance that is in memory when it comes. One more alarm per deadline, in exchange
 * for a timeout that is late only by its own few milliseconds (docs/timers.md).
 */
export const WARM_UP_MS = 1_000;

/** When to wake for a deadline at `dueAt`: WARM_UP_MS early, unless that moment has come. */
export function warmAt(dueAt: number, now: number): number {
  return now < dueAt - WARM_UP_MS ? dueAt - WARM_UP_MS : dueAt;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
