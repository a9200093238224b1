import { decodeSnapshot, encodeSnapshot, type Snapshot, type ThreadState } from "../../core";

/** A snapshot is written every this many events: a wake replays at most this many rows. */
export const SNAPSHOT_EVERY = 100;

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
  }

  /** The stored state if it is usable by this code, with the seq it covers. */
  load(): { readonly lastSeq: number; readonly state: ThreadState } | undefined {
    const row = this.sql.exec<{ version: string; last_seq: number; state: string }>("SELECT version, last_seq, state FROM snapshot WHERE id = 1").toArray()[0];
    if (!row) return undefined;
    const snapshot: Snapshot = { version: row.version, lastSeq: row.last_seq, state: row.state };
    const state = decodeSnapshot(snapshot);
    return state ? { lastSeq: snapshot.lastSeq, state } : undefined;
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
