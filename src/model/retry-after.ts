/**
 * An HTTP Retry-After header in ms from `now`: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"). Undefined when absent or unreadable; a date in the
 * past is 0. The caller caps it (core/timers.ts).
 */
export function retryAfter(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  // Bounded to a day, so absurd values stay ordinary integers (the cap applied later is far lower).
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, DAY_MS);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, Math.round(at - now)), DAY_MS);
}

const DAY_MS = 86_400_000;
