import type { Channel } from "./notification";
import { webhookChannel } from "./webhook";

export type { Channel, Notification } from "./notification";

/** The channels configured on this Worker. The API always shows pending requests too. */
export function activeChannels(env: Env, now: () => number): Channel[] {
  const channels: Channel[] = [];
  if (env.HUMAN_WEBHOOK_URL) channels.push(webhookChannel(env.HUMAN_WEBHOOK_URL, env.HUMAN_WEBHOOK_SECRET || undefined, now));
  return channels;
}

/** Outbox retry schedule: 30 s, 1 min, 2 min, 4 min, 8 min, then give up (an event says so). */
export const MAX_NOTIFICATION_ATTEMPTS = 6;
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000 * 2 ** (attempt - 1), 60 * 60_000);
}
