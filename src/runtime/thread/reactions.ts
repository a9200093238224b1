import { statusOf, type Event, type EventSource, type ThreadState } from "../../core";
import { countsChanged } from "../index/thread-index-stats";

/** One new event (never a duplicate), as the reactions to it see it. */
export type Change = {
  readonly event: Event;
  /** Where it came from (the event's own source, else the one it was appended with). */
  readonly source: EventSource | undefined;
  readonly before: ThreadState | undefined;
  readonly after: ThreadState | undefined;
};

export type Reaction = { readonly name: string; react(change: Change): void };

/** What the reactions act on: the thread object's parts. */
export type ReactionsHost = {
  /** The newest input's correlation id (request, mail, tick, timer): step log lines carry it. */
  correlate(correlationId: string): void;
  /** The step in progress names what it appended in its log line. */
  stepAppended(type: string): void;
  /** The thread summary changed: its index shard hears of it (throttled, see index-sync.ts). */
  syncIndex(): void;
  /** Whether a step loop run is in progress (it pushes its counts at its end). */
  looping(): boolean;
  /** The thread ended (delegation.ts: report to the parent, cancel the children; trace-export.ts: its root span). */
  ended(): void;
  /** Re-arm the one wake-up from the log. */
  rearm(): void;
  /** Open streams send what is new. */
  notifyStreams(): void;
  mustFill(state: ThreadState): boolean;
  /** Record that the thread is full, and escalate it. */
  fill(): void;
};

/**
 * What happens after an append, in this order, for every new event (a duplicate changes
 * nothing, so nothing reacts to it). A new reaction is one more entry here.
 */
export function reactions(host: ReactionsHost): readonly Reaction[] {
  return [
    {
      name: "correlate",
      react: ({ source }) => {
        if (source?.correlationId) host.correlate(source.correlationId);
      },
    },
    { name: "step_log", react: ({ event }) => host.stepAppended(event.type) },
    {
      // A status change reaches the index at once. Counts that change outside a step loop
      // run (a timer's escalation) are pushed now; inside one, the push at the end of the
      // run carries them (see step-loop.ts).
      name: "sync_index",
      react: ({ before, after }) => {
        if (after && (!before || statusOf(before) !== statusOf(after))) host.syncIndex();
        else if (after && !host.looping() && countsChanged(before, after)) host.syncIndex();
      },
    },
    {
      // Factor 10: an end is reported to the parent and cancels the children (each retried by the wake-up).
      name: "delegation_end",
      react: ({ before, after }) => {
        if (after?.end && !before?.end) host.ended();
      },
    },
    // Whatever this event changed about deadlines and retries, the one wake-up follows it.
    { name: "rearm", react: () => host.rearm() },
    { name: "streams", react: () => host.notifyStreams() },
    {
      // The event that reaches the input limit makes the thread full: it escalates at once.
      name: "fill",
      react: ({ after }) => {
        if (after && host.mustFill(after)) host.fill();
      },
    },
  ];
}
