import type { ChildEndStatus, Event, EventOf, NewEvent, ToolErrorCode } from "./events";
import type { CallId, ThreadId } from "./ids";
import type { ActiveCall, ChildRecord, ThreadState } from "./state";

// Composition of small agents (Factor 10), the pure half: how delegation events change a
// thread's state, which limits apply, and what a child's report or a missed deadline
// appends. The runtime (src/runtime/delegation.ts) launches children and carries reports.

/** A child may itself delegate, down to this depth (a thread launched from outside is depth 0). */
export const MAX_DELEGATION_DEPTH = 3;
/** Children one thread may launch over its whole life, unless its delegate says otherwise. */
export const DEFAULT_MAX_CHILDREN = 8;
/** How long a parent waits for a child before recording a timeout and cancelling it. */
export const DEFAULT_AGENT_TIMEOUT_SECONDS = 24 * 60 * 60;

const MAX_REPORT_CHARS = 500;

/** A child's end as it travels to the parent (RPC payload, checked again on arrival). */
export type ChildReport = {
  readonly callId: CallId;
  readonly childThreadId: ThreadId;
  readonly agent: string;
  readonly status: ChildEndStatus;
  readonly message: string;
  /** For failures: the child's error code. */
  readonly code?: string;
};

// ---- reducer helpers (called from reduce.ts) ----

export function launchFacts(data: EventOf<"thread_launched">["data"]): Pick<ThreadState, "parent" | "depth"> {
  return {
    ...(data.parent ? { parent: data.parent } : {}),
    ...(data.depth ? { depth: data.depth } : {}),
  };
}

export function applyDelegated(s: ThreadState, event: EventOf<"agent_delegated">): ThreadState {
  const { callId, childThreadId, agent, deadline } = event.data;
  const call = s.calls.find((c) => c.callId === callId);
  if (s.end || !call || call.phase.kind !== "decided") return s;
  const child: ChildRecord = { callId, threadId: childThreadId, agent, deadline, reported: false };
  return {
    ...s,
    calls: s.calls.map((c) => (c.callId === callId ? { ...c, phase: { kind: "delegated", childThreadId, agent, deadline } } : c)),
    children: [...(s.children ?? []), child],
  };
}

export function applyReported(s: ThreadState, event: EventOf<"agent_reported">): ThreadState {
  return updateChild(s, event.data.callId, (child) => ({ ...child, outcome: child.outcome ?? event.data.status, reported: true }));
}

/**
 * A tool outcome for a delegated call settles its child record. Runs after the
 * ordinary reducer case, so tool_succeeded/tool_failed keep one meaning everywhere.
 */
export function settleChild(s: ThreadState, event: Event): ThreadState {
  if (event.type !== "tool_succeeded" && event.type !== "tool_failed") return s;
  return updateChild(s, event.data.callId, (child) => {
    if (child.outcome) return child;
    if (event.type === "tool_succeeded") return { ...child, outcome: "done", reported: true };
    // A timeout is the parent's own verdict: the child has not ended, so it must still be cancelled.
    if (event.data.code === "agent_timeout") return { ...child, outcome: "timed_out" };
    return { ...child, outcome: event.data.code === "agent_cancelled" ? "cancelled" : "failed", reported: true };
  });
}

function updateChild(s: ThreadState, callId: string, update: (c: ChildRecord) => ChildRecord): ThreadState {
  if (!s.children?.some((c) => c.callId === callId)) return s;
  return { ...s, children: s.children.map((c) => (c.callId === callId ? update(c) : c)) };
}

// ---- decisions (pure; the runtime appends what they return) ----

/** Why a delegate call may not launch a child, as the tool error the model sees; undefined if it may. */
export function delegationRefusal(
  state: ThreadState,
  call: ActiveCall,
  maxChildren: number,
): { readonly code: ToolErrorCode; readonly message: string } | undefined {
  const depth = state.depth ?? 0;
  if (depth >= MAX_DELEGATION_DEPTH) {
    return {
      code: "delegation_depth_exceeded",
      message: `${call.tool} not run: this thread is already ${depth} delegations deep (limit ${MAX_DELEGATION_DEPTH}). Do the work here or finish.`,
    };
  }
  const launched = state.children?.length ?? 0;
  if (launched >= maxChildren) {
    return {
      code: "delegation_fanout_exceeded",
      message: `${call.tool} not run: this thread already launched ${launched} child agents (limit ${maxChildren}).`,
    };
  }
  return undefined;
}

/** Calls waiting on a child thread. */
export function delegatedCalls(state: ThreadState): (ActiveCall & { phase: Extract<ActiveCall["phase"], { kind: "delegated" }> })[] {
  return state.calls.flatMap((c) => (c.phase.kind === "delegated" ? [{ ...c, phase: c.phase }] : []));
}

/** Children that must be cancelled: this thread ended, or gave up on them, and they have not ended yet. */
export function childrenToCancel(state: ThreadState): readonly ChildRecord[] {
  return (state.children ?? []).filter((c) => !c.reported && (state.end !== undefined || c.outcome === "timed_out"));
}

/** This (child) thread ended and its parent has not heard yet: what to tell it. */
export function reportForParent(state: ThreadState): ChildReport | undefined {
  const end = state.end;
  if (!state.parent || !end || state.parentNotified) return undefined;
  const base = { callId: state.parent.callId, childThreadId: state.id, agent: state.agent };
  switch (end.status) {
    case "done":
      return { ...base, status: "done", message: end.message };
    case "failed":
      return { ...base, status: "failed", code: end.code, message: end.message };
    case "cancelled":
      return { ...base, status: "cancelled", message: end.reason ?? "cancelled" };
  }
}

/**
 * A child's report arriving at its parent. While the call waits for exactly this child
 * the report becomes the call's ordinary outcome (the model sees a result or a compact
 * error); after that it is only recorded, once. Keys make a repeat append nothing.
 */
export function decideChildReport(state: ThreadState, report: ChildReport): { readonly accepted: boolean; readonly event?: NewEvent } {
  const call = delegatedCalls(state).find((c) => c.callId === report.callId);
  if (call && call.phase.childThreadId === report.childThreadId && !state.end) {
    const who = `${report.agent} (thread ${report.childThreadId})`;
    const data = { callId: call.callId, tool: call.tool };
    if (report.status === "done") {
      return {
        accepted: true,
        event: {
          type: "tool_succeeded",
          data: { ...data, result: { agent: report.agent, threadId: report.childThreadId, message: report.message }, latencyMs: 0 },
          key: `outcome:${call.callId}`,
        },
      };
    }
    const what = report.status === "failed" ? `failed${report.code ? ` (${report.code})` : ""}` : "was cancelled";
    return {
      accepted: true,
      event: {
        type: "tool_failed",
        data: {
          ...data,
          code: report.status === "failed" ? "agent_failed" : "agent_cancelled",
          message: compact(`${who} ${what}: ${report.message}`),
        },
        key: `outcome:${call.callId}`,
      },
    };
  }
  const child = state.children?.find((c) => c.callId === report.callId && c.threadId === report.childThreadId);
  if (!child || child.reported) return { accepted: false };
  return {
    accepted: false,
    event: {
      type: "agent_reported",
      data: { callId: child.callId, childThreadId: child.threadId, status: report.status, message: compact(report.message) },
      key: `child:${child.callId}`,
    },
  };
}

/** A delegated call's deadline passed (now is the runtime's clock): the timeout to append, if still due. */
export function decideChildTimeout(state: ThreadState, callId: string, now: number): NewEvent | "not_due" | undefined {
  const call = delegatedCalls(state).find((c) => c.callId === callId);
  if (!call || state.end) return undefined;
  if (now < Date.parse(call.phase.deadline)) return "not_due";
  return {
    type: "tool_failed",
    data: {
      callId: call.callId,
      tool: call.tool,
      code: "agent_timeout",
      message: `${call.phase.agent} (thread ${call.phase.childThreadId}) did not finish by ${call.phase.deadline}; it was cancelled.`,
    },
    key: `outcome:${call.callId}`,
  };
}

function compact(text: string): string {
  return text.length <= MAX_REPORT_CHARS ? text : `${text.slice(0, MAX_REPORT_CHARS)}…`;
}
