import { settingInvalid } from "../log";

/**
 * The exporter's settings, read from the standard OpenTelemetry variables. No endpoint =
 * export off: nothing is derived, sent or stored. A value that does not parse switches the
 * export off too, with one `setting_invalid` warning per isolate (docs/observability.md).
 */
export type OtlpConfig = {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces". */
  readonly url: string;
  /** OTEL_EXPORTER_OTLP_HEADERS (a secret): `key=value,key=value`, values percent-decoded. */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly protocol: "http/protobuf" | "http/json";
  /** OTEL_CAPTURE_CONTENT=true: messages, tool arguments and results go into spans. */
  readonly captureContent: boolean;
};

/** The variables this reads; all optional (src/env.d.ts). */
export type OtlpEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;
  OTEL_SERVICE_NAME?: string;
  OTEL_CAPTURE_CONTENT?: string;
};

export const DEFAULT_SERVICE_NAME = "edge-agents";

function invalid(name: string, message: string): undefined {
  settingInvalid(name, { setting: name, message: `${message}; trace export is off` });
  return undefined;
}

function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `k=v,k=v` (W3C baggage style, as the OTel spec defines it); undefined when malformed. */
export function parseHeaders(text: string): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) return undefined;
    const key = pair.slice(0, eq).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) return undefined;
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return headers;
}

export function otlpConfig(env: OtlpEnv): OtlpConfig | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!traces && !base) return undefined;
  const name = traces ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  const url = httpUrl(traces || `${(base ?? "").replace(/\/+$/, "")}/v1/traces`);
  if (!url) return invalid(name, "not an http(s) URL");
  const headers = parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS ?? "");
  if (!headers) return invalid("OTEL_EXPORTER_OTLP_HEADERS", "not key=value,key=value");
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf").trim();
  if (protocol !== "http/protobuf" && protocol !== "http/json") return invalid("OTEL_EXPORTER_OTLP_PROTOCOL", "must be http/protobuf or http/json (grpc is not available from a Worker)");
  return {
    url: url.toString(),
    headers,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    protocol,
    captureContent: env.OTEL_CAPTURE_CONTENT?.trim().toLowerCase() === "true",
  };
}
