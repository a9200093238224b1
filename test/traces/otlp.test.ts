import { describe, expect, it } from "vitest";
import { otlpConfig, parseHeaders } from "../../src/traces/config";
import { spanIdOf, spanKey, traceIdOf } from "../../src/traces/ids";
import { encodeSpans } from "../../src/traces/otlp";
import type { TraceSpan } from "../../src/traces/span";
import { decodeOtlp } from "../support/otlp-decode";

const root: TraceSpan = {
  traceId: traceIdOf("t1"),
  spanId: spanIdOf("t1", spanKey.root()),
  name: "invoke_agent deploybot",
  kind: "internal",
  startMs: 1_700_000_000_123,
  endMs: 1_700_000_360_456,
  status: { code: "error", message: "internal_error" },
  attributes: { "gen_ai.agent.name": "deploybot", "gen_ai.usage.input_tokens": 320, "edge_agents.human.escalated": false, "edge_agents.human.channels": ["email", "slack"] },
  links: [{ traceId: traceIdOf("src"), spanId: spanIdOf("src", spanKey.root()), attributes: { "edge_agents.link": "forked_from" } }],
  events: [{ name: "user_messaged", atMs: 1_700_000_001_000, attributes: {} }],
  endSeq: 9,
};
const child: TraceSpan = { ...root, spanId: spanIdOf("t1", spanKey.model(2)), parentSpanId: root.spanId, name: "chat gpt", kind: "client", status: { code: "unset" }, links: [], events: [] };

describe("the OTLP wire format (otlp-transformer), decoded with the official proto definitions", () => {
  it.each(["http/protobuf", "http/json"] as const)("%s round-trips ids, parents, times, status, attributes and links", (protocol) => {
    const { body, contentType } = encodeSpans([root, child], { protocol, serviceName: "agents-prod" });
    expect(contentType).toBe(protocol === "http/json" ? "application/json" : "application/x-protobuf");
    const [r, c] = decodeOtlp(body, contentType);
    expect(r).toMatchObject({
      traceId: root.traceId,
      spanId: root.spanId,
      name: root.name,
      kind: 1, // INTERNAL on the wire (the API's enum + 1)
      startMs: root.startMs,
      endMs: root.endMs,
      status: { code: 2, message: "internal_error" },
      attributes: root.attributes,
      links: [{ traceId: traceIdOf("src"), spanId: spanIdOf("src", spanKey.root()), attributes: { "edge_agents.link": "forked_from" } }],
      events: [{ name: "user_messaged" }],
      serviceName: "agents-prod",
    });
    expect(r?.parentSpanId).toBeUndefined();
    expect(c).toMatchObject({ parentSpanId: root.spanId, kind: 3, status: { code: 0 } });
  });
});

describe("OTEL_* settings", () => {
  it("is off without an endpoint", () => expect(otlpConfig({ OTEL_SERVICE_NAME: "x" })).toBeUndefined());

  it("appends /v1/traces to the base endpoint, takes the traces endpoint as is", () => {
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/otlp/" })?.url).toBe("https://otlp.example.com/otlp/v1/traces");
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://a.example", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b.example/api/traces" })?.url).toBe("https://b.example/api/traces");
  });

  it("reads headers, service name, protocol and content capture", () => {
    expect(
      otlpConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=abc, Authorization=Basic%20cGs6c2s=",
        OTEL_SERVICE_NAME: "agents",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_CAPTURE_CONTENT: "TRUE",
      }),
    ).toEqual({ url: "http://localhost:4318/v1/traces", headers: { "x-honeycomb-team": "abc", authorization: "Basic cGs6c2s=" }, serviceName: "agents", protocol: "http/json", captureContent: true });
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" })).toMatchObject({ serviceName: "edge-agents", protocol: "http/protobuf", captureContent: false, headers: {} });
  });

  it("switches off on a malformed value instead of sending somewhere wrong", () => {
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" })).toBeUndefined();
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://x" })).toBeUndefined();
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_EXPORTER_OTLP_HEADERS: "novalue" })).toBeUndefined();
    expect(otlpConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://x", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toBeUndefined();
    expect(parseHeaders("a=1,,b=%ZZ")).toBeUndefined();
  });
});
