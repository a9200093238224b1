import type { EventSource, NewEvent, RuntimeRetryKind } from "../../core";
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
