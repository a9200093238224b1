import { signHmacSha256 } from "../hmac";
import type { Channel, Notification } from "./notification";
import { deliveryId, summary } from "./notification";

/**
 * The generic webhook channel: POST JSON to a configured URL. The body has a `text`
 * field, so a Slack incoming webhook shows it as is. With a secret, the body is signed
 * like GitHub/Stripe webhooks: `X-Agents-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
 */
export function webhookChannel(url: string, secret: string | undefined, now: () => number): Channel {
  return {
    name: "webhook",
    async send(notification: Notification, fetcher: typeof fetch) {
      const body = JSON.stringify({ text: summary(notification), ...notification });
      const timestamp = String(Math.floor(now() / 1000));
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-agents-timestamp": timestamp,
        // Lets the receiver drop duplicates: retries of one notification share it.
        "x-agents-delivery": deliveryId(notification),
      };
      if (secret) headers["x-agents-signature"] = `v1=${await signHmacSha256(secret, `${timestamp}.${body}`)}`;
      const response = await fetcher(url, { method: "POST", headers, body });
      if (!response.ok) throw new Error(`webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    },
  };
}

