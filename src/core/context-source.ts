import type { ContextSource } from "./context";
import type { Event } from "./events";
import { replay } from "./reduce";

const ANSWERS = new Set(["human_responded", "human_timed_out"]);

/**
 * A context source over a log held in memory (oldest first, launch first): evals, tests
 * and anything else that has the events at hand. The runtime reads the same things from
 * SQLite (src/runtime/event-store.ts), so both render the same context from the same log.
 */
export function sourceFromEvents(events: readonly Event[]): ContextSource {
  const launch = events[0];
  if (!launch) throw new Error("a context needs at least the launch event");
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const state = replay(events);
  return {
    launch,
    marks: state?.context,
    openRequests: (state?.pending ?? []).map((r) => r.seq),
    newestFirst: newestFirst(events),
    bySeq: (seqs) => seqs.flatMap((seq) => bySeq.get(seq) ?? []),
    answersBefore: (seq) => events.filter((e) => e.seq < seq && ANSWERS.has(e.type)),
  };
}

function* newestFirst(events: readonly Event[]): Generator<Event> {
  for (let i = events.length - 1; i >= 0; i--) yield events[i] as Event;
}
