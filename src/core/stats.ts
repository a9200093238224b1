import type { Event } from "./events";
import type { ThreadCounts, ThreadState, ThreadUsage } from "./state";

// Per-thread counters behind the variant stats endpoint. Folded by the reducer, so they
// are a pure function of the log like everything else in the state.

export const NO_COUNTS: ThreadCounts = { steps: 0, errors: 0, escalations: 0 };

export function countsOf(state: ThreadState): ThreadCounts {
  return state.counts ?? NO_COUNTS;
}

/**
 * Adds what one event contributes, given the state before it: a model call (decided or failed) is a step; every
 * model_failed and tool_failed is an error; an escalation is a human request after
 * repeated errors or a human_escalated (a missed deadline sent to the escalation contact).
 */
export function count(before: ThreadState, state: ThreadState, event: Event): ThreadState {
  const withUsage = addUsage(state, event);
  const add = delta(before, event);
  if (!add) return withUsage;
  state = withUsage;
  const c = countsOf(state);
  return {
    ...state,
    counts: { steps: c.steps + (add.steps ?? 0), errors: c.errors + (add.errors ?? 0), escalations: c.escalations + (add.escalations ?? 0) },
  };
}

function delta(before: ThreadState, event: Event): Partial<ThreadCounts> | undefined {
  switch (event.type) {
    case "model_decided":
      return { steps: 1 };
    case "model_failed":
      return { steps: 1, errors: 1 };
    case "tool_failed":
      return { errors: 1 };
    case "human_requested":
      // Escalations count only when the reducer accepted them (an open thread, an open request).
      return event.data.reason === "repeated_errors" && !before.end ? { escalations: 1 } : undefined;
    case "human_escalated":
      return !before.end && before.pending.some((r) => r.requestId === event.data.requestId) ? { escalations: 1 } : undefined;
    case "thread_filled":
      return !before.end && !before.full ? { escalations: 1 } : undefined;
    default:
      return undefined;
  }
}

export const NO_USAGE: ThreadUsage = { modelCalls: 0, promptTokens: 0, completionTokens: 0 };

/** Every model call (decided or failed) that reported token usage adds it to the thread's total. */
function addUsage(state: ThreadState, event: Event): ThreadState {
  if (event.type !== "model_decided" && event.type !== "model_failed") return state;
  const used = event.data.usage;
  if (!used) return state;
  const u = state.usage ?? NO_USAGE;
  return {
    ...state,
    usage: { modelCalls: u.modelCalls + 1, promptTokens: u.promptTokens + used.promptTokens, completionTokens: u.completionTokens + used.completionTokens },
  };
}
