import { decodeSnapshot, encodeSnapshot, Event, type Snapshot, type ThreadState } from "../../core";

/**
 * A snapshot is written every this many events: a wake replays fewer rows than this. Small
 * enough that a cold instance of a long thread reads about as many rows as one of a short
 * thread (issue 31: finishing a run at 10,000 events within 1.5x of at 10); each snapshot is
 * two rows written (the state and the window), under 0.1 per event.
 */
export const SNAPSHOT_EVERY = 25;

/** The window snapshot keeps at most this many characters of event JSON (rows are capped at 2 MB). */
export const MAX_WINDOW_CHARS = 1024 * 1024;

/**
 * Far below the 2 MB row cap (invariant 8). The state keeps only open work (pending
 * requests, active calls, the outbox), so it stays a few KiB; if it ever grew past this,
 * no new snapshot is written and a wake replays from the last one that fit (or from the
 * start): slower, never wrong.
 */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024;

/** The one snapshot row of a thread: overwritten in place, so storage does not grow with it. */
export class SnapshotStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS snapshot (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      version TEXT NOT NULL,
      last_seq INTEGER NOT NULL,
      state TEXT NOT NULL
    )`);
    // The newest events as of the snapshot (what the in-memory tail held), oldest first: a cold
    // instance's first context render reads this one row, not a page per 64 events (event-store.ts).
    sql.exec(`CREATE TABLE IF NOT EXISTS snapshot_window (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      last_seq INTEGER NOT NULL,
      events TEXT NOT NULL
    )`);
  }

  /** The stored state if it is usable by this code, with the seq it covers. */
  load(): { readonly lastSeq: number; readonly state: ThreadState } | undefined {
    const row = this.sql.exec<{ version: string; last_seq: number; state: string }>("SELECT version, last_seq, state FROM snapshot WHERE id = 1").toArray()[0];
    if (!row) return undefined;
    const snapshot: Snapshot = { version: row.version, lastSeq: row.last_seq, state: row.state };
    const state = decodeSnapshot(snapshot);
    return state ? { lastSeq: snapshot.lastSeq, state } : undefined;
  }

  /** The window saved with the snapshot of `lastSeq`, oldest first; empty if there is none for that seq or it does not parse. */
  window(lastSeq: number): Event[] {
    const row = this.sql.exec<{ last_seq: number; events: string }>("SELECT last_seq, events FROM snapshot_window WHERE id = 1").toArray()[0];
    if (!row || row.last_seq !== lastSeq) return [];
    // Our own row, but parsed like every stored event: a row that does not match the schema is ignored.
    const parsed = Event.array().safeParse(JSON.parse(row.events));
    const events = parsed.success ? parsed.data : [];
    return events.at(-1)?.seq === lastSeq ? events : [];
  }

  /** Overwrites the window row (the newest events as of `lastSeq`, oldest first). */
  saveWindow(lastSeq: number, events: readonly Event[]): void {
    this.sql.exec("INSERT OR REPLACE INTO snapshot_window (id, last_seq, events) VALUES (1, ?, ?)", lastSeq, JSON.stringify(events));
  }

  /** Overwrites the row; returns false (and keeps the older, still valid row) if the state is too large. */
  save(state: ThreadState): boolean {
    const snapshot = encodeSnapshot(state);
    if (snapshot.state.length > MAX_SNAPSHOT_BYTES) return false;
    this.sql.exec(
      "INSERT OR REPLACE INTO snapshot (id, version, last_seq, state) VALUES (1, ?, ?, ?)",
      snapshot.version,
      snapshot.lastSeq,
      snapshot.state,
    );
    return true;
  }
}
