import { reduce, replay, type Event, type MaybeThread, type NewEvent } from "../core";
import { EventStore, type Appended } from "./event-store";

/**
 * The log plus its reduced state. The state is a cache of `replay(log)`, rebuilt
 * from the log on every wake and advanced by the same `reduce` on every append, so
 * it is equal to a full replay by construction (invariant 1).
 */
export class ThreadLog {
  readonly store: EventStore;
  #state: MaybeThread;

  constructor(sql: SqlStorage) {
    this.store = new EventStore(sql);
    this.#state = replay(this.store.all());
  }

  get state(): MaybeThread {
    return this.#state;
  }

  /** Appends (or finds the duplicate) and advances the state. No await inside: atomic. */
  append(event: NewEvent, at: string): Appended {
    const appended = this.store.append(event, at);
    if (!appended.duplicate) this.#state = reduce(this.#state, appended.event);
    return appended;
  }

  /** Test and audit helper: the state a fresh replay of the stored log gives. */
  replayed(): MaybeThread {
    return replay(this.store.all());
  }

  /** Fills an empty log with a copy of another log's prefix (a fork). No await inside: atomic. */
  copyIn(events: readonly Event[]): void {
    if (this.store.lastSeq() !== 0) throw new Error("copyIn() needs an empty log");
    for (const event of events) {
      this.store.insertCopy(event);
      this.#state = reduce(this.#state, event);
    }
  }

  events(after: number, limit: number): Event[] {
    return this.store.page(after, limit);
  }
}
