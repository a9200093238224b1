/**
 * Miniflare's rate limiter counts in fixed windows aligned to the wall clock
 * (`epoch = floor(Date.now() / period)` in its RateLimiterObject), and that clock runs in
 * miniflare's own worker where no test can drive it. A test that sends limit + 1 requests
 * and expects the last to be refused fails whenever a window boundary falls between them
 * (CI saw 201 for the 4th launch). So such a test first waits, when the current window
 * is nearly over, for the next one to begin: at most `marginMs`, and only then.
 */
export async function awaitFreshRateWindow(periodSeconds: number, marginMs = 10_000): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
