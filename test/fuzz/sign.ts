/**
 * TEST ONLY: signs a fuzz request for a webhook the way its sender would (GitHub's
 * X-Hub-Signature-256, Slack's v0 scheme), then applies the case's forgery, if any.
 * Kept apart from generate.ts because HMAC is async WebCrypto and generation is not.
 */
import { signHmacSha256 } from "../../src/hmac";
import type { FuzzRequest } from "./generate";

const bytes = (text: string) => new Uint8Array(new TextEncoder().encode(text));

/** The request as sent: unchanged without a `sign` spec. `nowMs` is the Worker's clock. */
export async function signed(request: FuzzRequest, nowMs: number): Promise<FuzzRequest> {
  const spec = request.sign;
  if (!spec) return request;
  const over = spec.over ?? request.body ?? "";
  const headers = { ...request.headers };
  if (spec.scheme === "github") {
    headers["x-hub-signature-256"] = `sha256=${await signHmacSha256(spec.secret, bytes(over))}`;
  } else {
    const timestamp = Math.floor(nowMs / 1000) + (spec.skewSeconds ?? 0);
    headers["x-slack-signature"] = `v0=${await signHmacSha256(spec.secret, bytes(`v0:${timestamp}:${over}`))}`;
    headers["x-slack-request-timestamp"] = spec.sentTimestamp ?? String(timestamp + (spec.sentTimestampDelta ?? 0));
  }
  const header = spec.scheme === "github" ? "x-hub-signature-256" : "x-slack-signature";
  if (spec.mangle) headers[header] = spec.mangle(headers[header] ?? "");
  for (const name of spec.drop ?? []) delete headers[name];
  return { ...request, headers };
}
