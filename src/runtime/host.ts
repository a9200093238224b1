import type { EventSource, NewEvent } from "../core";
import type { Appended } from "./event-store";
import type { ThreadLog } from "./thread-log";
import type { TimerControl } from "./timers";

/**
 * What the thread object lends the parts that do its work (effects, human requests,
 * delegation): passed in, never reached for.
 */
export type ThreadHost = TimerControl & {
  readonly env: Env;
  readonly log: ThreadLog;
  /** The clock, in epoch ms. */
  readonly now: () => number;
  append(event: NewEvent, source?: EventSource): Appended;
  /** Continues the step loop. */
  kick(): void;
};
