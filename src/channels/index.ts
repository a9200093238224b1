import type { Channel } from "./notification";
import { webhookChannel } from "./webhook";
import { setting, SETTINGS } from "../settings";

export type { Channel, Notification } from "./notification";

/** The channels configured on this Worker. The API always shows pending requests too. */
export function activeChannels(env: Env, now: () => number): Channel[] {
  const channels: Channel[] = [];
  if (env.HUMAN_WEBHOOK_URL) channels.push(webhookChannel(env.HUMAN_WEBHOOK_URL, env.HUMAN_WEBHOOK_SECRET || undefined, now));
  return channels;
}

/**
 * Outbox retry schedule: 30 s, 1 min, 2 min, 4 min, 8 min, then give up (an event says so).
 * NOTIFY_RETRY_BASE_SECONDS replaces the 30 s base (the e2e tests use 1 s).
 */
export const MAX_NOTIFICATION_ATTEMPTS = 6;
export const DEFAULT_NOTIFY_RETRY_BASE_MS = SETTINGS.NOTIFY_RETRY_BASE_SECONDS.default * 1000;
export function retryDelayMs(attempt: number, baseMs = DEFAULT_NOTIFY_RETRY_BASE_MS): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 60 * 60_000);
}

/** The configured retry base, in ms. */
export function notifyRetryBaseMs(env: Env): number {
  return setting(env, "NOTIFY_RETRY_BASE_SECONDS") * 1000;
}
