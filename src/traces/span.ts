/** One span as derived from the log: plain data, turned into OTLP only at the wire (otlp.ts). */
export type AttributeValue = string | number | boolean | readonly string[];
export type Attributes = Readonly<Record<string, AttributeValue>>;

export type SpanLink = { readonly traceId: string; readonly spanId: string; readonly attributes: Attributes };
export type SpanEvent = { readonly name: string; readonly atMs: number; readonly attributes: Attributes };

export type TraceSpan = {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a thread's root span (a thread is its own trace). */
  readonly parentSpanId?: string;
  readonly name: string;
  /** "client" for calls that leave the Worker (the model, an MCP server), else "internal". */
  readonly kind: "internal" | "client";
  readonly startMs: number;
  readonly endMs: number;
  readonly status: { readonly code: "unset" | "error"; readonly message?: string };
  readonly attributes: Attributes;
  readonly links: readonly SpanLink[];
  readonly events: readonly SpanEvent[];
  /** The seq of the event that ended the span: the export cursor passes it once a collector acknowledged it. */
  readonly endSeq: number;
};
