import { ApiError } from "./errors";

/** The period of the [[ratelimits]] bindings in wrangler.toml, in seconds (the binding only allows 10 or 60). */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** Bindings already reported missing, so the log says it once per isolate, not per request. */
const reportedMissing = new Set<string>();

/**
 * One call to a Workers Rate Limiting binding. Past the limit: 429 `rate_limited` with
 * Retry-After (the binding does not say when its window resets, so the whole period).
 * No binding (a deployment without [[ratelimits]]) means no limit, never a failure, and
 * one log line that says so.
 */
export async function rateLimit(binding: RateLimit | undefined, key: string, name: string): Promise<void> {
  if (!binding) {
    if (!reportedMissing.has(name)) {
      reportedMissing.add(name);
      console.warn(JSON.stringify({ rateLimit: { binding: name, state: "missing", effect: "no limit" } }));
    }
    return;
  }
  const { success } = await binding.limit({ key });
  if (!success) {
    throw new ApiError(
      429,
      "rate_limited",
      `Too many requests for ${key.slice(0, 80)}; try again in ${RATE_LIMIT_PERIOD_SECONDS} s.`,
      { retryAfterSeconds: RATE_LIMIT_PERIOD_SECONDS },
      { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) },
    );
  }
}
