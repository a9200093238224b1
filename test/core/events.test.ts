import { describe, expect, it } from "vitest";
import { Event, EventBody, type EventType } from "../../src/core";
import { at, time } from "./fixtures";

// One sample of every event type, with every optional field filled in so that the
// round trip covers them too. Plain JSON literals: the schema brands ids on parse.
const SAMPLES: Record<EventType, unknown> = {
  thread_launched: {
    type: "thread_launched",
    data: { threadId: "t-1", agent: "deploybot", message: "deploy", metadata: { ticket: "OPS-1", n: [1, { x: null }] }, humanTimeoutSeconds: 600, variant: "terse" },
  },
  user_messaged: { type: "user_messaged", data: { text: "also staging" } },
  model_decided: {
    type: "model_decided",
    data: {
      callId: "c1",
      tool: "deploy",
      args: { env: "production", opts: { canary: true } },
      seenSeq: 2,
      model: "gpt-x",
      promptVersion: "sha256:abc",
      latencyMs: 812.5,
      usage: { promptTokens: 1200, completionTokens: 40 },
    },
  },
  model_failed: {
    type: "model_failed",
    data: { code: "model_rate_limited", message: "429", seenSeq: 0, model: "gpt-x", promptVersion: "v1", latencyMs: 0, usage: { promptTokens: 0, completionTokens: 0 } },
  },
  tool_started: { type: "tool_started", data: { callId: "c1", tool: "deploy", args: {}, attempt: 2 } },
  tool_succeeded: {
    type: "tool_succeeded",
    data: { callId: "c1", tool: "deploy", result: { url: "https://x", ok: true, list: [1, "a", null] }, truncatedFromBytes: 3_000_000, latencyMs: 50 },
  },
  tool_failed: { type: "tool_failed", data: { callId: "c1", tool: "deploy", code: "tool_timeout", message: "took too long", latencyMs: 30_000 } },
  human_requested: {
    type: "human_requested",
    data: {
      requestId: "r1",
      kind: "approval",
      reason: "approval_policy",
      message: "Approve?",
      call: { callId: "c1", tool: "deploy", args: { env: "production" } },
      deadline: time(3600),
      onTimeout: "escalate",
      notify: ["email", "webhook"],
    },
  },
  human_escalated: { type: "human_escalated", data: { requestId: "r1", deadline: time(7200), notify: ["email"] } },
  notification_sent: { type: "notification_sent", data: { requestId: "r1", channel: "email", purpose: "escalation", attempt: 2 } },
  notification_failed: {
    type: "notification_failed",
    data: { requestId: "r1", channel: "webhook", purpose: "request", attempt: 1, message: "HTTP 502", retryAt: time(60) },
  },
  human_responded: { type: "human_responded", data: { requestId: "r1", approved: true, comment: "ok", answer: "yes", by: { kind: "api", id: "ops", verifiedBy: "api_token" } } },
  human_response_refused: { type: "human_response_refused", data: { requestId: "r1", by: { kind: "email", id: "bob@example.com", verifiedBy: "dmarc" }, code: "not_an_approver", approved: true } },
  human_timed_out: { type: "human_timed_out", data: { requestId: "r1" } },
  thread_filled: { type: "thread_filled", data: { cap: 5000, notify: ["webhook", "email"] } },
  thread_paused: { type: "thread_paused", data: { reason: "freeze" } },
  thread_resumed: { type: "thread_resumed", data: {} },
  thread_cancelled: { type: "thread_cancelled", data: { reason: "not needed" } },
  thread_finished: { type: "thread_finished", data: { callId: "c9", message: "Deployed." } },
  call_planned: { type: "call_planned", data: { callId: "prefetch-1", tool: "list_git_tags", args: {}, by: "prefetch" } },
  thread_forked: { type: "thread_forked", data: { threadId: "t-2", from: "t-1", atSeq: 4, variant: "terse", model: "gpt-y" } },
  thread_failed: { type: "thread_failed", data: { code: "escalation_timed_out", message: "nobody answered" } },
  agent_delegated: {
    type: "agent_delegated",
    data: { callId: "c2", tool: "delegate_to_deploybot", agent: "deploybot", childThreadId: "d-abc", depth: 1, deadline: time(86_400) },
  },
  agent_reported: { type: "agent_reported", data: { callId: "c2", childThreadId: "d-abc", status: "cancelled", message: "parent cancelled" } },
  parent_notified: { type: "parent_notified", data: { threadId: "t-1", callId: "c2", status: "done", accepted: true } },
  context_compacted: {
    type: "context_compacted",
    data: { fromSeq: 2, toSeq: 40, summary: "Listed tags; v1.2.3 is newest.", tokensBefore: 4_000, tokensAfter: 30, model: "gpt-4.1", promptVersion: "sha256:abc", usage: { promptTokens: 4_100, completionTokens: 25 }, latencyMs: 800 },
  },
  mcp_tools_listed: {
    type: "mcp_tools_listed",
    data: {
      server: "ledger",
      tools: [
        {
          name: "ledger_record_entry",
          server: "ledger",
          remote: "record_entry",
          description: "Record an entry.",
          inputSchema: { type: "object", properties: { note: { type: "string" } }, required: ["note"] },
          schemaHash: "ab12",
          annotations: { title: "Record", readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
        },
      ],
      error: "2 tools left out",
    },
  },
  mcp_list_failed: { type: "mcp_list_failed", data: { server: "ledger", attempt: 1, message: "unreachable", retryAt: time(5) } },
  tool_retry_scheduled: { type: "tool_retry_scheduled", data: { callId: "c3", tool: "ledger_record_entry", attempt: 1, message: "unreachable", retryAt: time(5) } },
};

const samples: { type: string }[] = Object.values(SAMPLES).map((body, i) => ({
  ...(body as { type: string }),
  seq: i + 1,
  at: at(i + 1),
  key: `idem-${i}`,
  source: { kind: "http", detail: { ip: "203.0.113.7" } },
}));

describe("event schemas", () => {
  it("the samples cover every member of the EventBody union", () => {
    const declared = EventBody.options.map((option) => option.shape.type.value).sort();
    expect(declared).toHaveLength(Object.keys(SAMPLES).length);
    expect(new Set(declared).size).toBe(declared.length);
    expect(Object.keys(SAMPLES).sort()).toEqual(declared);
    expect(samples.map((s) => s.type).sort()).toEqual(declared);
  });

  it.each(samples.map((s) => [s.type, s] as const))("%s round-trips through JSON and Event.parse unchanged", (_type, sample) => {
    const parsed = Event.parse(sample);
    expect(parsed).toEqual(sample);
    const again = Event.parse(JSON.parse(JSON.stringify(parsed)));
    expect(again).toEqual(parsed);
    expect(JSON.stringify(again)).toBe(JSON.stringify(parsed));
  });

  it("accepts the minimal form of each event (optional fields left out)", () => {
    const minimal = [
      { type: "thread_launched", data: { threadId: "t1", agent: "a", message: "" } },
      { type: "human_responded", data: { requestId: "r1", by: { kind: "link", id: "alice@example.com", verifiedBy: "signed_link" } } },
      { type: "thread_paused", data: {} },
      { type: "thread_finished", data: { message: "done" } },
      { type: "tool_failed", data: { callId: "c", tool: "t", code: "tool_error", message: "m" } },
      { type: "notification_failed", data: { requestId: "r", channel: "email", purpose: "request", attempt: 3, message: "gave up" } },
      { type: "human_requested", data: { requestId: "r", kind: "input", reason: "model_asked", message: "m", deadline: at(9), onTimeout: "fail", notify: [] } },
    ];
    for (const body of minimal) expect(Event.parse({ ...body, seq: 1, at: at(1) })).toEqual({ ...body, seq: 1, at: at(1) });
  });
});

describe("old logs stay readable (invariant 10)", () => {
  it.each([
    ["no by", undefined, { kind: "api", id: "unknown", verifiedBy: "legacy" }],
    ["an email string", "email:alice@example.test", { kind: "email", id: "alice@example.test", verifiedBy: "legacy" }],
    ["the link marker", "approval-link", { kind: "link", id: "approval-link", verifiedBy: "legacy" }],
    ["any other string", "ops", { kind: "api", id: "ops", verifiedBy: "legacy" }],
    ["a string longer than an id may be, cut to 320 characters", "o".repeat(400), { kind: "api", id: "o".repeat(320), verifiedBy: "legacy" }],
  ])("parses human_responded with %s as a legacy principal", (_what, by, principal) => {
    const stored = { type: "human_responded", data: { requestId: "r1", approved: true, ...(by !== undefined ? { by } : {}) }, seq: 2, at: at(2) };
    const parsed = Event.parse(JSON.parse(JSON.stringify(stored)));
    expect(parsed.type === "human_responded" && parsed.data.by).toEqual(principal);
  });

  it("rejects a principal of an unknown kind", () => {
    expect(Event.safeParse({ type: "human_responded", data: { requestId: "r1", by: { kind: "sms", id: "x", verifiedBy: "y" } }, seq: 2, at: at(2) }).success).toBe(false);
  });
});

describe("invalid events are rejected", () => {
  const valid = { type: "user_messaged", data: { text: "hi" }, seq: 3, at: at(3) };

  it("accepts the baseline", () => {
    expect(Event.safeParse(valid).success).toBe(true);
  });

  it.each([
    ["an unknown type", { ...valid, type: "user_shouted" }],
    ["no type", { data: valid.data, seq: 3, at: at(3) }],
    ["a missing data field", { ...valid, data: {} }],
    ["no data at all", { type: "user_messaged", seq: 3, at: at(3) }],
    ["a wrongly typed data field", { ...valid, data: { text: 42 } }],
    ["seq 0", { ...valid, seq: 0 }],
    ["a negative seq", { ...valid, seq: -1 }],
    ["a fractional seq", { ...valid, seq: 1.5 }],
    ["a string seq", { ...valid, seq: "3" }],
    ["no seq", { type: valid.type, data: valid.data, at: at(3) }],
    ["a non-ISO time", { ...valid, at: "yesterday" }],
    ["no time", { type: valid.type, data: valid.data, seq: 3 }],
    ["an oversized idempotency key", { ...valid, key: "k".repeat(257) }],
    ["an unknown source kind", { ...valid, source: { kind: "pigeon" } }],
    ["a bad thread id", { type: "thread_launched", data: { threadId: "has space", agent: "a", message: "m" }, seq: 1, at: at(1) }],
    ["a bad agent name", { type: "thread_launched", data: { threadId: "t1", agent: "Deploy Bot", message: "m" }, seq: 1, at: at(1) }],
    ["an empty call id", { type: "tool_started", data: { callId: "", tool: "t", args: {}, attempt: 1 }, seq: 2, at: at(2) }],
    ["attempt 0", { type: "tool_started", data: { callId: "c", tool: "t", args: {}, attempt: 0 }, seq: 2, at: at(2) }],
    ["non-object args", { type: "tool_started", data: { callId: "c", tool: "t", args: [1], attempt: 1 }, seq: 2, at: at(2) }],
    ["an unknown tool error code", { type: "tool_failed", data: { callId: "c", tool: "t", code: "oops", message: "m" }, seq: 2, at: at(2) }],
    ["an unknown request kind", { type: "human_requested", data: { requestId: "r", kind: "vote", reason: "model_asked", message: "m", deadline: at(9), onTimeout: "deny", notify: [] }, seq: 2, at: at(2) }],
    ["a bad deadline", { type: "human_requested", data: { requestId: "r", kind: "input", reason: "model_asked", message: "m", deadline: "soon", onTimeout: "deny", notify: [] }, seq: 2, at: at(2) }],
    ["a request without a timeout policy", { type: "human_requested", data: { requestId: "r", kind: "input", reason: "model_asked", message: "m", deadline: at(9), notify: [] }, seq: 2, at: at(2) }],
    ["an unknown timeout policy", { type: "human_requested", data: { requestId: "r", kind: "input", reason: "model_asked", message: "m", deadline: at(9), onTimeout: "ignore", notify: [] }, seq: 2, at: at(2) }],
    ["an unknown notification purpose", { type: "notification_sent", data: { requestId: "r", channel: "email", purpose: "spam", attempt: 1 }, seq: 2, at: at(2) }],
    ["an escalation without a deadline", { type: "human_escalated", data: { requestId: "r", notify: [] }, seq: 2, at: at(2) }],
    ["a non-JSON tool result", { type: "tool_succeeded", data: { callId: "c", tool: "t", result: undefined, latencyMs: 1 }, seq: 2, at: at(2) }],
    ["a negative token count", { type: "model_failed", data: { code: "model_timeout", message: "m", seenSeq: 1, model: "m", promptVersion: "v", latencyMs: 1, usage: { promptTokens: -1, completionTokens: 0 } }, seq: 2, at: at(2) }],
  ])("rejects %s", (_what, candidate) => {
    expect(Event.safeParse(candidate).success).toBe(false);
  });
});

describe("the log's vocabulary is stored: every code ever written parses back", () => {
  // Logs are immutable rows. Renaming or dropping one of these values would make every
  // thread that stored it unreadable (replay fails on Event.parse), so the lists are
  // written out here, not read from the schema under test.
  const stamp = (type: string, data: object) => ({ type, data, seq: 2, at: at(2) });
  const modelFailed = (code: string) =>
    stamp("model_failed", { code, message: "m", seenSeq: 1, model: "m", promptVersion: "v", latencyMs: 1 });

  it.each([
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
  ])("model_failed with %s", (code) => {
    expect(Event.parse(modelFailed(code))).toMatchObject({ data: { code } });
  });

  it.each([
    "tool_error",
    "tool_timeout",
    "invalid_arguments",
    "unknown_tool",
    "outcome_unknown",
    "approval_missing",
    "superseded",
    "agent_failed",
    "agent_cancelled",
    "agent_timeout",
    "delegation_depth_exceeded",
    "delegation_fanout_exceeded",
    "too_many_open_requests",
  ])("tool_failed with %s", (code) => {
    expect(Event.parse(stamp("tool_failed", { callId: "c", tool: "t", code, message: "m" }))).toMatchObject({ data: { code } });
  });

  it.each(["model_not_configured", "unknown_agent", "escalation_timed_out", "human_timeout", "internal_error"])("thread_failed with %s", (code) => {
    expect(Event.parse(stamp("thread_failed", { code, message: "m" }))).toMatchObject({ data: { code } });
  });

  it.each(["done", "failed", "cancelled"])("a child's end %s, reported and notified", (status) => {
    expect(Event.parse(stamp("agent_reported", { callId: "c", childThreadId: "k", status, message: "m" }))).toMatchObject({ data: { status } });
    expect(Event.parse(stamp("parent_notified", { threadId: "p", callId: "c", status, accepted: false }))).toMatchObject({ data: { status } });
  });

  it.each(["http", "email", "cron", "webhook", "runtime", "timer"])("an event whose source is %s", (kind) => {
    expect(Event.parse({ ...stamp("user_messaged", { text: "hi" }), source: { kind } })).toMatchObject({ source: { kind } });
  });

  it.each([
    ["request", "model_asked", "deny"],
    ["escalation", "approval_policy", "escalate"],
    ["result", "repeated_errors", "fail"],
  ])("notification purpose %s, request reason %s, timeout policy %s", (purpose, reason, onTimeout) => {
    expect(Event.parse(stamp("notification_sent", { requestId: "r", channel: "email", purpose, attempt: 1 }))).toMatchObject({ data: { purpose } });
    const asked = { requestId: "r", kind: "input", reason, message: "m", deadline: at(9), onTimeout, notify: [] };
    expect(Event.parse(stamp("human_requested", asked))).toMatchObject({ data: { reason, onTimeout } });
  });

  it("bounds that keep rows small hold at their limit and refuse one past it", () => {
    const source = (correlationId: string) => ({ ...stamp("user_messaged", { text: "hi" }), source: { kind: "http", correlationId } });
    expect(Event.safeParse(source("c".repeat(100))).success).toBe(true);
    expect(Event.safeParse(source("c".repeat(101))).success).toBe(false);
    const sent = (messageId: string) => stamp("notification_sent", { requestId: "r", channel: "email", purpose: "result", attempt: 1, messageId });
    expect(Event.safeParse(sent("m".repeat(998))).success).toBe(true);
    expect(Event.safeParse(sent("m".repeat(999))).success).toBe(false);
    const asked = (approvers: string[]) =>
      stamp("human_requested", { requestId: "r", kind: "approval", reason: "approval_policy", message: "m", deadline: at(9), onTimeout: "deny", notify: [], approvers });
    expect(Event.safeParse(asked(Array.from({ length: 100 }, (_, i) => `ops${i}`))).success).toBe(true);
    expect(Event.safeParse(asked(Array.from({ length: 101 }, (_, i) => `ops${i}`))).success).toBe(false);
  });
});
