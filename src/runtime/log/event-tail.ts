import type { Event } from "../../core";

/**
 * At most this many of the newest events stay in memory (the context reads at most 1,000,
 * DEFAULT_LIMITS.maxEvents in src/core/context.ts)...
 */
export const TAIL_EVENTS = 1024;
/** ...and at most this many characters of their data (one large tool result must not pin memory). */
export const TAIL_CHARS = 2 * 1024 * 1024;

/**
 * The newest events of the log, parsed, in memory: every step renders its context from the
 * newest events backwards, and reading and re-parsing the same rows from SQLite each step
 * cost more than the rest of the step. Holds one contiguous run ending at the newest event
 * (the log is append-only, so a cached event never changes); appends extend it at the new
 * end, reads extend it at the old end, and the oldest fall out past the bounds.
 */
export class EventTail {
  /** Oldest first; `events[i].seq === events[0].seq + i`, and the last is the newest in the log. */
  #events: Event[] = [];
  #sizes: number[] = [];
  #chars = 0;

  /** The cached run, newest first, lazily: a render that stops early copies nothing. */
  *newestFirst(): Generator<Event> {
    for (let i = this.#events.length - 1; i >= 0; i--) yield this.#events[i] as Event;
  }

  /** The seq below which the cache knows nothing (the oldest cached seq, or Infinity when empty). */
  get oldest(): number {
    return this.#events[0]?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** The newest cached seq (undefined when empty). */
  get newest(): number | undefined {
    return this.#events.at(-1)?.seq;
  }

  /** A new event was appended (it is the newest). */
  appended(event: Event, chars: number): void {
    const last = this.#events.at(-1);
    if (last && last.seq !== event.seq - 1) this.clear();
    this.#events.push(event);
    this.#sizes.push(chars);
    this.#chars += chars;
    while (this.#events.length > TAIL_EVENTS || (this.#chars > TAIL_CHARS && this.#events.length > 1)) {
      this.#events.shift();
      this.#chars -= this.#sizes.shift() ?? 0;
    }
  }

  /** An event read from storage just below the cached run (or the newest, when empty): kept if it fits. */
  readBelow(event: Event, chars: number): void {
    const oldest = this.#events[0];
    if (oldest && oldest.seq !== event.seq + 1) return;
    if (this.#events.length >= TAIL_EVENTS || this.#chars + chars > TAIL_CHARS) return;
    this.#events.unshift(event);
    this.#sizes.unshift(chars);
    this.#chars += chars;
  }

  /** The cached run, oldest first, cut to its newest `maxChars` characters of data (a window snapshot, snapshot-store.ts). */
  run(maxChars: number): Event[] {
    let chars = 0;
    let from = this.#events.length;
    while (from > 0 && chars + (this.#sizes[from - 1] ?? 0) <= maxChars) chars += this.#sizes[--from] ?? 0;
    return this.#events.slice(from);
  }

  clear(): void {
    this.#events = [];
    this.#sizes = [];
    this.#chars = 0;
  }
}
