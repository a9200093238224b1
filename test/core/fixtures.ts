import {
  AgentName,
  CallId,
  Event,
  RequestId,
  ThreadId,
  replay,
  type EventBody,
  type Json,
  type JsonObject,
  type ToolErrorCode,
  type ThreadState,
  type Principal,
  type ToolCatalog,
  type ToolFacts,
} from "../../src/core";

// Deterministic builders for core tests. Every event gets an explicit seq and an `at`
// derived from it (one second apart from a fixed epoch): no clock, no randomness.

/** The principal that answers in fixtures unless a test names another. */
export const OPS: Principal = { kind: "api", id: "ops", verifiedBy: "api_token" };

export const EPOCH = Date.parse("2025-01-01T00:00:00.000Z");

/** The timestamp used for `seq` unless a test passes its own. */
export function at(seq: number): string {
  return new Date(EPOCH + seq * 1000).toISOString();
}

/** An ISO time `seconds` after the epoch, for deadlines and `now`. */
export function time(seconds: number): string {
  return new Date(EPOCH + seconds * 1000).toISOString();
}

export const cid = (id: string): CallId => CallId.parse(id);
export const rid = (id: string): RequestId => RequestId.parse(id);

/** Stamps a body with an explicit seq and time; the result is validated like a stored row. */
export function stamp(body: EventBody, seq: number, when: string = at(seq)): Event {
  return Event.parse({ ...body, seq, at: when });
}

/** Options of a human request: its deadline, what happens at the deadline, and who gets told. */
export type RequestOptions = { deadline?: string; onTimeout?: "deny" | "escalate" | "fail"; notify?: readonly string[] };

// Event bodies, one helper per type, with plausible defaults.
export const ev = {
  launched: (data: { message?: string; threadId?: string; agent?: string; metadata?: JsonObject; humanTimeoutSeconds?: number } = {}): EventBody => ({
    type: "thread_launched",
    data: {
      threadId: ThreadId.parse(data.threadId ?? "t1"),
      agent: AgentName.parse(data.agent ?? "deploybot"),
      message: data.message ?? "deploy the api",
      ...(data.metadata ? { metadata: data.metadata } : {}),
      ...(data.humanTimeoutSeconds ? { humanTimeoutSeconds: data.humanTimeoutSeconds } : {}),
    },
  }),
  message: (text: string): EventBody => ({ type: "user_messaged", data: { text } }),
  decided: (callId: string, tool: string, args: JsonObject, seenSeq: number): EventBody => ({
    type: "model_decided",
    data: { callId: cid(callId), tool, args, seenSeq, model: "test-model", promptVersion: "v1", latencyMs: 5 },
  }),
  modelFailed: (seenSeq: number, code: "model_timeout" | "invalid_json" = "model_timeout", message = "model timed out"): EventBody => ({
    type: "model_failed",
    data: { code, message, seenSeq, model: "test-model", promptVersion: "v1", latencyMs: 5 },
  }),
  started: (callId: string, tool: string, args: JsonObject, attempt = 1): EventBody => ({
    type: "tool_started",
    data: { callId: cid(callId), tool, args, attempt },
  }),
  succeeded: (callId: string, tool: string, result: Json = "ok"): EventBody => ({
    type: "tool_succeeded",
    data: { callId: cid(callId), tool, result, latencyMs: 3 },
  }),
  failed: (
    callId: string,
    tool: string,
    code: ToolErrorCode = "tool_error",
    message = "boom",
  ): EventBody => ({
    type: "tool_failed",
    data: { callId: cid(callId), tool, code, message },
  }),
  approvalRequested: (requestId: string, call: { callId: string; tool: string; args: JsonObject }, opts: RequestOptions = {}): EventBody => ({
    type: "human_requested",
    data: {
      requestId: rid(requestId),
      kind: "approval",
      reason: "approval_policy",
      message: `Approve ${call.tool}?`,
      call: { callId: cid(call.callId), tool: call.tool, args: call.args },
      deadline: opts.deadline ?? time(3600),
      onTimeout: opts.onTimeout ?? "deny",
      notify: [...(opts.notify ?? [])],
    },
  }),
  inputRequested: (
    requestId: string,
    message: string,
    opts: RequestOptions & { reason?: "model_asked" | "repeated_errors" | "context_over_budget"; call?: { callId: string; tool: string; args: JsonObject } } = {},
  ): EventBody => ({
    type: "human_requested",
    data: {
      requestId: rid(requestId),
      kind: "input",
      reason: opts.reason ?? "model_asked",
      message,
      ...(opts.call ? { call: { callId: cid(opts.call.callId), tool: opts.call.tool, args: opts.call.args } } : {}),
      deadline: opts.deadline ?? time(3600),
      onTimeout: opts.onTimeout ?? "deny",
      notify: [...(opts.notify ?? [])],
    },
  }),
  escalated: (requestId: string, deadline: string, notify: readonly string[] = []): EventBody => ({
    type: "human_escalated",
    data: { requestId: rid(requestId), deadline, notify: [...notify] },
  }),
  notificationSent: (requestId: string, channel: string, purpose: "request" | "escalation" = "request", attempt = 1): EventBody => ({
    type: "notification_sent",
    data: { requestId: rid(requestId), channel, purpose, attempt },
  }),
  notificationFailed: (
    requestId: string,
    channel: string,
    opts: { purpose?: "request" | "escalation"; attempt?: number; retryAt?: string; message?: string } = {},
  ): EventBody => ({
    type: "notification_failed",
    data: {
      requestId: rid(requestId),
      channel,
      purpose: opts.purpose ?? "request",
      attempt: opts.attempt ?? 1,
      message: opts.message ?? "smtp 451",
      ...(opts.retryAt ? { retryAt: opts.retryAt } : {}),
    },
  }),
  responded: (requestId: string, data: { approved?: boolean; answer?: string; comment?: string; by?: Principal } = {}): EventBody => ({
    type: "human_responded",
    data: { requestId: rid(requestId), by: OPS, ...data },
  }),
  timedOut: (requestId: string): EventBody => ({ type: "human_timed_out", data: { requestId: rid(requestId) } }),
  paused: (reason?: string): EventBody => ({ type: "thread_paused", data: reason ? { reason } : {} }),
  resumed: (): EventBody => ({ type: "thread_resumed", data: {} }),
  cancelled: (reason?: string): EventBody => ({ type: "thread_cancelled", data: reason ? { reason } : {} }),
  finished: (message: string, callId?: string): EventBody => ({
    type: "thread_finished",
    data: { message, ...(callId ? { callId: cid(callId) } : {}) },
  }),
  threadFailed: (code: "internal_error" | "escalation_timed_out" = "internal_error", message = "it broke"): EventBody => ({
    type: "thread_failed",
    data: { code, message },
  }),
};

/**
 * An append-only log under construction: each `add` stamps the next seq (1, 2, ...)
 * with `at(seq)`, exactly as the runtime would, and returns the stamped event.
 */
export class Log {
  readonly events: Event[] = [];

  static launched(data: Parameters<typeof ev.launched>[0] = {}): Log {
    const log = new Log();
    log.add(ev.launched(data));
    return log;
  }

  get nextSeq(): number {
    return this.events.length + 1;
  }

  /** Seq of the newest event so far (what a model rendered now would have seen). */
  get lastSeq(): number {
    return this.events.length;
  }

  add(...bodies: EventBody[]): Event {
    let last: Event | undefined;
    for (const body of bodies) {
      last = stamp(body, this.nextSeq);
      this.events.push(last);
    }
    if (!last) throw new Error("add() needs at least one body");
    return last;
  }

  /** A model decision that saw everything logged so far. */
  decide(callId: string, tool: string, args: JsonObject): Event {
    return this.add(ev.decided(callId, tool, args, this.lastSeq));
  }

  get state(): ThreadState {
    const state = replay(this.events);
    if (!state) throw new Error("log has no thread_launched event");
    return state;
  }
}

/**
 * A small catalog of tool facts, keyed by name (core never tests names itself):
 * - search: inline, idempotent, never needs approval
 * - deploy: not idempotent, needs approval for env "production" only
 * - wipe:   idempotent, always needs approval
 * - ask:    a question to a human
 * - done:   finishes the thread with args.message
 */
export const TOOLS: ReadonlyMap<string, ToolFacts> = new Map<string, ToolFacts>([
  ["search", { intent: "act", idempotent: true, needsApproval: () => false }],
  ["deploy", { intent: "act", idempotent: false, needsApproval: (args) => args["env"] === "production" }],
  ["wipe", { intent: "act", idempotent: true, needsApproval: () => true }],
  ["ask", { intent: "ask_human", idempotent: true, needsApproval: () => false }],
  ["done", { intent: "finish", idempotent: true, needsApproval: () => false }],
]);

export const catalog: ToolCatalog = (name) => TOOLS.get(name);

export function facts(name: string): ToolFacts {
  const found = TOOLS.get(name);
  if (!found) throw new Error(`no tool ${name} in the test catalog`);
  return found;
}
