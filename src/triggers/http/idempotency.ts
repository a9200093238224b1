import { sha256Hex } from "../../hmac";
import { ApiError } from "./errors";
import { IdempotencyKey } from "./schemas";

// Idempotency-Key on the POST routes that create something (a launch, a fork, an eval): the
// key names what it creates, so a retried request finds the same thing instead of a second one.

/** The request's Idempotency-Key, checked; undefined when absent. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(header);
  if (!parsed.success) throw new ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-200 printable ASCII characters.");
  return parsed.data;
}

/** 32 hex digits of SHA-256 over the parts: the same parts (scope and key) always name the same thing. */
export async function keyedHex(...parts: readonly string[]): Promise<string> {
  return (await sha256Hex(parts.join("\n"))).slice(0, 32);
}
