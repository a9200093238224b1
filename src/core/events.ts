import { z } from "zod";
import { AgentName, CallId, RequestId, ThreadId, Timestamp } from "./ids";
import { Json, JsonObject } from "./json";
import { ApproverEntry, Principal, RecordedPrincipal } from "./principal";
import { McpListFailed, McpToolsListed, ToolRetryScheduled } from "./mcp";
import { ApprovalPolicy, DecisionWord, MAX_APPROVALS_REQUIRED } from "./decision";

// Every fact about a thread is one of these events. Names are past tense: an
// event records what happened, never what should happen.

export const TokenUsage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/** What asked the model, for the audit trail (Factor 2: prompt version on every model event). */
const ModelCallFacts = {
  /** The last seq the model's context was rendered from: input after it is still unseen. */
  seenSeq: z.number().int().nonnegative(),
  model: z.string(),
  promptVersion: z.string(),
  latencyMs: z.number().nonnegative(),
  usage: TokenUsage.optional(),
};

export const ModelErrorCode = z.enum([
  "model_not_configured",
  "model_http_error",
  "model_rate_limited",
  "model_unavailable",
  "model_timeout",
  "model_unreachable",
  "empty_response",
  "no_tool_call",
  "too_many_tool_calls",
  "unknown_tool",
  "invalid_json",
  "invalid_arguments",
  /** The agent's context policy threw or answered something that is not a verdict: the step did not call the model. */
  "context_policy_failed",
]);
export type ModelErrorCode = z.infer<typeof ModelErrorCode>;

export const ToolErrorCode = z.enum([
  "tool_error",
  "tool_timeout",
  "invalid_arguments",
  "unknown_tool",
  "outcome_unknown",
  "approval_missing",
  /** New input arrived while the model was deciding; the decision was set aside, not run. */
  "superseded",
  // Composition (Factor 10): what a delegated agent's thread ended with, or why none was launched.
  "agent_failed",
  "agent_cancelled",
  "agent_timeout",
  "delegation_depth_exceeded",
  "delegation_fanout_exceeded",
  /** The thread already had MAX_OPEN_REQUESTS open human requests. */
  "too_many_open_requests",
  // Remote (MCP) tools: the server could not be reached after the retries, answered with an
  // HTTP error (401: the token was rejected), or no longer offers a tool the thread was given.
  "server_unreachable",
  "tool_http_error",
]);
export type ToolErrorCode = z.infer<typeof ToolErrorCode>;

export const ThreadErrorCode = z.enum([
  "model_not_configured",
  "unknown_agent",
  "escalation_timed_out",
  "human_timeout",
  "internal_error",
  /** A setting the thread needs is malformed (e.g. an approver entry in DEPLOY_APPROVERS): fix it and launch again. */
  "configuration_error",
]);
export type ThreadErrorCode = z.infer<typeof ThreadErrorCode>;

export const HumanRequestKind = z.enum(["approval", "input"]);
export type HumanRequestKind = z.infer<typeof HumanRequestKind>;

/** What happens when nobody answers by the deadline: the model is told (deny), an escalation contact is notified and the deadline extended once (escalate), or the thread fails. */
export const TimeoutPolicy = z.enum(["deny", "escalate", "fail"]);
export type TimeoutPolicy = z.infer<typeof TimeoutPolicy>;

/**
 * Why a notification goes out: a human request, its escalation, the thread's outcome to a
 * reply channel, or (on a channel that posted an updatable message, Slack) the request's end.
 */
export const NotificationPurpose = z.enum(["request", "escalation", "result", "closed"]);

/** A chat message a channel posted (Slack: channel id and ts), to update it in place later. */
export const PostedMessage = z.object({ channel: z.string().min(1).max(100), ts: z.string().min(1).max(40) });
export type PostedMessage = z.infer<typeof PostedMessage>;
export type NotificationPurpose = z.infer<typeof NotificationPurpose>;

/** Why a human was contacted: the model asked, a tool policy demanded it, errors piled up (Factor 9), or what must stay in the context no longer fits its budget (Factor 3). */
export const HumanRequestReason = z.enum(["model_asked", "approval_policy", "repeated_errors", "context_over_budget"]);

/** How a child thread ended, as its parent hears it. */
export const ChildEndStatus = z.enum(["done", "failed", "cancelled"]);
export type ChildEndStatus = z.infer<typeof ChildEndStatus>;

/** The outbox entry of a thread's outcome (purpose "result") uses this in place of a request id. */
export const RESULT_NOTIFICATION = RequestId.parse("result");

/** The outbox entry of a full thread's escalation (purpose "escalation") uses this in place of a request id. */
export const FULL_NOTIFICATION = RequestId.parse("thread_full");

/** Where an event came from (Factor 11). Recorded for audit; the reducer never reads it. */
export const EventSource = z.object({
  kind: z.enum(["http", "email", "cron", "webhook", "runtime", "timer", "mcp"]),
  detail: JsonObject.optional(),
  /** Joins this event to the log lines of the request, mail, tick or delivery that caused it (docs/operations.md). */
  correlationId: z.string().max(100).optional(),
});
export type EventSource = z.infer<typeof EventSource>;

const body = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), data });

export const EventBody = z.discriminatedUnion("type", [
  body(
    "thread_launched",
    z.object({
      threadId: ThreadId,
      agent: AgentName,
      message: z.string(),
      metadata: JsonObject.optional(),
      humanTimeoutSeconds: z.number().int().positive().optional(),
      /** Overrides the agent's and tools' timeout policy for every human request of this thread. */
      onHumanTimeout: TimeoutPolicy.optional(),
      /** Set when another thread delegated this one (Factor 10): the call waiting for its result. */
      parent: z.object({ threadId: ThreadId, callId: CallId }).optional(),
      /** Delegation depth: 0 for a thread launched from outside, parent's depth + 1 for a child. */
      depth: z.number().int().nonnegative().optional(),
      /** The prompt variant this thread uses (Factor 2); absent for agents with a single prompt. */
      variant: z.string().optional(),
      /** Channels that carry this thread's requests and its outcome back to whoever started it (e.g. "email"). */
      replyChannels: z.array(z.string()).optional(),
      /** Who launched the thread (absent in older logs, and for cron, webhooks and delegation): the requester a policy may forbid to approve. */
      by: Principal.optional(),
    }),
  ),
  body("user_messaged", z.object({ text: z.string() })),
  body(
    "model_decided",
    z.object({ callId: CallId, tool: z.string(), args: JsonObject, ...ModelCallFacts }),
  ),
  body(
    "model_failed",
    z.object({
      code: ModelErrorCode,
      message: z.string(),
      ...ModelCallFacts,
      /** A retryable error (429, 5xx, timeout, unreachable): the model is not called again before this (backoff with jitter, or Retry-After). */
      retryAt: Timestamp.optional(),
      /** The endpoint's Retry-After, in ms, when it sent one (before the cap). */
      retryAfterMs: z.number().int().nonnegative().optional(),
    }),
  ),
  body(
    "tool_started",
    z.object({ callId: CallId, tool: z.string(), args: JsonObject, attempt: z.number().int().positive() }),
  ),
  body(
    "tool_succeeded",
    z.object({
      callId: CallId,
      tool: z.string(),
      result: Json,
      /** Set when the result was cut to keep rows small (invariant 8). */
      truncatedFromBytes: z.number().int().positive().optional(),
      latencyMs: z.number().nonnegative(),
    }),
  ),
  body(
    "tool_failed",
    z.object({
      callId: CallId,
      tool: z.string(),
      code: ToolErrorCode,
      message: z.string(),
      latencyMs: z.number().nonnegative().optional(),
    }),
  ),
  body(
    "human_requested",
    z.object({
      requestId: RequestId,
      kind: HumanRequestKind,
      reason: HumanRequestReason,
      message: z.string(),
      /** For approvals: the exact call being held. Approving runs these arguments and no others. */
      call: z.object({ callId: CallId, tool: z.string(), args: JsonObject }).optional(),
      deadline: Timestamp,
      onTimeout: TimeoutPolicy,
      /** Channels that must carry this request to a human (the outbox). The API always shows it. */
      notify: z.array(z.string()),
      /** Who may answer (the tool's policy); absent = any verified principal. */
      approvers: z.array(ApproverEntry).max(100).optional(),
      // Invariant 13; each absent in logs written before decisions: one approval, the requester's allowed, no edits.
      /** Distinct approvals the call needs. */
      required: z.number().int().min(1).max(MAX_APPROVALS_REQUIRED).optional(),
      /** false: the principal who launched the thread may not approve or edit this call. */
      selfApproval: z.boolean().optional(),
      /** Argument fields a human may change while approving (decision "edit"). */
      editable: z.array(z.string().min(1).max(100)).max(100).optional(),
    }),
  ),
  body("human_escalated", z.object({ requestId: RequestId, deadline: Timestamp, notify: z.array(z.string()) })),
  body(
    "notification_sent",
    z.object({
      requestId: RequestId,
      channel: z.string(),
      purpose: NotificationPurpose,
      attempt: z.number().int().positive(),
      /** The Message-ID of a sent email: a reply is routed back only to the thread that sent it. */
      messageId: z.string().max(998).optional(),
      /** The chat message this posted (Slack): updated in place when the request ends; replies in its thread reach this thread. */
      posted: PostedMessage.optional(),
    }),
  ),
  body(
    "notification_failed",
    z.object({
      requestId: RequestId,
      channel: z.string(),
      purpose: NotificationPurpose,
      attempt: z.number().int().positive(),
      message: z.string(),
      /** The receiver's own error code, when it gave one (Slack's `error`, e.g. "channel_not_found", "ratelimited"). */
      code: z.string().max(100).optional(),
      /** When the next attempt is due; absent when the outbox gave up on this notification. */
      retryAt: Timestamp.optional(),
    }),
  ),
  body(
    "human_responded",
    z.object({
      requestId: RequestId,
      approved: z.boolean().optional(),
      comment: z.string().optional(),
      answer: z.string().optional(),
      /** Who answered (invariant 10). Old logs stored a string or nothing; they parse as a "legacy" principal. */
      by: RecordedPrincipal,
      /** Absent in older logs (then `approved` says approve or reject). An edit also carries `approved: true`. */
      decision: DecisionWord.optional(),
      /** decision "edit": the complete arguments the editor approved, replacing the held ones. */
      args: JsonObject.optional(),
      /** decision "edit": the tool's approval policy evaluated again on `args` by the runtime. */
      policy: ApprovalPolicy.optional(),
    }),
  ),
  /**
   * An answer from a verified principal who is not one of the request's approvers: kept
   * for the audit trail, never acted on (the reducer changes nothing for it).
   */
  body(
    "human_response_refused",
    z.object({ requestId: RequestId, by: Principal, code: z.enum(["not_an_approver"]), approved: z.boolean().optional(), decision: DecisionWord.optional() }),
  ),
  body("human_timed_out", z.object({ requestId: RequestId })),
  /**
   * The thread reached its cap on events (MAX_THREAD_EVENTS, less the headroom kept for this
   * event and its notifications): it accepts no more outside input, and the operator hears of
   * it once, on `notify`, as an escalation.
   */
  body("thread_filled", z.object({ cap: z.number().int().positive(), notify: z.array(z.string()) })),
  body("thread_paused", z.object({ reason: z.string().optional() })),
  body("thread_resumed", z.object({})),
  body("thread_cancelled", z.object({ reason: z.string().optional() })),
  body("thread_finished", z.object({ callId: CallId.optional(), message: z.string() })),
  body("thread_failed", z.object({ code: ThreadErrorCode, message: z.string() })),
  // ---- Composition (Factor 10), see delegation.ts ----
  /** A delegate call was handed to a child thread (logged before the child is launched; its id is derived, so a relaunch finds it). */
  body(
    "agent_delegated",
    z.object({ callId: CallId, tool: z.string(), agent: AgentName, childThreadId: ThreadId, depth: z.number().int().positive(), deadline: Timestamp }),
  ),
  /** A child reported its end after its call stopped waiting (timed out, or this thread ended): recorded, not acted on. */
  body(
    "agent_reported",
    z.object({ callId: CallId, childThreadId: ThreadId, status: ChildEndStatus, message: z.string() }),
  ),
  /** This child thread's end reached its parent (`accepted`: the parent's call was still waiting for it). */
  body(
    "parent_notified",
    z.object({ threadId: ThreadId, callId: CallId, status: ChildEndStatus, accepted: z.boolean() }),
  ),
  /**
   * A tool call the runtime planned itself, not the model (Factor 13: pre-fetched context).
   * It runs like a model's decision (tool_started, then its outcome) and the model sees it
   * exactly as if it had asked.
   */
  body("call_planned", z.object({ callId: CallId, tool: z.string(), args: JsonObject, by: z.literal("prefetch") })),
  // ---- Remote tools (invariant 12), see mcp.ts ----
  body("mcp_tools_listed", McpToolsListed),
  body("mcp_list_failed", McpListFailed),
  body("tool_retry_scheduled", ToolRetryScheduled),
  /**
   * Factor 3: the model summarised events fromSeq..toSeq (none of them pinned); the context
   * shows `summary` in their place from now on. Replayed, forked and evaluated as logged,
   * never summarised again.
   */
  body(
    "context_compacted",
    z.object({
      fromSeq: z.number().int().positive(),
      toSeq: z.number().int().positive(),
      summary: z.string().max(20_000),
      /** Tokens of the range as rendered, and of the summary block that replaces it. */
      tokensBefore: z.number().int().nonnegative(),
      tokensAfter: z.number().int().nonnegative(),
      model: z.string(),
      /** The version (content hash) of prompts/compaction.md that asked for the summary. */
      promptVersion: z.string(),
      usage: TokenUsage.optional(),
      latencyMs: z.number().nonnegative().optional(),
    }),
  ),
  /**
   * This log is a fork: events 1..atSeq were copied from thread `from`, and it continues
   * here as thread `threadId`, optionally with another prompt variant or model.
   */
  body(
    "thread_forked",
    z.object({
      threadId: ThreadId,
      from: ThreadId,
      atSeq: z.number().int().positive(),
      variant: z.string().optional(),
      model: z.string().optional(),
    }),
  ),
]);
export type EventBody = z.infer<typeof EventBody>;
export type EventType = EventBody["type"];

/** Stamped by the runtime when the event is appended: never by core. */
export const EventStamp = z.object({
  seq: z.number().int().positive(),
  at: Timestamp,
  /** Idempotency key: a second event with the same key is never appended. */
  key: z.string().max(256).optional(),
  source: EventSource.optional(),
});
export type EventStamp = z.infer<typeof EventStamp>;

export const Event = z.intersection(EventBody, EventStamp);
export type Event = z.infer<typeof Event>;
export type EventOf<T extends EventType> = Extract<EventBody, { type: T }> & EventStamp;

/** An event the runtime is about to append: body plus optional key and source. */
export type NewEvent = EventBody & { key?: string; source?: EventSource };

/** The error codes a thread can surface, derived from the failure events rather than listed twice. */
export type ErrorCode = ModelErrorCode | ToolErrorCode | ThreadErrorCode;
