import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AgentName, CallId, Event, ThreadId, type EventBody } from "../../src/core";
import { spanIdOf, spanKey, traceIdOf } from "../../src/traces/ids";
import { GENAI, OURS } from "../../src/traces/names";
import type { TraceSpan } from "../../src/traces/span";
import { traceSpans } from "../../src/traces/spans";
import { EPOCH, cid, ev } from "../core/fixtures";

const OFF = { captureContent: false };
const ON = { captureContent: true };

/** A log with explicit times (seconds after the epoch), so a wait can last days. */
function log(...entries: [seconds: number, body: EventBody & { source?: { kind: "http" } }][]): Event[] {
  return entries.map(([seconds, body], i) => Event.parse({ ...body, seq: i + 1, at: new Date(EPOCH + seconds * 1000).toISOString() }));
}

const usage = (promptTokens: number, completionTokens: number) => ({ promptTokens, completionTokens });
const decided = (callId: string, tool: string, args: Record<string, string>, tokens: [number, number], latencyMs = 800): EventBody => ({
  type: "model_decided",
  data: { callId: cid(callId), tool, args, seenSeq: 1, model: "gpt-test", promptVersion: "pv-1", latencyMs, usage: usage(...tokens) },
});
const byName = (spans: TraceSpan[], prefix: string) => spans.filter((s) => s.name.startsWith(prefix));

const THREE_DAYS = 3 * 86_400;
const SECRET_ARG = "v9.9.9-secret-tag";
const SECRET_TEXT = "please deploy the payments service";
const SECRET_COMMENT = "ship it, Carol";

/** deploybot to production: the model asks to deploy, a human approves three days later, the tool runs, done. */
function deploybot(): Event[] {
  return log(
    [0, ev.launched({ threadId: "t-deploy", agent: "deploybot", message: SECRET_TEXT })],
    [1, decided("c1", "deploy_backend", { tag: SECRET_ARG, environment: "production" }, [120, 30])],
    [1, ev.approvalRequested("r1", { callId: "c1", tool: "deploy_backend", args: { tag: SECRET_ARG } }, { notify: ["email", "slack"] })],
    [2, ev.notificationSent("r1", "email")],
    [THREE_DAYS, { ...ev.responded("r1", { approved: true, comment: SECRET_COMMENT, by: { kind: "link", id: "carol@example.com", verifiedBy: "signed_link" } }), source: { kind: "http" } }],
    [THREE_DAYS, ev.started("c1", "deploy_backend", { tag: SECRET_ARG })],
    [THREE_DAYS + 4, ev.succeeded("c1", "deploy_backend", { deployed: SECRET_ARG })],
    [THREE_DAYS + 5, decided("c2", "done_for_now", { message: "Deployed." }, [200, 40], 1_000)],
    [THREE_DAYS + 5, ev.finished("Deployed.", "c2")],
  );
}

describe("spans derived from the log", () => {
  it("a deploybot thread with an approval is one trace: root, model calls, the tool and the human wait", () => {
    const spans = traceSpans(deploybot(), OFF);
    const trace = traceIdOf("t-deploy");
    const root = spans.find((s) => s.parentSpanId === undefined);
    expect(root).toMatchObject({ name: "invoke_agent deploybot", spanId: spanIdOf("t-deploy", spanKey.root()), status: { code: "unset" } });
    expect(spans.every((s) => s.traceId === trace)).toBe(true);
    expect(spans.filter((s) => s !== root).every((s) => s.parentSpanId === root?.spanId)).toBe(true);
    expect(spans.map((s) => s.name)).toEqual(["chat gpt-test", "human_request approval", "execute_tool deploy_backend", "chat gpt-test", "invoke_agent deploybot"]);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
    expect(root?.attributes).toMatchObject({ [GENAI.agentName]: "deploybot", [GENAI.conversationId]: "t-deploy", [GENAI.agentVersion]: "pv-1", [OURS.threadStatus]: "done" });
  });

  it("the human-wait span lasts exactly as long as the wait, and says who answered and how", () => {
    const [human] = byName(traceSpans(deploybot(), OFF), "human_request");
    expect(human ? human.endMs - human.startMs : 0).toBe((THREE_DAYS - 1) * 1000);
    expect(human?.attributes).toMatchObject({
      [OURS.humanKind]: "approval",
      [OURS.humanOutcome]: "approved",
      [OURS.humanAnsweredBy]: "link:carol@example.com",
      [OURS.humanAnsweredVia]: "http",
      [OURS.humanChannels]: ["email", "slack"],
      [OURS.humanDelivered]: ["email"],
      [GENAI.toolCallId]: "c1",
    });
  });

  it("model spans carry the log's token usage, and the root their sum", () => {
    const spans = traceSpans(deploybot(), OFF);
    const chats = byName(spans, "chat");
    expect(chats.map((s) => [s.attributes[GENAI.inputTokens], s.attributes[GENAI.outputTokens]])).toEqual([[120, 30], [200, 40]]);
    expect((chats[0]?.endMs ?? 0) - (chats[0]?.startMs ?? 0)).toBe(800);
    expect(chats[0]?.attributes).toMatchObject({ [GENAI.operation]: "chat", [GENAI.provider]: "openai", [GENAI.requestModel]: "gpt-test", [GENAI.responseModel]: "gpt-test" });
    const root = spans.at(-1);
    expect([root?.attributes[GENAI.inputTokens], root?.attributes[GENAI.outputTokens]]).toEqual([320, 70]);
  });

  it("the tool span runs from its start to its outcome", () => {
    const [tool] = byName(traceSpans(deploybot(), OFF), "execute_tool");
    expect(tool).toMatchObject({ startMs: EPOCH + THREE_DAYS * 1000, endMs: EPOCH + (THREE_DAYS + 4) * 1000, spanId: spanIdOf("t-deploy", spanKey.tool("c1")) });
    expect(tool?.attributes).toMatchObject({ [GENAI.toolName]: "deploy_backend", [GENAI.toolCallId]: "c1", [OURS.toolOutcome]: "succeeded", [GENAI.toolType]: "function" });
  });

  it("carries no message text, argument value or answer when content capture is off", () => {
    const bytes = JSON.stringify(traceSpans(deploybot(), OFF));
    for (const secret of [SECRET_ARG, SECRET_TEXT, SECRET_COMMENT, "Deployed."]) expect(bytes).not.toContain(secret);
  });

  it("carries them when OTEL_CAPTURE_CONTENT is on", () => {
    const spans = traceSpans(deploybot(), ON);
    const [tool] = byName(spans, "execute_tool");
    expect(tool?.attributes[GENAI.toolArguments]).toBe(JSON.stringify({ tag: SECRET_ARG }));
    expect(JSON.stringify(spans)).toContain(SECRET_TEXT);
    expect(JSON.stringify(spans)).toContain(SECRET_COMMENT);
  });

  it("a failed tool is an error span; outcome_unknown is marked as such", () => {
    const spans = traceSpans(
      log(
        [0, ev.launched({ threadId: "t-fail" })],
        [1, ev.started("c1", "deploy_backend", { tag: "x" })],
        [2, ev.failed("c1", "deploy_backend", "outcome_unknown", "crashed mid-call")],
        [3, ev.threadFailed("internal_error")],
      ),
      OFF,
    );
    const [tool] = byName(spans, "execute_tool");
    expect(tool?.status).toEqual({ code: "error", message: "outcome_unknown" });
    expect(tool?.attributes).toMatchObject({ [GENAI.errorType]: "outcome_unknown", [OURS.toolOutcome]: "unknown" });
    expect(spans.at(-1)).toMatchObject({ status: { code: "error", message: "internal_error" }, attributes: { [GENAI.errorType]: "internal_error" } });
    expect(JSON.stringify(spans)).not.toContain("crashed mid-call");
  });

  it("a retried model call counts the failures before it", () => {
    const failed: EventBody = { type: "model_failed", data: { code: "model_rate_limited", message: "429", seenSeq: 1, model: "gpt-test", promptVersion: "pv-1", latencyMs: 10, retryAt: new Date(EPOCH + 5000).toISOString() } };
    const chats = byName(traceSpans(log([0, ev.launched()], [1, failed], [5, failed], [9, decided("c1", "x", {}, [1, 1])]), OFF), "chat");
    expect(chats.map((s) => s.attributes[OURS.retryCount])).toEqual([0, 1, 2]);
    expect(chats[0]).toMatchObject({ status: { code: "error" }, attributes: { [GENAI.errorType]: "model_rate_limited" } });
  });

  it("an MCP tool carries its server", () => {
    const listed: EventBody = {
      type: "mcp_tools_listed",
      data: { server: "docs", tools: [{ name: "docs_search", server: "docs", remote: "search", description: "", inputSchema: {}, schemaHash: "h" }] },
    };
    const [tool] = byName(traceSpans(log([0, ev.launched()], [1, listed], [2, ev.started("c1", "docs_search", {})], [3, ev.succeeded("c1", "docs_search")]), OFF), "execute_tool");
    expect(tool).toMatchObject({ kind: "client", attributes: { [OURS.mcpServer]: "docs", [GENAI.toolType]: "extension" } });
  });

  it("a child thread is its own trace, linked to its parent's delegate span (which links back)", () => {
    const parentSpans = traceSpans(
      log(
        [0, ev.launched({ threadId: "t-parent", agent: "releasebot" })],
        [1, { type: "agent_delegated", data: { callId: CallId.parse("c9"), tool: "deploy", agent: "deploybot", childThreadId: ThreadId.parse("t-child"), depth: 1, deadline: new Date(EPOCH + 9e6).toISOString() } }],
        [9, ev.succeeded("c9", "deploy")],
      ),
      OFF,
    );
    const launchedChild: EventBody = {
      type: "thread_launched",
      data: { threadId: ThreadId.parse("t-child"), agent: AgentName.parse("deploybot"), message: "m", parent: { threadId: ThreadId.parse("t-parent"), callId: CallId.parse("c9") }, depth: 1 },
    };
    const child = traceSpans(log([1, launchedChild], [8, ev.finished("ok")]), OFF);
    const [delegate] = parentSpans;
    const root = child.at(-1);
    expect(root?.traceId).toBe(traceIdOf("t-child"));
    expect(root?.links).toEqual([{ traceId: delegate?.traceId, spanId: delegate?.spanId, attributes: { [OURS.linkKind]: "delegated_by" } }]);
    expect(delegate?.links).toEqual([{ traceId: root?.traceId, spanId: root?.spanId, attributes: { [OURS.linkKind]: "delegated_to" } }]);
    expect(delegate?.startMs).toBe(EPOCH + 1000);
  });

  it("a fork starts its own trace at the fork, linked to its source's root", () => {
    const events = deploybot().slice(0, 4);
    const forked = Event.parse({ type: "thread_forked", data: { threadId: "t-fork", from: "t-deploy", atSeq: 4 }, seq: 5, at: new Date(EPOCH + 100_000).toISOString() });
    const responded = Event.parse({ ...ev.responded("r1", { approved: false }), seq: 6, at: new Date(EPOCH + 200_000).toISOString() });
    const finished = Event.parse({ ...ev.finished("no"), seq: 7, at: new Date(EPOCH + 300_000).toISOString() });
    const spans = traceSpans([...events, forked, responded, finished], OFF);
    const after = spans.filter((s) => s.endSeq > 4);
    expect(after.every((s) => s.traceId === traceIdOf("t-fork"))).toBe(true);
    const root = after.at(-1);
    expect(root).toMatchObject({ startMs: EPOCH + 100_000, links: [{ traceId: traceIdOf("t-deploy"), spanId: spanIdOf("t-deploy", spanKey.root()) }] });
    expect(after.find((s) => s.name === "human_request approval")?.attributes[OURS.humanOutcome]).toBe("rejected");
  });

  it("open requests and calls end with the thread", () => {
    const spans = traceSpans(log([0, ev.launched()], [1, ev.inputRequested("r1", "which env?")], [2, ev.started("c1", "t", {})], [5, ev.cancelled("stop")]), OFF);
    expect(spans.map((s) => [s.name, s.attributes[OURS.humanOutcome] ?? s.attributes[OURS.toolOutcome] ?? s.attributes[OURS.threadStatus]])).toEqual([
      ["human_request input", "closed"],
      ["execute_tool t", "unfinished"],
      ["invoke_agent deploybot", "cancelled"],
    ]);
  });
});

describe("ids are stable", () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("tool" as const), fail: fc.boolean() }),
    fc.record({ kind: fc.constant("human" as const), approve: fc.boolean() }),
    fc.record({ kind: fc.constant("model" as const), tokens: fc.nat(1000) }),
  );

  /** A random log: tools, human requests and model calls, then the end. */
  function randomLog(steps: { kind: string; fail?: boolean; approve?: boolean; tokens?: number }[]): Event[] {
    const entries: [number, EventBody][] = [[0, ev.launched({ threadId: "t-prop" })]];
    steps.forEach((s, i) => {
      const t = (i + 1) * 10;
      if (s.kind === "tool") entries.push([t, ev.started(`c${i}`, "tool", {})], [t + 1, s.fail ? ev.failed(`c${i}`, "tool", "tool_error", "x") : ev.succeeded(`c${i}`, "tool")]);
      else if (s.kind === "human") entries.push([t, ev.inputRequested(`r${i}`, "?")], [t + 5, ev.responded(`r${i}`, { approved: s.approve ?? false })]);
      else entries.push([t, decided(`m${i}`, "tool", {}, [s.tokens ?? 0, 1])]);
    });
    entries.push([10_000, ev.finished("done")]);
    return log(...entries);
  }

  it("deriving twice, or from any prefix of the log, gives the same spans with the same ids", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), fc.nat(), (steps, cut) => {
        const events = randomLog(steps);
        const full = traceSpans(events, OFF);
        expect(traceSpans(events, OFF)).toEqual(full);
        const prefix = traceSpans(events.slice(0, cut % (events.length + 1)), OFF);
        expect(prefix).toEqual(full.slice(0, prefix.length));
        // Unique ids, every parent present, the root's tokens = the model spans' sum.
        expect(new Set(full.map((s) => s.spanId)).size).toBe(full.length);
        const ids = new Set(full.map((s) => s.spanId));
        expect(full.every((s) => s.parentSpanId === undefined || ids.has(s.parentSpanId))).toBe(true);
        const sum = full.filter((s) => s.name.startsWith("chat")).reduce((n, s) => n + Number(s.attributes[GENAI.inputTokens] ?? 0), 0);
        expect(full.at(-1)?.attributes[GENAI.inputTokens]).toBe(sum);
      }),
    );
  });

  it("trace and span ids are valid OTLP ids (hex, right length, never zero) and differ by thread", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.string(), (thread, key) => {
        expect(traceIdOf(thread)).toMatch(/^[0-9a-f]{32}$/);
        expect(spanIdOf(thread, key)).toMatch(/^[0-9a-f]{16}$/);
        expect(traceIdOf(thread)).not.toBe("0".repeat(32));
        expect(traceIdOf(`${thread}x`)).not.toBe(traceIdOf(thread));
      }),
    );
  });
});
