import { z } from "zod";
import { decisionOf, type Event, type ThreadState } from "../../core";

// The audit export's rows (GET /v1/decisions): one per human decision on an approval, as the
// thread's log holds it, pushed to the thread index by the same sync that pushes the summary
// (index-sync.ts). The log stays the truth; these rows are derived and re-pushed idempotently.

export const DecisionRow = z.object({
  threadId: z.string(),
  /** The seq of the human_responded event: with threadId, the row's identity. */
  seq: z.number().int().positive(),
  agent: z.string(),
  requestId: z.string(),
  tool: z.string(),
  /** What the model asked for. */
  originalArgs: z.record(z.string(), z.unknown()),
  /** What this decision was about: the edited arguments for an edit, else the ones held then. */
  finalArgs: z.record(z.string(), z.unknown()),
  decision: z.enum(["approve", "reject", "edit"]),
  principal: z.object({ kind: z.string(), id: z.string(), verifiedBy: z.string() }),
  /** The path the decision came in on (api, console, link, email, slack, mcp). */
  channel: z.string(),
  at: z.string(),
  comment: z.string().max(2_000).optional(),
});
export type DecisionRow = z.infer<typeof DecisionRow>;

/** What the rows are read from: the thread's own indexed log (event-store.ts). */
export type DecisionSource = {
  /** human_responded (and human_timed_out) events after `seq`, oldest first. */
  answersAfter(seq: number): Event[];
  byKey(key: string): Event | undefined;
  /** The answers and timeout of one request, oldest first. */
  closingsOf(requestId: string): Event[];
};

/** Rows for the decisions logged after `afterSeq`. */
export function decisionRows(store: DecisionSource, state: ThreadState | undefined, afterSeq: number): DecisionRow[] {
  const rows: DecisionRow[] = [];
  if (!state) return rows;
  for (const event of store.answersAfter(afterSeq)) {
    if (event.type !== "human_responded") continue;
    const decision = decisionOf(event.data);
    const requested = store.byKey(`request:${event.data.requestId}`);
    if (!decision || requested?.type !== "human_requested" || requested.data.kind !== "approval" || !requested.data.call) continue;
    const original = requested.data.call.args;
    // The arguments held when this decision was made: the newest earlier edit's, else the model's.
    const earlierEdit = store
      .closingsOf(event.data.requestId)
      .filter((e): e is Extract<Event, { type: "human_responded" }> => e.type === "human_responded" && e.seq < event.seq && e.data.decision === "edit" && e.data.args !== undefined)
      .at(-1);
    const held = earlierEdit?.data.args ?? original;
    rows.push({
      threadId: state.id,
      seq: event.seq,
      agent: state.agent,
      requestId: event.data.requestId,
      tool: requested.data.call.tool,
      originalArgs: original,
      finalArgs: decision === "edit" && event.data.args ? event.data.args : held,
      decision,
      principal: event.data.by,
      channel: event.data.by.kind,
      at: event.at,
      ...(event.data.comment ? { comment: event.data.comment.slice(0, 2_000) } : {}),
    });
  }
  return rows;
}
