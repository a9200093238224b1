import { applyDelegated, applyReported, launchFacts, settleChild } from "./delegation";
import type { Event, EventOf } from "./events";
import { FULL_NOTIFICATION, RESULT_NOTIFICATION, type NotificationPurpose } from "./events";
import type { RequestId } from "./ids";
import type { ActiveCall, MaybeThread, OutboxItem, PendingRequest, ThreadState } from "./state";
import { closePosts, withPost } from "./posted";
import { count } from "./stats";
import { markContext } from "./context-marks";
import { applyListFailed, applyRetryScheduled, applyToolsListed } from "./mcp-reduce";
import { tally } from "./approval-tally";
import { decisionOf } from "./decision";
import { canonicalJson, type JsonObject } from "./json";

/**
 * The one pure reducer (Factor 12): the state of a thread is
 * `events.reduce(reduce, undefined)`. No clock, no ids, no I/O: everything it needs
 * arrives in the event. Unknown or out-of-order facts (an answer to a request that is
 * no longer open) are recorded in the log but change nothing here.
 */
export function reduce(state: MaybeThread, event: Event): MaybeThread {
  if (event.type === "thread_launched") {
    if (state) return touch(state, event);
    return {
      id: event.data.threadId,
      agent: event.data.agent,
      createdAt: event.at,
      updatedAt: event.at,
      lastSeq: event.seq,
      ...(event.data.metadata ? { metadata: event.data.metadata } : {}),
      ...(event.data.humanTimeoutSeconds ? { humanTimeoutSeconds: event.data.humanTimeoutSeconds } : {}),
      ...(event.data.onHumanTimeout ? { onHumanTimeout: event.data.onHumanTimeout } : {}),
      paused: false,
      pending: [],
      calls: [],
      needsModel: true,
      lastInputSeq: event.seq,
      consecutiveErrors: 0,
      escalationExpired: false,
      outbox: [],
      modelTurns: 0,
      ...launchFacts(event.data),
      ...(event.data.variant ? { variant: event.data.variant } : {}),
      ...(event.data.replyChannels?.length ? { replyChannels: event.data.replyChannels } : {}),
      ...(event.data.by ? { launchedBy: event.data.by } : {}),
    };
  }
  if (!state) return state; // nothing happens to a thread before it is launched
  return markContext(state, count(state, settleChild(apply(touch(state, event), event), event), event), event);
}

export function replay(events: Iterable<Event>, from: MaybeThread = undefined): MaybeThread {
  let state = from;
  for (const event of events) state = reduce(state, event);
  return state;
}

/**
 * The event gave the model something new to see: it must run again, and a decision
 * rendered before this seq is stale. Only real input moves this frontier; a pause, a
 * tool start or an ignored late answer must not make a decision in flight look stale.
 */
function input(event: Event): { needsModel: true; lastInputSeq: number } {
  return { needsModel: true, lastInputSeq: event.seq };
}

function touch(state: ThreadState, event: Event): ThreadState {
  return { ...state, lastSeq: event.seq, updatedAt: event.at };
}

function apply(s: ThreadState, event: Exclude<Event, EventOf<"thread_launched">>): ThreadState {
  switch (event.type) {
    case "user_messaged": {
      if (s.end) return s;
      // A message answers every open question (kind "input"); approvals stay open.
      const answered = s.pending.filter((r) => r.kind === "input");
      const after = closePosts(
        {
          ...s,
          pending: s.pending.filter((r) => r.kind !== "input"),
          // An answered question needs no more notifications.
          outbox: s.outbox.filter((item) => !answered.some((r) => r.requestId === item.requestId)),
          ...input(event),
        },
        answered.map((r) => r.requestId),
      );
      return answered.some((r) => r.reason === "repeated_errors") ? afterGuidance(after) : after;
    }
    case "model_decided": {
      if (s.end) return s;
      const call: ActiveCall = {
        callId: event.data.callId,
        tool: event.data.tool,
        args: event.data.args,
        phase: { kind: "decided" },
      };
      // Input that arrived while the model was deciding is still unseen.
      const needsModel = s.lastInputSeq > event.data.seenSeq;
      const { modelRetryAt: _over, ...rest } = s;
      return { ...rest, needsModel, calls: [...s.calls, call], modelTurns: s.modelTurns + 1 };
    }
    case "model_failed": {
      if (s.end) return s;
      const { modelRetryAt: _previous, ...rest } = s;
      return {
        ...rest,
        ...(event.data.retryAt ? { modelRetryAt: event.data.retryAt } : {}),
        ...input(event),
        consecutiveErrors: s.consecutiveErrors + 1,
        lastError: { code: event.data.code, message: event.data.message },
        modelTurns: s.modelTurns + 1,
      };
    }
    case "tool_started":
      return updateCall(s, event.data.callId, (c) => ({
        ...c,
        phase: {
          kind: "started",
          attempt: event.data.attempt,
          ...("approvedArgs" in c.phase && c.phase.approvedArgs ? { approvedArgs: c.phase.approvedArgs } : {}),
        },
      }));
    case "tool_succeeded":
      return { ...dropCall(s, event.data.callId), ...input(event), consecutiveErrors: 0 };
    case "tool_failed":
      return {
        ...dropCall(s, event.data.callId),
        ...input(event),
        consecutiveErrors: event.data.code === "superseded" ? s.consecutiveErrors : s.consecutiveErrors + 1,
        lastError: { code: event.data.code, message: event.data.message },
      };
    case "human_requested": {
      if (s.end) return s;
      const request: PendingRequest = { ...event.data, requestedAt: event.at, seq: event.seq, escalated: false };
      const withRequest = {
        ...s,
        pending: [...s.pending, request],
        outbox: [...s.outbox, ...enqueue(event.data.requestId, event.data.notify, "request")],
      };
      const call = event.data.call;
      if (!call) return withRequest;
      // An approval holds the call; a question from the model *is* the call, answered by a human.
      return event.data.kind === "approval"
        ? updateCall(withRequest, call.callId, (c) => ({
            ...c,
            phase: { kind: "awaiting_approval", requestId: event.data.requestId },
          }))
        : dropCall(withRequest, call.callId);
    }
    case "human_response_refused":
      return s; // audit only: a refused answer is never acted on
    case "human_responded": {
      const open = s.end ? undefined : s.pending.find((r) => r.requestId === event.data.requestId);
      const counted = open?.kind === "approval" ? tally(open, s.launchedBy, event) : undefined;
      if (counted?.kind === "ignored") return s;
      if (counted?.kind === "open") {
        // One of a quorum: logged and shown ("1 of 2"); the call stays held.
        const request = counted.request;
        const withRequest = { ...withAnswer(s, event), pending: s.pending.map((r) => (r.requestId === request.requestId ? request : r)) };
        const call = request.call;
        return call && open?.call ? updateCall(withRequest, call.callId, (c) => editedCall(c, open.call?.args, call.args, request.edited)) : withRequest;
      }
      return closeRequest(withAnswer(s, event), event.data.requestId, (request, rest) => {
        if (request.kind === "input") {
          const answered = { ...rest, ...input(event) };
          return request.reason === "repeated_errors" ? afterGuidance(answered) : answered;
        }
        const call = request.call;
        if (!call) return rest;
        if (counted?.kind === "approved") {
          // Exactly the approved arguments run: after an edit, the editor's, never the model's.
          const approvedArgs = counted.args;
          return updateCall(rest, call.callId, (c) => ({
            ...editedCall(c, call.args, approvedArgs, counted.edited),
            phase: { kind: "approved", requestId: request.requestId, approvedArgs },
          }));
        }
        // A rejection goes back to the model with the human's comment; it decides what next.
        return { ...dropCall(rest, call.callId), ...input(event) };
      });
    }
    case "human_escalated": {
      if (s.end || !s.pending.some((r) => r.requestId === event.data.requestId)) return s;
      return {
        ...s,
        pending: s.pending.map((r) =>
          r.requestId === event.data.requestId ? { ...r, deadline: event.data.deadline, escalated: true } : r,
        ),
        outbox: [...s.outbox, ...enqueue(event.data.requestId, event.data.notify, "escalation")],
      };
    }
    case "thread_filled":
      // Once per thread: a second one (a copy in a fork, a race) changes nothing.
      if (s.end || s.full) return s;
      return {
        ...s,
        full: { seq: event.seq, at: event.at, cap: event.data.cap },
        outbox: [...s.outbox, ...enqueue(FULL_NOTIFICATION, event.data.notify, "escalation")],
      };
    case "notification_sent":
      return withPost({ ...s, outbox: s.outbox.filter((item) => !sameItem(item, event.data)) }, event.data);
    case "notification_failed": {
      const retryAt = event.data.retryAt;
      return {
        ...s,
        outbox: retryAt
          ? s.outbox.map((item) => (sameItem(item, event.data) ? { ...item, attempts: event.data.attempt, retryAt } : item))
          : s.outbox.filter((item) => !sameItem(item, event.data)),
      };
    }
    case "human_timed_out":
      return closeRequest(s, event.data.requestId, (request, rest) => {
        if (request.reason === "repeated_errors") return { ...rest, escalationExpired: true };
        if (request.onTimeout === "fail") return { ...rest, timeoutFailure: request.requestId };
        const withoutCall = request.call ? dropCall(rest, request.call.callId) : rest;
        return { ...withoutCall, ...input(event) };
      });
    case "thread_paused":
      return { ...s, paused: true };
    case "thread_resumed":
      return { ...s, paused: false };
    case "thread_cancelled":
      return s.end ? s : { ...closeAll(s), end: { status: "cancelled", ...(event.data.reason ? { reason: event.data.reason } : {}) }, endedAt: event.at };
    case "thread_finished":
      return s.end ? s : withResult({ ...closeAll(s), end: { status: "done", message: event.data.message }, endedAt: event.at });
    case "thread_failed":
      return s.end ? s : withResult({ ...closeAll(s), end: { status: "failed", code: event.data.code, message: event.data.message }, endedAt: event.at });
    case "agent_delegated":
      return applyDelegated(s, event);
    case "agent_reported":
      return applyReported(s, event);
    case "parent_notified":
      return { ...s, parentNotified: true };
    case "call_planned": {
      if (s.end) return s;
      const call: ActiveCall = { callId: event.data.callId, tool: event.data.tool, args: event.data.args, phase: { kind: "decided" }, by: event.data.by };
      return { ...s, calls: [...s.calls, call], prefetched: (s.prefetched ?? 0) + 1 };
    }
    case "context_compacted":
      return s; // a summary is for the context render only (context-marks.ts); it is no input
    case "thread_forked": {
      // From here on this log is its own thread: its id, its creation time, and counters
      // that measure only what happens after the fork (the copied history was the original's).
      // Token usage too: the copied model calls were paid for by the original.
      // A fork of a child is a thread of its own: it reports to no parent.
      const { counts: _copied, usage: _spent, parent: _parent, parentNotified: _notified, depth: _depth, ...rest } = s;
      return {
        ...rest,
        // An approval is for one run in one thread (invariant 10): a copied approval of a
        // call that had not started is void here, so the fork asks again. Started calls
        // keep theirs (their outcome, or outcome_unknown, follows the ordinary rules).
        calls: rest.calls.map((c) => (c.phase.kind === "approved" ? { ...c, phase: { kind: "decided" } } : c)),
        id: event.data.threadId,
        createdAt: event.at,
        forkedFrom: { threadId: event.data.from, atSeq: event.data.atSeq },
        ...(event.data.variant ? { variant: event.data.variant } : {}),
        ...(event.data.model ? { model: event.data.model } : {}),
      };
    }
    case "mcp_tools_listed":
      return applyToolsListed(s, event);
    case "mcp_list_failed":
      return applyListFailed(s, event);
    case "tool_retry_scheduled":
      return applyRetryScheduled(s, event);
    default:
      return assertNever(event);
  }
}

/** A human's guidance after an escalation: the error streak is over and the model may run again at once. */
function afterGuidance(s: ThreadState): ThreadState {
  const { modelRetryAt: _wait, ...rest } = s;
  return { ...rest, consecutiveErrors: 0 };
}

/**
 * An edit replaces the call's arguments only where the call holds what the editor saw (the
 * request's arguments): a call whose arguments differ keeps them, and then no approval
 * covers it (next.ts: approval_missing).
 */
function editedCall(c: ActiveCall, seen: JsonObject | undefined, args: JsonObject, edited: ActiveCall["edited"]): ActiveCall {
  if (!edited || !seen || canonicalJson(c.args) !== canonicalJson(seen)) return c;
  return { ...c, args, edited };
}

/** Who answered, newest last, bounded so the state stays small (the log keeps every answer). */
function withAnswer(s: ThreadState, event: EventOf<"human_responded">): ThreadState {
  if (s.end || !s.pending.some((r) => r.requestId === event.data.requestId)) return s;
  const record = {
    requestId: event.data.requestId,
    by: event.data.by,
    at: event.at,
    ...(event.data.approved !== undefined ? { approved: event.data.approved } : {}),
    ...(event.data.decision ? { decision: decisionOf(event.data) } : {}),
  };
  return { ...s, answers: [...(s.answers ?? []), record].slice(-MAX_ANSWERS_KEPT) };
}

export const MAX_ANSWERS_KEPT = 10;

function updateCall(s: ThreadState, callId: string, update: (c: ActiveCall) => ActiveCall): ThreadState {
  return { ...s, calls: s.calls.map((c) => (c.callId === callId ? update(c) : c)) };
}

function dropCall(s: ThreadState, callId: string): ThreadState {
  return { ...s, calls: s.calls.filter((c) => c.callId !== callId) };
}

function closeRequest(
  s: ThreadState,
  requestId: string,
  then: (request: PendingRequest, rest: ThreadState) => ThreadState,
): ThreadState {
  const request = s.pending.find((r) => r.requestId === requestId);
  if (!request || s.end) return s; // already answered, timed out or withdrawn: the first event won
  // A closed request needs no more notifications, except the update of what was posted for it.
  const rest = { ...s, pending: s.pending.filter((r) => r.requestId !== requestId), outbox: s.outbox.filter((item) => item.requestId !== requestId) };
  return then(request, closePosts(rest, [request.requestId]));
}

function closeAll(s: ThreadState): ThreadState {
  const open = (s.posted ?? []).map((p) => p.requestId);
  // Updates of posts for requests that already closed still go out: the thread's end does not undo them.
  const updates = s.outbox.filter((item) => item.purpose === "closed");
  return closePosts({ ...s, pending: [], calls: [], outbox: updates, needsModel: false }, open);
}

/** The outcome goes out on the thread's reply channels (e.g. the final answer by email). */
function withResult(s: ThreadState): ThreadState {
  return { ...s, outbox: [...s.outbox, ...enqueue(RESULT_NOTIFICATION, s.replyChannels ?? [], "result")] };
}

function enqueue(requestId: RequestId, channels: readonly string[], purpose: NotificationPurpose): OutboxItem[] {
  return channels.map((channel) => ({ requestId, channel, purpose, attempts: 0 }));
}

function sameItem(item: OutboxItem, other: { requestId: string; channel: string; purpose: string }): boolean {
  return item.requestId === other.requestId && item.channel === other.channel && item.purpose === other.purpose;
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
