import { SpanKind, SpanStatusCode, TraceFlags, type Attributes as OtelAttributes, type HrTime } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { OtlpConfig } from "./config";
import type { Attributes, TraceSpan } from "./span";

/**
 * The wire format: our spans as OTLP/HTTP request bodies, encoded by OpenTelemetry's own
 * `@opentelemetry/otlp-transformer` (protobuf or JSON), so the bytes are what every
 * collector expects. The transformer takes the SDK's ReadableSpan; we hand it plain
 * objects of that shape (we have no tracer: the spans come from the log, already ended).
 */
const SCOPE = { name: "edge-agents", version: "1" };

const hrTime = (epochMs: number): HrTime => {
  const whole = Math.floor(epochMs / 1000);
  return [whole, Math.round((epochMs - whole * 1000) * 1e6)];
};

/** Copies, so the SDK types' mutable arrays never alias ours. */
function attrs(a: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(a)) out[key] = typeof value === "object" ? [...value] : value;
  return out;
}

function readable(span: TraceSpan, resource: ReadableSpan["resource"]): ReadableSpan {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  return {
    name: span.name,
    kind: span.kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => context,
    ...(span.parentSpanId ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED } } : {}),
    startTime: hrTime(span.startMs),
    endTime: hrTime(span.endMs),
    duration: hrTime(span.endMs - span.startMs),
    status: span.status.code === "error" ? { code: SpanStatusCode.ERROR, ...(span.status.message ? { message: span.status.message } : {}) } : { code: SpanStatusCode.UNSET },
    attributes: attrs(span.attributes),
    links: span.links.map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: TraceFlags.SAMPLED }, attributes: attrs(l.attributes) })),
    events: span.events.map((e) => ({ name: e.name, time: hrTime(e.atMs), attributes: attrs(e.attributes) })),
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export type OtlpBody = { readonly body: Uint8Array; readonly contentType: string };

/** One ExportTraceServiceRequest holding `spans`. */
export function encodeSpans(spans: readonly TraceSpan[], config: Pick<OtlpConfig, "protocol" | "serviceName">): OtlpBody {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName });
  const records = spans.map((s) => readable(s, resource));
  if (config.protocol === "http/json") return { body: JsonTraceSerializer.serializeRequest(records) ?? new Uint8Array(), contentType: "application/json" };
  return { body: ProtobufTraceSerializer.serializeRequest(records) ?? new Uint8Array(), contentType: "application/x-protobuf" };
}
