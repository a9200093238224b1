import type { EventSource, NewEvent, Obligation, RuntimeRetryKind } from "../../core";
import type { Appended } from "../log/event-store";
import type { ThreadLog } from "../log/thread-log";

/**
 * What the thread object lends the parts that do its work (effects, human requests,
 * delegation): passed in, never reached for.
 */
export type ThreadHost = {
  readonly env: Env;
  readonly log: ThreadLog;
  /** The clock, in epoch ms. */
  readonly now: () => number;
  append(event: NewEvent, source?: EventSource): Appended;
  /** Continues the step loop. */
  kick(): void;
  /**
   * A call into another object failed on the wire (the log cannot see it): try again at
   * `at` (epoch ms), or `undefined` once nothing is owed. The one wake-up is re-armed.
   */
  retryAt(kind: RuntimeRetryKind, at: number | undefined): void;
};

/** The runtime-only retries a wake may set or clear while it runs (it re-arms once at its end). */
export type RetryBook = {
  set(kind: RuntimeRetryKind, at: number): void;
  clear(kind: RuntimeRetryKind): void;
};

/**
 * One part of the thread as the timer handler sees it (due-work.ts): the obligation kinds
 * it does when they are due (core/timers.ts), what it resumes on every start, and the
 * background work a wake waits for before it re-arms.
 */
export type DuePart = {
  readonly kinds: readonly Obligation["kind"][];
  /** Does one due obligation; "erased" when the thread's storage is gone. */
  due(obligation: Obligation, at: number, retries: RetryBook): Promise<"erased" | void> | void;
  /** On every start (after eviction, restart or deploy): resume owed work. */
  start?(): void;
  /** Resolves when this part's background work has settled. */
  settled?(): Promise<void> | undefined;
};
