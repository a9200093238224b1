// The eval's own model backoff. An eval is not a thread: it has no log-derived wake-up
// (invariant 9) to wait on, and it must never hold up a thread's alarm, so a question that
// meets a rate limit or an outage waits here, in the queue consumer that asks it, a bounded
// number of times. Pure apart from the injected clock, random source and sleep.

export type RetryPolicy = {
  /** Attempts after the first. */
  readonly retries: number;
  readonly baseMs: number;
  readonly maxMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseMs: 500, maxMs: 30_000 };

/** Failures worth waiting out; anything else (a bad request, a malformed answer) is the answer. */
export const RETRYABLE = new Set(["model_rate_limited", "model_unavailable", "model_timeout", "model_unreachable"]);

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 10.2.3).
 * Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter, or the server's Retry-After if it said; never above maxMs. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(policy.maxMs, retryAfter);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `attempt` until it gives a result that is not retryable or the retries run out.
 * `attempt` reports what the last response said about waiting (its Retry-After).
 */
export async function withRetries<T>(
  attempt: () => Promise<{ result: T; retryable: boolean; retryAfter?: string | null }>,
  options: { policy: RetryPolicy; now: () => number; random: () => number; sleep: (ms: number) => Promise<void> },
): Promise<{ result: T; attempts: number }> {
  for (let n = 0; ; n++) {
    const outcome = await attempt();
    if (!outcome.retryable || n >= options.policy.retries) return { result: outcome.result, attempts: n + 1 };
    await options.sleep(backoffMs(n, options.policy, options.random, retryAfterMs(outcome.retryAfter, options.now())));
  }
}
