import type { ContextSource } from "./context";
import type { Event } from "./events";
import { replay } from "./reduce";

const HUMAN = new Set(["human_requested", "human_responded", "human_timed_out"]);

/**
 * A context source over a log held in memory (oldest first, launch first): evals, tests
 * and anything else that has the events at hand. The runtime reads the same things from
 * SQLite (src/runtime/event-store.ts), so both render the same context from the same log.
 */
export function sourceFromEvents(events: readonly Event[]): ContextSource {
  const launch = events[0];
  if (!launch) throw new Error("a context needs at least the launch event");
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  return {
    launch,
    marks: replay(events)?.context,
    newestFirst: newestFirst(events),
    bySeq: (seqs) => seqs.flatMap((seq) => bySeq.get(seq) ?? []),
    humanBefore: (seq) => events.filter((e) => e.seq < seq && HUMAN.has(e.type)),
  };
}

function* newestFirst(events: readonly Event[]): Generator<Event> {
  for (let i = events.length - 1; i >= 0; i--) yield events[i] as Event;
}
