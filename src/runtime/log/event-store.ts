import { Event, EventBody, EventStamp, type EventSource, type NewEvent } from "../../core";
import { EventTail } from "./event-tail";

/** Durable Object SQLite rows are capped at 2 MB; we stay far below (invariant 8). */
export const MAX_EVENT_BYTES = 512 * 1024;

export type Appended = { readonly event: Event; readonly duplicate: boolean };

type Row = { seq: number; type: string; data: string; at: string; key: string | null; source: string | null };

/**
 * The append-only event log of one thread, in the object's own SQLite. One row per
 * event: storage grows linearly with the log, never with its square.
 */
export class EventStore {
  readonly #tail = new EventTail();
  /** Older events from the window snapshot, read only if a render reaches below the tail (see `useWindow`). */
  #window: (() => Event[]) | undefined;
  /** The launch: the first event never changes, and every step's context starts with it. */
  #first: Event | undefined;
  /** Every human answer and timeout, once read (see answersBefore). */
  #answers: Event[] | undefined;
  /** Pinned events read by seq (see bySeq): immutable once written. */
  readonly #pinned = new Map<number, Event>();

  constructor(private readonly sql: SqlStorage) {
    // Rows billed per append (issue 31): a plain INTEGER PRIMARY KEY (the seq is the rowid:
    // no AUTOINCREMENT counter row to rewrite; events are never deleted one by one, so the
    // next seq is always the last + 1) and a partial unique index on the key, which an event
    // without a key does not touch. A log created before keeps its columns (`key TEXT UNIQUE`,
    // AUTOINCREMENT: three rows per append) and must not get a second key index besides, so
    // the key index is created only with the table (both in one synchronous write). Asking
    // sqlite_master instead would read every schema row on every start.
    try {
      sql.exec(`CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        at TEXT NOT NULL,
        key TEXT,
        source TEXT
      )`);
      sql.exec(KEY_INDEX);
    } catch (error) {
      if (!/already exists/i.test(String(error))) throw error;
    }
    // Partial indexes, so no question a thread asks reads its whole log (issue 15). SQLite
    // writes them in the same transaction as the event, so they cannot drift from it, and
    // only for the few events they cover. Created on first start of an older thread, they are
    // built from its log once (one scan in the object's life), not per operation.
    for (const index of INDEXES) sql.exec(index);
  }

  /**
   * Appends unless an event with the same idempotency key exists, in which case the
   * original is returned and nothing is written (invariant 4). Synchronous: no other
   * request can interleave between the check and the insert.
   */
  append(event: NewEvent, at: string): Appended {
    if (event.key !== undefined) {
      const existing = this.byKey(event.key);
      if (existing) return { event: existing, duplicate: true };
    }
    const body = EventBody.parse({ type: event.type, data: event.data });
    // The stamp is checked before the insert, so a bad key or source writes nothing.
    EventStamp.parse({ seq: 1, at, ...(event.key !== undefined ? { key: event.key } : {}), ...(event.source ? { source: event.source } : {}) });
    const data = JSON.stringify(body.data);
    if (data.length > MAX_EVENT_BYTES) {
      throw new Error(`event ${event.type} is ${data.length} bytes; the limit is ${MAX_EVENT_BYTES}`);
    }
    const source = event.source ? JSON.stringify(event.source) : null;
    const row = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO events (type, data, at, key, source) VALUES (?, ?, ?, ?, ?) RETURNING seq",
        body.type,
        data,
        at,
        event.key ?? null,
        source,
      )
      .one();
    // Built from the validated parts, not parsed a second time; read back through JSON like a
    // stored row, so the live event is exactly what a replay will see.
    const appended = {
      seq: row.seq,
      type: body.type,
      data: JSON.parse(data) as unknown,
      at,
      ...(event.key !== undefined ? { key: event.key } : {}),
      ...(source !== null ? { source: JSON.parse(source) as EventSource } : {}),
    } as Event;
    this.#tail.appended(appended, data.length);
    if (ANSWER_TYPES.has(appended.type)) this.#answers?.push(appended);
    return { event: appended, duplicate: false };
  }

  byKey(key: string): Event | undefined {
    const rows = this.sql.exec<Row>("SELECT * FROM events WHERE key = ?", key).toArray();
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  first(): Event | undefined {
    if (this.#first) return this.#first;
    const rows = this.sql.exec<Row>("SELECT * FROM events ORDER BY seq ASC LIMIT 1").toArray();
    this.#first = rows[0] ? toEvent(rows[0]) : undefined;
    return this.#first;
  }

  /** Events after `after`, oldest first. */
  page(after: number, limit: number): Event[] {
    return this.sql.exec<Row>("SELECT * FROM events WHERE seq > ? ORDER BY seq ASC LIMIT ?", after, limit).toArray().map(toEvent);
  }

  /** All events, oldest first, read lazily from a cursor. */
  *all(): Generator<Event> {
    for (const row of this.sql.exec<Row>("SELECT * FROM events ORDER BY seq ASC")) yield toEvent(row);
  }

  /**
   * Events after `seq`, oldest first, read lazily: a wake replays only the tail after its
   * snapshot. With `remember`, they become the in-memory tail (they are the newest events).
   */
  *after(seq: number, remember = false): Generator<Event> {
    for (const row of this.sql.exec<Row>("SELECT * FROM events WHERE seq > ? ORDER BY seq ASC", seq)) {
      const event = toEvent(row);
      if (remember) this.#tail.appended(event, row.data.length);
      yield event;
    }
  }

  /**
   * Newest first, lazily: the context renderer stops reading once its budget is full.
   * Read in bounded pages, so a step never asks SQLite for more than one page past what
   * it renders, however long the log (one open unbounded cursor per step would not be).
   */
  *newestFirst(pageSize = 64): Generator<Event> {
    // The newest events come from memory (see event-tail.ts); storage only below them. One
    // indexed read checks the memory still ends at the newest row (another writer, such as
    // a test's own EventStore on the same storage, would make it stale).
    const newest = this.lastSeq();
    if (this.#tail.newest !== newest) {
      this.#tail.clear();
      this.#answers = undefined; // the same stale memory: read again when next asked
    }
    let before = newest + 1;
    for (const event of this.#tail.newestFirst()) {
      before = event.seq;
      yield event;
    }
    for (const event of this.belowFromWindow(before - 1)) {
      before = event.seq;
      yield event;
    }
    for (;;) {
      const rows = this.sql.exec<Row>("SELECT * FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, pageSize).toArray();
      for (const row of rows) {
        const event = toEvent(row);
        this.#tail.readBelow(event, row.data.length);
        yield event;
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < pageSize) return;
      before = last.seq;
    }
  }

  /**
   * A cold instance's window: the newest events as of its snapshot, saved with it (one row),
   * so the first render reads one row instead of a page per 64 events back to its budget.
   * Read lazily, once: a wake that renders nothing never parses it.
   */
  useWindow(load: () => Event[]): void {
    this.#window = load;
  }

  /** The newest events as this instance holds them, oldest first, ending at `seq` (empty if it does not hold that one). */
  window(seq: number, maxChars: number): Event[] {
    return this.#tail.newest === seq ? this.#tail.run(maxChars) : [];
  }

  /** Yields (newest first) the window snapshot's events from seq `from` down, as long as they run on without a gap, and keeps them in the tail. */
  private *belowFromWindow(from: number): Generator<Event> {
    const load = this.#window;
    if (!load) return;
    this.#window = undefined;
    const events = load();
    let expected = from;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i] as Event;
      if (event.seq > expected) continue; // newer than the tail's bottom: already yielded
      if (event.seq !== expected) return; // a gap: storage serves the rest
      this.#tail.readBelow(event, JSON.stringify(event.data).length);
      yield event;
      expected--;
    }
  }

  /** The events that closed a request (answered or timed out), oldest first: to tell "answered" from "never existed". */
  closingsOf(requestId: string): Event[] {
    return this.sql.exec<Row>(`SELECT * FROM events WHERE ${CLOSING} AND json_extract(data, '$.requestId') = ? ORDER BY seq`, requestId).toArray().map(toEvent);
  }

  /**
   * The events with these seqs (the context's pinned events older than its read), by
   * primary key. Every step asks for the same few again (the launch's facts, a human's
   * decision, an unknown outcome: pinned for the thread's life), and an event never
   * changes once written, so each is read from storage once per instance (rows read are
   * billed; issue 31), up to PINNED_CACHE of them.
   */
  bySeq(seqs: readonly number[]): Event[] {
    // One point lookup per seq: SQLite counts an `IN (...)` list as two rows read per value, this as one.
    for (const seq of seqs) {
      if (this.#pinned.has(seq)) continue;
      for (const row of this.sql.exec<Row>("SELECT * FROM events WHERE seq = ?", seq)) this.#remember(toEvent(row));
    }
    return seqs.flatMap((seq) => this.#pinned.get(seq) ?? []);
  }

  /** Keeps a pinned event; the oldest kept goes first once PINNED_CACHE are kept (a Map iterates in insertion order). */
  #remember(event: Event): void {
    this.#pinned.set(event.seq, event);
    for (const seq of this.#pinned.keys()) {
      if (this.#pinned.size <= PINNED_CACHE) break;
      this.#pinned.delete(seq);
    }
  }

  /**
   * Human answers and timeouts before `seq`, oldest first: pinned in the context however old.
   * Every render asks, so they are read once (partial index) and then kept, each new one
   * added as it is appended; a render that finds the tail stale (another writer: newestFirst)
   * drops them with it.
   */
  answersBefore(seq: number): Event[] {
    this.#answers ??= this.sql.exec<Row>(`SELECT * FROM events WHERE ${ANSWERS} ORDER BY seq`).toArray().map(toEvent);
    return this.#answers.filter((event) => event.seq < seq);
  }

  /** Human answers and timeouts after `seq`, oldest first (the audit export's rows, partial index). */
  answersAfter(seq: number): Event[] {
    return this.sql.exec<Row>(`SELECT * FROM events WHERE ${ANSWERS} AND seq > ? ORDER BY seq`, seq).toArray().map(toEvent);
  }

  /** Every human request is appended under the key `request:{requestId}` (human-requests.ts), so the unique key index answers. */
  wasRequested(requestId: string): boolean {
    return this.byKey(`request:${requestId}`)?.type === "human_requested";
  }

  /** The newest `limit` mail events (received or sent), oldest first: the tail of the email conversation. */
  mailTail(limit: number): Event[] {
    return this.sql.exec<Row>(`SELECT * FROM events WHERE ${MAIL} ORDER BY seq DESC LIMIT ?`, limit).toArray().reverse().map(toEvent);
  }

  /** The newest event that came in by email. */
  lastMailIn(): Event | undefined {
    const rows = this.sql.exec<Row>(`SELECT * FROM events WHERE ${MAIL_IN} ORDER BY seq DESC LIMIT 1`).toArray();
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  /** Whether this thread logged sending a mail with one of these Message-IDs. */
  sentAnyOf(messageIds: readonly string[]): boolean {
    // A long References header may quote hundreds of ids: ask in batches, under SQLite's bound-parameter limit.
    for (let i = 0; i < messageIds.length; i += ID_BATCH) {
      const batch = messageIds.slice(i, i + ID_BATCH);
      const marks = batch.map(() => "?").join(", ");
      if (this.sql.exec(`SELECT 1 FROM events WHERE ${SENT} AND json_extract(data, '$.messageId') IN (${marks}) LIMIT 1`, ...batch).toArray().length > 0) return true;
    }
    return false;
  }

  /**
   * Inserts a copy of another log's event with its own seq, time, key and source (a fork).
   * Only for an empty log filled in seq order: later appends then continue after it.
   */
  insertCopy(event: Event): void {
    this.#tail.clear();
    this.#first = undefined;
    this.#pinned.clear();
    this.#answers = undefined;
    const body = EventBody.parse({ type: event.type, data: event.data });
    this.sql.exec(
      "INSERT INTO events (seq, type, data, at, key, source) VALUES (?, ?, ?, ?, ?, ?)",
      event.seq,
      body.type,
      JSON.stringify(body.data),
      event.at,
      event.key ?? null,
      event.source ? JSON.stringify(event.source) : null,
    );
  }

  lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
  }
}

// Each query repeats its index's WHERE term word for word: that is how SQLite knows the
// partial index covers it (test/runtime/log-reads.test.ts counts the rows each one reads).
const ID_BATCH = 50;
/** Pinned events kept in memory per instance (a thread pins a handful; a KiB or two each). */
const PINNED_CACHE = 256;
const CLOSING = "type IN ('human_responded', 'human_timed_out')";
const MAIL_IN = "json_extract(source, '$.kind') = 'email'";
const SENT = "type = 'notification_sent'";
/** The events answersBefore keeps: its query's WHERE term and its in-memory check are made from this one list. */
const ANSWER_TYPE_LIST = ["human_responded", "human_timed_out"] as const;
const ANSWERS = `type IN (${ANSWER_TYPE_LIST.map((t) => `'${t}'`).join(", ")})`;
const ANSWER_TYPES: ReadonlySet<string> = new Set(ANSWER_TYPE_LIST);
const MAIL = `(${MAIL_IN} OR (${SENT} AND json_extract(data, '$.messageId') IS NOT NULL))`;
const KEY_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events (key) WHERE key IS NOT NULL";
const INDEXES = [
  `CREATE INDEX IF NOT EXISTS events_closing ON events (json_extract(data, '$.requestId')) WHERE ${CLOSING}`,
  `CREATE INDEX IF NOT EXISTS events_mail_in ON events (seq) WHERE ${MAIL_IN}`,
  `CREATE INDEX IF NOT EXISTS events_mail ON events (seq) WHERE ${MAIL}`,
  `CREATE INDEX IF NOT EXISTS events_answers ON events (seq) WHERE ${ANSWERS}`,
  `CREATE INDEX IF NOT EXISTS events_sent ON events (json_extract(data, '$.messageId')) WHERE ${SENT}`,
];

function toEvent(row: Row): Event {
  // Rows are parsed, not cast: a row that does not match the schema is a bug we want loud.
  return Event.parse({
    seq: row.seq,
    type: row.type,
    data: JSON.parse(row.data),
    at: row.at,
    ...(row.key !== null ? { key: row.key } : {}),
    ...(row.source !== null ? { source: JSON.parse(row.source) as EventSource } : {}),
  });
}
