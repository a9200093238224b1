/// <reference types="node" />
/**
 * Decodes OTLP/HTTP trace requests with the official OpenTelemetry protobuf definitions:
 * the protobufjs root that @opentelemetry/otlp-transformer 0.52 generated from
 * opentelemetry-proto (installed dev-only as `otlp-proto-root`). Both encodings: binary
 * protobuf, and OTLP JSON (hex ids, read through the same message types' fromObject).
 * Node only (tests and the e2e receiver).
 */
import { createRequire } from "node:module";

type Message = { toJSON(): unknown };
type MessageType = { decode(bytes: Uint8Array): Message; fromObject(value: unknown): Message; toObject(m: Message, options: object): Record<string, unknown> };
const require = createRequire(import.meta.url);
const root = require("otlp-proto-root/build/src/generated/root.js") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
};
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type DecodedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  events: { name: string }[];
  serviceName?: string;
};

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}
const attributes = (kvs: KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, value(kv.value)]));
const hex = (b: unknown) => (typeof b === "string" ? Buffer.from(b, "base64") : Buffer.from(b as Uint8Array)).toString("hex");
const nanosToMs = (n: unknown) => Number(BigInt(String(n)) / 1_000_000n);

function fromHexIds(json: unknown): unknown {
  // OTLP JSON carries ids as hex; the protobuf JSON mapping reads bytes as base64.
  return JSON.parse(JSON.stringify(json), (key, v: unknown) =>
    (key === "traceId" || key === "spanId" || key === "parentSpanId") && typeof v === "string" ? Buffer.from(v, "hex").toString("base64") : v,
  );
}

/** Every span in one request body. */
export function decodeOtlp(body: Uint8Array, contentType: string): DecodedSpan[] {
  const message = contentType.includes("json") ? Request.fromObject(fromHexIds(JSON.parse(Buffer.from(body).toString("utf8")))) : Request.decode(body);
  const object = Request.toObject(message, { longs: String, bytes: String, defaults: false }) as {
    resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
  };
  const out: DecodedSpan[] = [];
  for (const rs of object.resourceSpans ?? []) {
    const serviceName = attributes(rs.resource?.attributes)["service.name"];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const status = (s["status"] ?? {}) as { code?: number; message?: string };
        out.push({
          traceId: hex(s["traceId"]),
          spanId: hex(s["spanId"]),
          ...(s["parentSpanId"] && hex(s["parentSpanId"]) !== "" ? { parentSpanId: hex(s["parentSpanId"]) } : {}),
          name: String(s["name"]),
          kind: Number(s["kind"] ?? 0),
          startMs: nanosToMs(s["startTimeUnixNano"]),
          endMs: nanosToMs(s["endTimeUnixNano"]),
          status: { code: status.code ?? 0, ...(status.message ? { message: status.message } : {}) },
          attributes: attributes(s["attributes"] as KeyValue[] | undefined),
          links: ((s["links"] ?? []) as { traceId: unknown; spanId: unknown; attributes?: KeyValue[] }[]).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: attributes(l.attributes) })),
          events: ((s["events"] ?? []) as { name: string }[]).map((e) => ({ name: e.name })),
          ...(typeof serviceName === "string" ? { serviceName } : {}),
        });
      }
    }
  }
  return out;
}
