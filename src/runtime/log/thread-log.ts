import { reduce, replay, type Event, type MaybeThread, type NewEvent } from "../../core";
import { EventStore, type Appended } from "./event-store";
import { MAX_WINDOW_CHARS, SNAPSHOT_EVERY, SnapshotStore } from "./snapshot-store";

/**
 * The log plus its reduced state. The state is a cache of `replay(log)`, advanced by the
 * same `reduce` on every append, so it equals a full replay by construction (invariant 1).
 *
 * A wake does not replay the whole log: every SNAPSHOT_EVERY events the state is written
 * to one overwritten row in the same synchronous write as the event that produced it
 * (so both commit or neither does), and a wake loads that row and replays only the
 * events after it. The row carries the reducer's version; a row from other reducer code
 * is ignored and the whole log replayed. Snapshot + tail equals full replay because
 * replay(a ++ b) = replay(b, replay(a)) and JSON round-trips the state exactly (both
 * property-tested in test/core/snapshot.test.ts).
 */
export class ThreadLog {
  readonly store: EventStore;
  readonly #snapshots: SnapshotStore;
  #state: MaybeThread;
  /** The next snapshot is due once the state reaches this seq. */
  #snapshotDue = SNAPSHOT_EVERY;

  constructor(sql: SqlStorage) {
    this.store = new EventStore(sql);
    this.#snapshots = new SnapshotStore(sql);
    const snapshot = this.#snapshots.load();
    // A snapshot past the end of the log cannot describe it (the log was replaced): ignore it.
    const usable = snapshot && snapshot.lastSeq <= this.store.lastSeq() ? snapshot : undefined;
    const from = usable?.lastSeq ?? 0;
    this.#snapshotDue = from + SNAPSHOT_EVERY;
    // The events after the snapshot become the in-memory tail, the window saved with it continues
    // the tail downwards when a context render first needs it (read then, not here).
    this.#state = replay(this.store.after(from, true), usable?.state);
    if (usable) this.store.useWindow(() => this.#snapshots.window(from));
    // A log written before snapshots existed (or by another reducer version) gets one now.
    this.#snapshotIfDue();
  }

  get state(): MaybeThread {
    return this.#state;
  }

  /** Appends (or finds the duplicate) and advances the state. No await inside: atomic. */
  append(event: NewEvent, at: string): Appended {
    const appended = this.store.append(event, at);
    if (!appended.duplicate) {
      this.#state = reduce(this.#state, appended.event);
      this.#snapshotIfDue();
    }
    return appended;
  }

  /** Test and audit helper: the state a fresh replay of the whole stored log gives. */
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

  #snapshotIfDue(): void {
    const state = this.#state;
    if (!state || state.lastSeq < this.#snapshotDue) return;
    // If it is too large to store, the older snapshot stays (still valid); retry N events later.
    if (this.#snapshots.save(state)) this.#snapshots.saveWindow(state.lastSeq, this.store.window(state.lastSeq, MAX_WINDOW_CHARS));
    this.#snapshotDue = state.lastSeq + SNAPSHOT_EVERY;
  }
}
