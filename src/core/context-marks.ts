import type { Event } from "./events";
import { canonicalJson, type JsonObject } from "./json";
import type { ContextMarks, ThreadState, UnresolvedError } from "./state";

// What the context render must find however old it is (invariant 11), kept in the state so
// a render reads the few pinned events it needs by seq instead of walking the log back.

export const MAX_COMPACTIONS_KEPT = 32;

/** Codes that are not a failure of the action: a superseded decision never ran. */
const NOT_AN_OUTCOME = new Set(["superseded"]);

/**
 * Advances the marks past one event. `before` is the state before the event (it still
 * holds the call's arguments); `after` is what the rest of the reducer made of it.
 *
 * An error is resolved only by what resolves its call (invariant 11): the same tool
 * succeeding with the same arguments, or a human's decision about that call (an approval
 * or rejection of the same tool with the same arguments). A human's guidance after an
 * error streak (repeated_errors) resolves the plain errors before it, never an unknown
 * outcome: someone must check that action, or run it again, first.
 */
export function markContext(before: ThreadState, after: ThreadState, event: Event): ThreadState {
  const marks = after.context ?? EMPTY;
  const next = advance(before, marks, event);
  return next === marks ? after : { ...after, context: next };
}

const EMPTY: ContextMarks = { unresolved: [], latestResults: {}, compactions: [] };

function advance(before: ThreadState, marks: ContextMarks, event: Event): ContextMarks {
  switch (event.type) {
    case "tool_failed": {
      if (NOT_AN_OUTCOME.has(event.data.code)) return marks;
      const call = before.calls.find((c) => c.callId === event.data.callId);
      const entry: UnresolvedError = { seq: event.seq, callId: event.data.callId, tool: event.data.tool, args: call?.args ?? {}, code: event.data.code };
      return { ...marks, unresolved: [...marks.unresolved, entry] };
    }
    case "tool_succeeded": {
      const call = before.calls.find((c) => c.callId === event.data.callId);
      const unresolved = call ? marks.unresolved.filter((e) => !sameCall(e, call.tool, call.args)) : marks.unresolved;
      return { ...marks, unresolved, latestResults: { ...marks.latestResults, [event.data.tool]: event.seq } };
    }
    case "human_responded": {
      const request = before.pending.find((r) => r.requestId === event.data.requestId);
      if (!request || before.end) return marks;
      const call = request.call;
      if (call) return { ...marks, unresolved: marks.unresolved.filter((e) => !sameCall(e, call.tool, call.args)) };
      if (request.reason === "repeated_errors") return { ...marks, unresolved: marks.unresolved.filter((e) => e.code === "outcome_unknown") };
      return marks;
    }
    case "context_compacted": {
      const mark = { seq: event.seq, fromSeq: event.data.fromSeq, toSeq: event.data.toSeq };
      return { ...marks, compactions: [...marks.compactions, mark].slice(-MAX_COMPACTIONS_KEPT) };
    }
    default:
      return marks;
  }
}

function sameCall(error: UnresolvedError, tool: string, args: JsonObject): boolean {
  return error.tool === tool && canonicalJson(error.args) === canonicalJson(args);
}
