import type { SpanEvent } from "./span";

export type TraceOptions = {
  /** OTEL_CAPTURE_CONTENT=true: messages, tool arguments and results, answers. Off: none of them. */
  readonly captureContent: boolean;
};

export type OpenTool = { readonly tool: string; readonly startMs: number; readonly attempts: number; readonly childThreadId?: string; readonly args?: string };
export type OpenHuman = {
  readonly kind: string;
  readonly reason: string;
  readonly startMs: number;
  readonly channels: readonly string[];
  readonly delivered: readonly string[];
  readonly escalatedAtMs?: number;
  readonly onTimeout: string;
  readonly callId?: string;
  readonly tool?: string;
};

/** What the fold remembers between events: the thread and the spans that have started and not ended. */
export type TraceFold = {
  readonly threadId?: string;
  readonly agent?: string;
  readonly variant?: string;
  readonly promptVersion?: string;
  readonly startMs?: number;
  readonly depth?: number;
  readonly message?: string;
  readonly parent?: { readonly threadId: string; readonly callId: string };
  readonly forkedFrom?: { readonly threadId: string; readonly atSeq: number };
  /** Retryable model failures since the last model call that succeeded. */
  readonly modelFailures: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly tools: Readonly<Record<string, OpenTool>>;
  readonly humans: Readonly<Record<string, OpenHuman>>;
  /** MCP tool name -> its server (from mcp_tools_listed). */
  readonly mcp: Readonly<Record<string, string>>;
  readonly rootEvents: readonly SpanEvent[];
  readonly ended: boolean;
};

export const EMPTY_FOLD: TraceFold = { modelFailures: 0, inputTokens: 0, outputTokens: 0, tools: {}, humans: {}, mcp: {}, rootEvents: [], ended: false };

/** Root span events beyond this are dropped: a chatty thread must not grow its root without bound. */
export const MAX_ROOT_EVENTS = 64;

