import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { eventKind, summarize, summaryContext } from "../../src/console/summary";
import { ago } from "../../src/console/pages/timeline";

// The console's one-line summaries (src/console/summary.ts): pure functions of an event.
// Exhaustiveness is the compiler's job (a `never` ends each switch); these check the words.

const at = "2026-01-01T00:00:00.000Z";
const ev = (seq: number, body: Pick<Event, "type" | "data">): Event => ({ seq, at, ...body }) as Event;

describe("console event summaries", () => {
  it("a model decision names the tool, its arguments in order, latency and tokens", () => {
    const e = ev(2, {
      type: "model_decided",
      data: { callId: "c1", tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" }, seenSeq: 1, model: "m", promptVersion: "p", latencyMs: 3.2, usage: { promptTokens: 45, completionTokens: 12 } },
    } as never);
    expect(summarize(e)).toBe("chose deploy_backend tag=v1.2.3 environment=production · 3 ms · 45+12 tokens");
    expect(eventKind(e)).toBe("model");
  });

  it("an answer names who gave it and how; a timeout names its request's policy", () => {
    const answered = ev(5, { type: "human_responded", data: { requestId: "r1", approved: true, by: { kind: "email", id: "alice@example.com", verifiedBy: "dmarc" } } } as never);
    expect(summarize(answered)).toBe("approved by alice@example.com (email)");
    expect(eventKind(answered)).toBe("human");
    const requested = ev(4, {
      type: "human_requested",
      data: { requestId: "r1", kind: "approval", reason: "approval_policy", message: "ok?", call: { callId: "c1", tool: "deploy", args: { tag: "v1" } }, deadline: at, onTimeout: "fail", notify: [] },
    } as never);
    const timedOut = ev(6, { type: "human_timed_out", data: { requestId: "r1" } } as never);
    expect(summarize(timedOut, summaryContext([requested]))).toBe("timed out → thread fails");
    expect(summarize(timedOut)).toBe("timed out");
    expect(eventKind(timedOut)).toBe("timer");
    const escalated = ev(7, { type: "human_escalated", data: { requestId: "r1", deadline: at, notify: ["email"] } } as never);
    expect(summarize(escalated)).toBe(`timed out → escalated via email · new deadline ${at}`);
  });

  it("a summary is one line, however long or multi-line the text behind it", () => {
    const e = ev(1, { type: "thread_launched", data: { threadId: "t1", agent: "deploybot", message: `line one\nline two ${"x".repeat(500)}` } } as never);
    const line = summarize(e);
    expect(line).not.toContain("\n");
    expect(line.length).toBeLessThan(120);
    expect(line).toContain("launched deploybot: “line one line two");
    expect(eventKind(e)).toBe("lifecycle");
  });

  it("remote (MCP) tools: a listing, a failed listing, a call retried later", () => {
    const listed = ev(2, { type: "mcp_tools_listed", data: { server: "docs", tools: [{ name: "docs__search" }, { name: "docs__read" }] } } as never);
    expect(summarize(listed)).toBe("docs offers 2 tools: docs__search, docs__read");
    expect(eventKind(listed)).toBe("tool");
    const failed = ev(3, { type: "mcp_list_failed", data: { server: "docs", attempt: 2, message: "connection refused", retryAt: at } } as never);
    expect(summarize(failed)).toBe(`listing docs failed (attempt 2): connection refused · retry at ${at}`);
    expect(eventKind(failed)).toBe("error");
    expect(eventKind(ev(4, { type: "tool_retry_scheduled", data: { callId: "c", tool: "docs__search", attempt: 1, message: "down", retryAt: at } } as never))).toBe("timer");
  });

  it("a compaction says which events it summarised and what it saved", () => {
    const e = ev(9, { type: "context_compacted", data: { fromSeq: 2, toSeq: 40, summary: "…", tokensBefore: 9000, tokensAfter: 700, model: "m", promptVersion: "p" } } as never);
    expect(summarize(e)).toBe("compacted #2–#40: 9000 → 700 tokens · m");
    expect(eventKind(e)).toBe("model");
  });

  it("an event type it does not know is an error, not a silent blank line", () => {
    expect(() => summarize(ev(1, { type: "no_such_event", data: {} } as never))).toThrow(/no summary/);
    expect(() => eventKind(ev(1, { type: "no_such_event", data: {} } as never))).toThrow(/no summary/);
  });

  it("relative times step from seconds to days", () => {
    const t0 = Date.parse(at);
    expect([3_000, 240_000, 7_200_000, 5 * 86_400_000].map((d) => ago(at, t0 + d))).toEqual(["3 s ago", "4 min ago", "2 h ago", "5 d ago"]);
  });
});
