import { z } from "zod";
import { Answer, Candidate, EvalId, Question } from "./schemas";

// The eval's own SQLite: its spec, one row per question, and each question's answer.

export const EvalSpec = z.object({
  id: EvalId,
  agent: z.string(),
  createdAt: z.string(),
  candidate: Candidate,
  steps: z.enum(["all", "first"]),
  threads: z.number().int(),
  /** A digest of the agent and start body when it was started with an Idempotency-Key: a retry must match it. */
  request: z.string().optional(),
});
export type EvalSpec = z.infer<typeof EvalSpec>;

export type QuestionRow = { readonly n: number; readonly question: Question; readonly answer?: Answer };

const Row = z.object({
  n: z.number().int(),
  body: z.string(),
  answer: z.string().nullable(),
});

export class EvalStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS questions (
      n INTEGER PRIMARY KEY, thread_id TEXT NOT NULL, body TEXT NOT NULL,
      lease_until INTEGER NOT NULL DEFAULT 0, enqueued_at INTEGER NOT NULL DEFAULT 0,
      answer TEXT, same INTEGER)`);
  }

  spec(): EvalSpec | undefined {
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'spec'").toArray()[0];
    return row ? EvalSpec.parse(JSON.parse(row.v)) : undefined;
  }

  /** The spec and every question in one synchronous write: both land or neither does. */
  create(spec: EvalSpec, questions: readonly Question[]): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES ('spec', ?)", JSON.stringify(spec));
    questions.forEach((q, n) => this.sql.exec("INSERT INTO questions (n, thread_id, body) VALUES (?, ?, ?)", n, q.threadId, JSON.stringify(q)));
  }

  counts(): { total: number; done: number } {
    const row = this.sql.exec<{ total: number; done: number }>("SELECT count(*) AS total, count(answer) AS done FROM questions").one();
    return { total: row.total, done: row.done };
  }

  all(): QuestionRow[] {
    return this.sql.exec("SELECT n, body, answer FROM questions ORDER BY n").toArray().map(parseRow);
  }

  one(n: number): QuestionRow | undefined {
    const row = this.sql.exec("SELECT n, body, answer FROM questions WHERE n = ?", n).toArray()[0];
    return row ? parseRow(row) : undefined;
  }

  /** Answered rows after `cursor`, optionally only those that differ. */
  page(after: number, limit: number, differingOnly: boolean): QuestionRow[] {
    const filter = differingOnly ? "AND same = 0" : "";
    return this.sql
      .exec(`SELECT n, body, answer FROM questions WHERE n > ? AND answer IS NOT NULL ${filter} ORDER BY n LIMIT ?`, after, limit)
      .toArray()
      .map(parseRow);
  }

  /**
   * Leases the unanswered, unleased questions among `ns` until `until` and returns them.
   * Synchronous, so two deliveries of one message cannot both take a question.
   */
  lease(ns: readonly number[], now: number, until: number): QuestionRow[] {
    const taken: QuestionRow[] = [];
    for (const n of ns) {
      const row = this.sql.exec("SELECT n, body, answer FROM questions WHERE n = ? AND answer IS NULL AND lease_until <= ?", n, now).toArray()[0];
      if (!row) continue;
      this.sql.exec("UPDATE questions SET lease_until = ? WHERE n = ?", until, n);
      taken.push(parseRow(row));
    }
    return taken;
  }

  /** The first answer wins; a later one for the same question is ignored. */
  answer(n: number, answer: Answer, same: boolean): boolean {
    const cursor = this.sql.exec("UPDATE questions SET answer = ?, same = ? WHERE n = ? AND answer IS NULL", JSON.stringify(answer), same ? 1 : 0, n);
    return cursor.rowsWritten > 0;
  }

  /** Unanswered questions whose message may be lost: never sent, sent long ago, or their lease ran out. */
  stale(now: number, resendAfterMs: number): { n: number; threadId: string }[] {
    return this.sql
      .exec<{ n: number; thread_id: string }>(
        "SELECT n, thread_id FROM questions WHERE answer IS NULL AND lease_until <= ? AND enqueued_at <= ? ORDER BY n",
        now,
        now - resendAfterMs,
      )
      .toArray()
      .map((r) => ({ n: r.n, threadId: r.thread_id }));
  }

  markEnqueued(ns: readonly number[], now: number): void {
    for (const n of ns) this.sql.exec("UPDATE questions SET enqueued_at = ? WHERE n = ?", now, n);
  }
}

function parseRow(raw: Record<string, SqlStorageValue>): QuestionRow {
  const row = Row.parse(raw);
  const question = Question.parse(JSON.parse(row.body));
  return row.answer === null ? { n: row.n, question } : { n: row.n, question, answer: Answer.parse(JSON.parse(row.answer)) };
}
