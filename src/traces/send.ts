import type { OtlpConfig } from "./config";
import type { OtlpBody } from "./otlp";

/**
 * One POST of one batch to the collector, and what to do next (the OTLP/HTTP spec's
 * retry rules): 2xx is acknowledged; 429, 502, 503, 504 and any other 5xx, 401/403 (a key
 * that may be fixed) and a network error are retried with backoff, honouring Retry-After;
 * any other 4xx (the collector cannot parse what we sent: sending it again changes
 * nothing) drops the batch, loudly.
 */
export type SendResult =
  | { readonly kind: "acknowledged" }
  | { readonly kind: "retry"; readonly status?: number; readonly retryAfterMs?: number; readonly message: string }
  | { readonly kind: "rejected"; readonly status: number; readonly message: string };

export type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** A request that takes longer than this is abandoned and retried. */
export const SEND_TIMEOUT_MS = 10_000;

export async function sendBatch(fetch: Fetch, config: OtlpConfig, body: OtlpBody): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: "POST",
      headers: { ...config.headers, "content-type": body.contentType },
      body: body.body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: "retry", message: error instanceof Error ? error.message : String(error) };
  }
  // Read (and so release) the body; its text explains a refusal.
  const text = (await response.text().catch(() => "")).slice(0, 300);
  if (response.ok) return { kind: "acknowledged" };
  const status = response.status;
  if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 408) {
    const retryAfterMs = retryAfter(response.headers.get("retry-after"));
    return { kind: "retry", status, message: text || response.statusText, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: "rejected", status, message: text || response.statusText };
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export const EXPORT_RETRY_BASE_MS = 1_000;
/** Five minutes: a collector down for an hour is tried about a dozen times a thread, and nothing is lost meanwhile. */
export const EXPORT_RETRY_MAX_MS = 300_000;

/** Exponential (1 s, 2 s, 4 s, ... 5 min) with jitter in [0.5, 1), never shorter than Retry-After (capped at the maximum). */
export function exportRetryDelayMs(failures: number, jitter: number, retryAfterMs?: number): number {
  const exponential = Math.min(EXPORT_RETRY_MAX_MS, EXPORT_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  const jittered = Math.floor(exponential * (0.5 + Math.min(Math.max(jitter, 0), 1) / 2));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, EXPORT_RETRY_MAX_MS));
}
