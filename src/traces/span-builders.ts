import type { EventOf } from "../core";
import { spanIdOf, spanKey, traceIdOf } from "./ids";
import { GENAI, OPERATION, OURS, PROVIDER_OPENAI } from "./names";
import type { Attributes, SpanLink, TraceSpan } from "./span";
import { MAX_ROOT_EVENTS, type OpenHuman, type TraceFold, type TraceOptions } from "./fold";

// The spans each kind of event ends (spans.ts folds the log and calls these).

export const ms = (at: string): number => Date.parse(at);
const without = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _gone, ...rest } = record;
  return rest;
};
const textMessage = (role: string, text: string): string => JSON.stringify([{ role, parts: [{ type: "text", content: text }] }]);

const ids = (fold: TraceFold) => {
  const threadId = fold.threadId ?? "unknown";
  return { threadId, traceId: traceIdOf(threadId), rootSpanId: spanIdOf(threadId, spanKey.root()) };
};

export function usage(u: { promptTokens: number; completionTokens: number } | undefined): Attributes {
  return u ? { [GENAI.inputTokens]: u.promptTokens, [GENAI.outputTokens]: u.completionTokens } : {};
}

export function withUsage(fold: TraceFold, u: { promptTokens: number; completionTokens: number } | undefined): TraceFold {
  return u ? { ...fold, inputTokens: fold.inputTokens + u.promptTokens, outputTokens: fold.outputTokens + u.completionTokens } : fold;
}

export function rootEvent(fold: TraceFold, name: string, atMs: number, attributes: Attributes): TraceFold {
  if (fold.rootEvents.length >= MAX_ROOT_EVENTS) return fold;
  return { ...fold, rootEvents: [...fold.rootEvents, { name, atMs, attributes }] };
}

function common(fold: TraceFold): Attributes {
  const { threadId } = ids(fold);
  return { [GENAI.conversationId]: threadId, ...(fold.agent ? { [GENAI.agentName]: fold.agent } : {}) };
}

export function chatSpan(fold: TraceFold, seq: number, startMs: number, endMs: number, model: string, extra: Attributes, status: TraceSpan["status"]): TraceSpan {
  const { threadId, traceId, rootSpanId } = ids(fold);
  return {
    traceId,
    spanId: spanIdOf(threadId, spanKey.model(seq)),
    parentSpanId: rootSpanId,
    name: `${OPERATION.chat} ${model}`,
    kind: "client",
    startMs: Math.min(startMs, endMs),
    endMs,
    status,
    attributes: { [GENAI.operation]: OPERATION.chat, [GENAI.provider]: PROVIDER_OPENAI, [GENAI.requestModel]: model, ...common(fold), ...extra },
    links: [],
    events: [],
    endSeq: seq,
  };
}

export function modelCall(fold: TraceFold, event: EventOf<"model_decided"> | EventOf<"model_failed">, options: TraceOptions) {
  const d = event.data;
  const at = ms(event.at);
  const base: Attributes = { [OURS.retryCount]: fold.modelFailures, [GENAI.agentVersion]: d.promptVersion, ...usage(d.usage) };
  const next = { ...withUsage(fold, d.usage), promptVersion: d.promptVersion };
  if (event.type === "model_decided") {
    const attributes = { ...base, [GENAI.responseModel]: d.model, [OURS.decidedTool]: event.data.tool };
    return { fold: { ...next, modelFailures: 0 }, spans: [chatSpan(fold, event.seq, at - d.latencyMs, at, d.model, attributes, { code: "unset" })] };
  }
  const status = { code: "error", message: options.captureContent ? `${event.data.code}: ${event.data.message}` : event.data.code } as const;
  const span = chatSpan(fold, event.seq, at - d.latencyMs, at, d.model, { ...base, [GENAI.errorType]: event.data.code }, status);
  const retrying = event.data.retryAt !== undefined;
  return { fold: { ...next, modelFailures: retrying ? fold.modelFailures + 1 : 0 }, spans: [span] };
}

export function toolOutcome(fold: TraceFold, event: EventOf<"tool_succeeded"> | EventOf<"tool_failed">, options: TraceOptions) {
  const d = event.data;
  const at = ms(event.at);
  // A call refused before it ran (approval rejected, superseded, unknown tool) has no start: a span of no length.
  const open = fold.tools[d.callId] ?? { tool: d.tool, startMs: at, attempts: 0 };
  const server = fold.mcp[d.tool];
  const failed = event.type === "tool_failed" ? event.data : undefined;
  const outcome = failed ? (failed.code === "outcome_unknown" ? "unknown" : "failed") : "succeeded";
  const content: Attributes = options.captureContent
    ? { ...(open.args !== undefined ? { [GENAI.toolArguments]: open.args } : {}), ...(event.type === "tool_succeeded" ? { [GENAI.toolResult]: JSON.stringify(event.data.result) } : {}) }
    : {};
  const attributes: Attributes = {
    [GENAI.operation]: OPERATION.executeTool,
    [GENAI.toolName]: d.tool,
    [GENAI.toolCallId]: d.callId,
    [GENAI.toolType]: server ? "extension" : "function",
    [OURS.toolOutcome]: outcome,
    [OURS.toolAttempts]: open.attempts,
    ...common(fold),
    ...(server ? { [OURS.mcpServer]: server } : {}),
    ...(open.childThreadId ? { [OURS.childThread]: open.childThreadId } : {}),
    ...(event.type === "tool_succeeded" && event.data.truncatedFromBytes ? { [OURS.truncatedFrom]: event.data.truncatedFromBytes } : {}),
    ...(failed ? { [GENAI.errorType]: failed.code } : {}),
    ...content,
  };
  const status = failed ? ({ code: "error", message: options.captureContent ? `${failed.code}: ${failed.message}` : failed.code } as const) : ({ code: "unset" } as const);
  const { threadId, traceId, rootSpanId } = ids(fold);
  const child = open.childThreadId;
  const span: TraceSpan = {
    traceId,
    spanId: spanIdOf(threadId, spanKey.tool(d.callId)),
    parentSpanId: rootSpanId,
    name: `${OPERATION.executeTool} ${d.tool}`,
    kind: server ? "client" : "internal",
    startMs: open.startMs,
    endMs: at,
    status,
    attributes,
    links: child ? [{ traceId: traceIdOf(child), spanId: spanIdOf(child, spanKey.root()), attributes: { [OURS.linkKind]: "delegated_to" } }] : [],
    events: [],
    endSeq: event.seq,
  };
  return { fold: { ...fold, tools: without(fold.tools, d.callId) }, spans: [span] };
}

function humanSpan(fold: TraceFold, requestId: string, open: OpenHuman, endMs: number, endSeq: number, outcome: string, extra: Attributes): TraceSpan {
  const { threadId, traceId, rootSpanId } = ids(fold);
  return {
    traceId,
    spanId: spanIdOf(threadId, spanKey.human(requestId)),
    parentSpanId: rootSpanId,
    name: `human_request ${open.kind}`,
    kind: "internal",
    startMs: open.startMs,
    endMs,
    status: { code: "unset" },
    attributes: {
      ...common(fold),
      [OURS.humanRequestId]: requestId,
      [OURS.humanKind]: open.kind,
      [OURS.humanReason]: open.reason,
      [OURS.humanChannels]: open.channels,
      [OURS.humanDelivered]: open.delivered,
      [OURS.humanOutcome]: outcome,
      [OURS.humanEscalated]: open.escalatedAtMs !== undefined,
      [OURS.humanOnTimeout]: open.onTimeout,
      ...(open.callId ? { [GENAI.toolCallId]: open.callId } : {}),
      ...(open.tool ? { [GENAI.toolName]: open.tool } : {}),
      ...extra,
    },
    links: [],
    events: open.escalatedAtMs !== undefined ? [{ name: "escalated", atMs: open.escalatedAtMs, attributes: {} }] : [],
    endSeq,
  };
}

export function closeHuman(fold: TraceFold, requestId: string, open: OpenHuman, at: number, seq: number, outcome: string, extra: Attributes) {
  return { fold: { ...fold, humans: without(fold.humans, requestId) }, spans: [humanSpan(fold, requestId, open, at, seq, outcome, extra)] };
}

export function endThread(fold: TraceFold, event: EventOf<"thread_finished"> | EventOf<"thread_failed"> | EventOf<"thread_cancelled">, options: TraceOptions) {
  const at = ms(event.at);
  const { threadId, traceId, rootSpanId } = ids(fold);
  // Whatever is still open ends with the thread.
  const humans = Object.entries(fold.humans).map(([id, open]) => humanSpan(fold, id, open, at, event.seq, "closed", {}));
  const tools = Object.entries(fold.tools).map(([callId, open]): TraceSpan => ({
    traceId,
    spanId: spanIdOf(threadId, spanKey.tool(callId)),
    parentSpanId: rootSpanId,
    name: `${OPERATION.executeTool} ${open.tool}`,
    kind: "internal",
    startMs: open.startMs,
    endMs: at,
    status: { code: "unset" },
    attributes: { [GENAI.operation]: OPERATION.executeTool, [GENAI.toolName]: open.tool, [GENAI.toolCallId]: callId, [OURS.toolOutcome]: "unfinished", ...common(fold) },
    links: [],
    events: [],
    endSeq: event.seq,
  }));
  const status = event.type === "thread_failed" ? ({ code: "error", message: event.data.code } as const) : ({ code: "unset" } as const);
  const links: SpanLink[] = [
    ...(fold.parent ? [{ traceId: traceIdOf(fold.parent.threadId), spanId: spanIdOf(fold.parent.threadId, spanKey.tool(fold.parent.callId)), attributes: { [OURS.linkKind]: "delegated_by" } }] : []),
    ...(fold.forkedFrom ? [{ traceId: traceIdOf(fold.forkedFrom.threadId), spanId: spanIdOf(fold.forkedFrom.threadId, spanKey.root()), attributes: { [OURS.linkKind]: "forked_from" } }] : []),
  ];
  const output: Attributes = options.captureContent && event.type === "thread_finished" ? { [GENAI.outputMessages]: textMessage("assistant", event.data.message) } : {};
  const root: TraceSpan = {
    traceId,
    spanId: rootSpanId,
    name: `${OPERATION.invokeAgent} ${fold.agent ?? "agent"}`,
    kind: "internal",
    startMs: fold.startMs ?? at,
    endMs: at,
    status,
    attributes: {
      [GENAI.operation]: OPERATION.invokeAgent,
      [GENAI.provider]: PROVIDER_OPENAI,
      ...common(fold),
      [OURS.threadStatus]: event.type === "thread_finished" ? "done" : event.type === "thread_failed" ? "failed" : "cancelled",
      [GENAI.inputTokens]: fold.inputTokens,
      [GENAI.outputTokens]: fold.outputTokens,
      ...(event.type === "thread_failed" ? { [GENAI.errorType]: event.data.code } : {}),
      ...(fold.variant !== undefined ? { [OURS.variant]: fold.variant } : {}),
      ...(fold.promptVersion !== undefined ? { [GENAI.agentVersion]: fold.promptVersion } : {}),
      ...(fold.depth !== undefined ? { [OURS.depth]: fold.depth } : {}),
      ...(fold.parent ? { [OURS.parentThread]: fold.parent.threadId } : {}),
      ...(fold.forkedFrom ? { [OURS.forkedFrom]: fold.forkedFrom.threadId, [OURS.forkedAtSeq]: fold.forkedFrom.atSeq } : {}),
      ...(fold.message !== undefined ? { [GENAI.inputMessages]: textMessage("user", fold.message) } : {}),
      ...output,
    },
    links,
    events: fold.rootEvents,
    endSeq: event.seq,
  };
  return { fold: { ...fold, tools: {}, humans: {}, ended: true }, spans: [...humans, ...tools, root] };
}
