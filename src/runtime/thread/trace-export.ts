import { logLine } from "../../log";
import { otlpConfig, type OtlpConfig } from "../../traces/config";
import { EMPTY_FOLD, type TraceFold } from "../../traces/fold";
import { encodeSpans } from "../../traces/otlp";
import { exportRetryDelayMs, sendBatch, type Fetch } from "../../traces/send";
import type { TraceSpan } from "../../traces/span";
import { foldTrace } from "../../traces/spans";
import type { ThreadLog } from "../log/thread-log";
import type { DuePart } from "./host";
import { TraceCursor, type TraceCursorRow } from "./trace-cursor";

export type TraceExportHost = {
  /** Read at each use: settings may change under a live object (tests do). */
  env(): Env;
  log(): ThreadLog;
  sql(): SqlStorage;
  readonly now: () => number;
  readonly fetch: Fetch;
  /** The export is owed again at `at` (epoch ms), or nothing is owed: the one wake-up follows. */
  retryAt(at: number | undefined): void;
};

/** Events read per batch: one request carries the spans they end. */
export const EXPORT_BATCH_EVENTS = 256;
/**
 * Armed before each POST and cleared after it: if the object dies mid-export (eviction,
 * crash, deploy) the wake-up brings it back to send the unacknowledged batch again.
 */
export const EXPORT_GUARD_MS = 60_000;

/**
 * The OTLP export as an obligation derived from the log, like the notification outbox
 * (invariant 14): spans are derived from events after the cursor and POSTed in batches
 * when a run of the step loop ends, when the thread ends, on every start and at the due
 * retry; the cursor moves only when the collector acknowledged a batch. So a slow or dead
 * collector delays its own spans and never a step; an hour's outage loses nothing (the
 * log keeps them, the backoff tops out at 5 minutes); a crash after a POST re-sends at
 * most that batch, with the same derived ids. Export off (no OTEL endpoint): nothing runs,
 * nothing is stored.
 */
export class TraceExport {
  #chain: Promise<void> = Promise.resolve();
  #queued = false;
  /** The fold at the cursor, so a batch does not replay the log from its start; rebuilt once per instance. */
  #atCursor: { readonly seq: number; readonly fold: TraceFold } | undefined;
  #cursor: TraceCursor | undefined;

  constructor(private readonly host: TraceExportHost) {}

  /** Resolves when the export in progress (if any) has finished or armed its retry. */
  get settled(): Promise<void> {
    return this.#chain;
  }

  readonly duePart: DuePart = {
    kinds: ["export_traces"],
    due: (_obligation, _at, retries) => {
      retries.clear("export_traces");
      this.flush(true);
    },
    start: () => this.flush(false),
    settled: () => this.#chain,
  };

  /**
   * Sends what is owed, in the background. `dueRetry`: the backoff is over; otherwise a
   * pending backoff is respected (a dead collector is not hammered at every step).
   */
  flush(dueRetry = false): void {
    const config = otlpConfig(this.host.env());
    if (!config || !this.host.log().state || this.#queued) return;
    this.#queued = true;
    this.#chain = this.#chain
      .then(async () => {
        this.#queued = false;
        await this.exportOwed(config, dueRetry);
      })
      .catch((error: unknown) => {
        // Storage or programming error: the next start or flush tries again from the cursor.
        console.error("trace export failed", error);
      });
  }

  private get cursor(): TraceCursor {
    this.#cursor ??= new TraceCursor(this.host.sql());
    return this.#cursor;
  }

  private async exportOwed(config: OtlpConfig, dueRetry: boolean): Promise<void> {
    for (;;) {
      const state = this.host.log().state;
      if (!state) return;
      // A fork's copied prefix belongs to its source's trace: its export starts after it.
      const row: TraceCursorRow = this.cursor.read() ?? { cursor: state.forkedFrom?.atSeq ?? 0, failures: 0 };
      if (row.retryAt !== undefined && row.retryAt > this.host.now() && !dueRetry) {
        this.host.retryAt(row.retryAt);
        return;
      }
      dueRetry = false;
      if (row.cursor >= state.lastSeq) {
        this.host.retryAt(undefined);
        return;
      }
      const batch = this.batch(row.cursor, config);
      if (batch.spans.length === 0) {
        this.advance(batch.seq, batch.fold);
        continue;
      }
      this.host.retryAt(this.host.now() + EXPORT_GUARD_MS);
      const result = await sendBatch(this.host.fetch, config, encodeSpans(batch.spans, config));
      const fields = { threadId: state.id, spans: batch.spans.length, fromSeq: row.cursor + 1, toSeq: batch.seq };
      if (result.kind === "retry") {
        const failures = row.failures + 1;
        const retryAt = this.host.now() + exportRetryDelayMs(failures, Math.random(), result.retryAfterMs);
        this.cursor.write({ cursor: row.cursor, failures, retryAt });
        this.host.retryAt(retryAt);
        logLine("trace_export_retry", { ...fields, status: result.status, failures, retryAt: new Date(retryAt).toISOString(), message: result.message }, "warn");
        return;
      }
      if (result.kind === "rejected") logLine("trace_export_rejected", { ...fields, status: result.status, message: result.message }, "error");
      this.advance(batch.seq, batch.fold);
      this.host.retryAt(undefined);
    }
  }

  private advance(seq: number, fold: TraceFold): void {
    this.cursor.write({ cursor: seq, failures: 0 });
    this.#atCursor = { seq, fold };
  }

  /** The spans ended by the events after `cursor` (one batch of them), and the fold after them. */
  private batch(cursor: number, config: OtlpConfig): { spans: TraceSpan[]; seq: number; fold: TraceFold } {
    const options = { captureContent: config.captureContent };
    let fold = this.foldAt(cursor, config);
    const spans: TraceSpan[] = [];
    let seq = cursor;
    for (const event of this.host.log().store.page(cursor, EXPORT_BATCH_EVENTS)) {
      const step = foldTrace(fold, event, options);
      fold = step.fold;
      spans.push(...step.spans);
      seq = event.seq;
    }
    return { spans, seq, fold };
  }

  /** The fold after event `seq`: from memory, or (once per instance) replayed from the log's start. */
  private foldAt(seq: number, config: OtlpConfig): TraceFold {
    if (this.#atCursor?.seq === seq) return this.#atCursor.fold;
    const options = { captureContent: config.captureContent };
    let fold = EMPTY_FOLD;
    for (const event of this.host.log().store.all()) {
      if (event.seq > seq) break;
      fold = foldTrace(fold, event, options).fold;
    }
    this.#atCursor = { seq, fold };
    return fold;
  }
}
