import type { ContextSource } from "../../core";
import type { ThreadLog } from "../log/thread-log";

/**
 * The context's reads from the thread's SQLite: the newest events (from memory, then in
 * pages), the few pinned ones older than that by primary key (their seqs are in the state's
 * marks), and the human answers through their partial index. No read walks the log back to
 * the launch, so a step costs the same at event 20 and at event 20,000.
 */
export function logSource(log: ThreadLog): ContextSource {
  const launch = log.store.first();
  if (!launch) throw new Error("a launched thread has no first event");
  return {
    launch,
    marks: log.state?.context,
    openRequests: (log.state?.pending ?? []).map((r) => r.seq),
    newestFirst: log.store.newestFirst(),
    bySeq: (seqs) => log.store.bySeq(seqs),
    answersBefore: (seq) => log.store.answersBefore(seq),
  };
}
