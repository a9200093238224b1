import { statusOf, type Event, type ThreadState } from "../../core";
import { indexShard, LAUNCH_TEXT_MAX } from "./thread-index";
import { statsColumns } from "./thread-index-stats";
import type { DecisionRow } from "./decision-rows";
import type { DuePart } from "../thread/host";

/** A new status other than running reaches the index within this many ms (at most one push per thread per interval). */
export const INDEX_PUSH_INTERVAL_MS = 1_000;
/**
 * Anything else the list shows (newest seq and event, age, counters, and a thread going
 * back to running) within this many ms. A thread that takes a message a second would
 * otherwise call its shard every second for a summary whose status did not change (issue
 * 31: a push per second per busy thread was a third of the cost of ingest).
 */
export const INDEX_TOUCH_INTERVAL_MS = 10_000;

/**
 * Pushes a thread's summary to its index shard, one push at a time and in order, and at
 * most once per INDEX_PUSH_INTERVAL_MS: a busy thread changes status and counters several
 * times per step, and each push is a call into another Durable Object. What a change is
 * worth decides how soon it goes: a new status that someone may be waiting to see
 * (waiting_for_human, paused, an end) within INDEX_PUSH_INTERVAL_MS, the rest within
 * INDEX_TOUCH_INTERVAL_MS. A change that cannot go yet marks the summary stale and asks
 * for one trailing push at the end of its interval (`later`, which the thread's one
 * wake-up honours); a more urgent change brings that push forward. `flush` (idle) pushes
 * a stale summary at once. A failed push asks for a retry the same way; the wake pushes
 * whatever the log says then.
 */
export class IndexSync {
  #pending: Promise<void> = Promise.resolve();
  #lastPushAt = Number.NEGATIVE_INFINITY;
  #stale = false;
  /** When the trailing push is owed (epoch ms), if one is. */
  #trailingAt: number | undefined;
  /** The status the shard was last sent (undefined: nothing sent by this instance). */
  #pushedStatus: string | undefined;
  /** The thread is being erased: no summary may be pushed after its removal. */
  #erased = false;
  /** The newest event this object appended; pushed only while it is the state's newest (after a restart the shard keeps what it has). */
  #newest: { readonly seq: number; readonly type: string } | undefined;
  /** The launch message's start, while this object knows it (the shard keeps it once stored). */
  #launch: string | undefined;

  constructor(
    private readonly env: Env,
    private readonly now: () => number,
    /** A push is owed at `at` (epoch ms), or no longer owed (undefined); the wake calls `push`. */
    private readonly later: (at: number | undefined) => void,
    /** The thread's decisions logged after a seq (the audit export's rows); absent: none are pushed. */
    private readonly decisions?: (afterSeq: number) => DecisionRow[],
  ) {}

  /** Decisions up to this seq have reached the index (in memory: after a restart all are pushed again, idempotently). */
  #decisionsThrough = 0;

  /** An event was appended: the list shows the newest one's type, and searches the launch message. */
  saw(event: Event): void {
    this.#newest = { seq: event.seq, type: event.type };
    if (event.type === "thread_launched") this.#launch = event.data.message.slice(0, LAUNCH_TEXT_MAX);
  }

  /** Resolves when every push so far has finished (or failed and armed its retry). */
  get settled(): Promise<void> {
    return this.#pending;
  }

  /** The summary changed: push now, or once the interval since the last push (as urgent as the change) is over. */
  changed(state: ThreadState): void {
    const status = statusOf(state);
    const urgent = status !== this.#pushedStatus && status !== "running";
    const due = this.#lastPushAt + (urgent ? INDEX_PUSH_INTERVAL_MS : INDEX_TOUCH_INTERVAL_MS);
    if (this.now() >= due) return this.push(state);
    this.#stale = true;
    if (this.#trailingAt !== undefined && this.#trailingAt <= due) return;
    this.#trailingAt = due;
    this.later(due);
  }

  /** The wake-up's part: a push that failed or was throttled is owed; it pushes what the log says then. */
  duePart(state: () => ThreadState | undefined): DuePart {
    return {
      kinds: ["sync_index"],
      due: (_obligation, _at, retries) => {
        retries.clear("sync_index");
        const now = state();
        if (now) this.push(now);
      },
      settled: () => this.settled,
    };
  }

  /** Pushes a summary that changed since the last push. */
  flush(state: ThreadState): void {
    if (this.#stale) this.push(state);
  }

  push(state: ThreadState): void {
    if (this.#erased) return;
    this.#lastPushAt = this.now();
    this.#stale = false;
    this.#trailingAt = undefined;
    this.later(undefined);
    const status = statusOf(state);
    this.#pushedStatus = status;
    const summary = {
      id: state.id,
      agent: state.agent,
      status,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      lastSeq: state.lastSeq,
      ...statsColumns(state),
      ...(this.#launch !== undefined ? { launch: this.#launch } : {}),
      ...(this.#newest?.seq === state.lastSeq ? { lastEvent: this.#newest.type } : {}),
    };
    this.#pending = this.#pending.then(async () => {
      try {
        // Read when the push runs, not when it was asked: a queued push carries everything logged by then.
        const rows = this.decisions?.(this.#decisionsThrough) ?? [];
        await indexShard(this.env, state.id).upsert(summary, rows);
        this.#decisionsThrough = Math.max(this.#decisionsThrough, ...rows.map((r) => r.seq));
      } catch (error) {
        console.error("thread index update failed; retrying in 10 s", error);
        this.#pushedStatus = undefined; // unknown to the shard: the next new status is urgent again
        this.#trailingAt = this.now() + 10_000;
        this.later(this.#trailingAt);
      }
    });
  }

  /** Removes the thread from its shard once every earlier push has landed, so none re-adds it. */
  async remove(threadId: string): Promise<void> {
    this.#erased = true;
    await this.#pending;
    await indexShard(this.env, threadId).remove(threadId);
  }
}
