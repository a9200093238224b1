import { z } from "zod";
import { concatBytes, verifyHmacSha256 } from "../../hmac";
import { clip, DeliveryId, threadReference, type Delivery, type Mapped, type Verification, type WebhookSource } from "./source";
import { replyInThread } from "../slack/replies";

// Slack's v0 scheme: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>`
// with `X-Slack-Request-Timestamp` in seconds. A timestamp more than five minutes from our
// clock is refused, so a captured request cannot be replayed later.

export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export async function verifySlack(delivery: Delivery, secret: string): Promise<Verification> {
  const signature = delivery.headers.get("x-slack-signature");
  const timestamp = delivery.headers.get("x-slack-request-timestamp");
  if (!signature || !timestamp) {
    return { ok: false, code: "missing_signature", message: "X-Slack-Signature and X-Slack-Request-Timestamp are required." };
  }
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(delivery.now / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) {
    return { ok: false, code: "stale_timestamp", message: "X-Slack-Request-Timestamp is more than 5 minutes from now." };
  }
  const hex = signature.startsWith("v0=") ? signature.slice(3) : "";
  const base = concatBytes(new TextEncoder().encode(`v0:${timestamp}:`), delivery.body);
  if (!(await verifyHmacSha256(secret, base, hex))) {
    return { ok: false, code: "bad_signature", message: "X-Slack-Signature does not match the body." };
  }
  return { ok: true };
}

const UrlVerification = z.object({ type: z.literal("url_verification"), challenge: z.string().max(500) });

const EventCallback = z.object({
  type: z.literal("event_callback"),
  event_id: DeliveryId,
  team_id: z.string().optional(),
  event: z.object({
    type: z.string(),
    text: z.string().optional(),
    user: z.string().optional(),
    channel: z.string().optional(),
    bot_id: z.string().optional(),
    /** Edits, joins, bot posts...: not a person's new message. */
    subtype: z.string().optional(),
    team: z.string().optional(),
    ts: z.string().max(40).optional(),
    thread_ts: z.string().max(40).optional(),
  }),
});

const Envelope = z.object({ type: z.string() });

/**
 * Events API (JSON) only. `url_verification` is answered with its challenge. An
 * `app_mention` or `message` containing `thread:<id>` is a message to that thread; a reply
 * in the Slack thread of a message an agent thread posted answers that thread's open
 * question (or messages it); any other `app_mention` launches `onMention` (deploybot) with
 * the text. Bot messages and subtypes (edits, our own posts) are ignored so an agent's own
 * notifications never loop back in.
 */
export function slack(options: { onMention: string }): WebhookSource {
  return {
    name: "slack",
    agents: [options.onMention],
    secret: (env) => env.WEBHOOK_SECRET_SLACK,
    verify: verifySlack,
    map: (payload): Mapped => {
      const { type } = Envelope.parse(payload);
      if (type === "url_verification") return { action: { kind: "reply", body: { challenge: UrlVerification.parse(payload).challenge } } };
      if (type !== "event_callback") return { action: { kind: "ignore", reason: `Slack payload type "${type.slice(0, 40)}" is not mapped` } };
      const p = EventCallback.parse(payload);
      const { event } = p;
      const detail = { eventType: event.type, ...(p.team_id ? { team: p.team_id } : {}), ...(event.channel ? { channel: event.channel } : {}) };
      const deliveryId = p.event_id;
      const text = event.text?.trim() ?? "";
      if (event.bot_id || event.subtype || !text || (event.type !== "app_mention" && event.type !== "message")) {
        return { deliveryId, detail, action: { kind: "ignore", reason: "not a person's message" } };
      }
      const reference = threadReference(text);
      if (reference) return { deliveryId, detail, action: { kind: "message", threadId: reference.threadId, text: clip(reference.text) } };
      // A reply in the Slack thread of a message we posted (docs/slack.md): its agent thread decides.
      const team = p.team_id ?? event.team;
      if (event.thread_ts && event.thread_ts !== event.ts && event.channel && event.user && team) {
        const reply = { channel: event.channel, threadTs: event.thread_ts, team, user: event.user, text: clip(text) };
        return { deliveryId, detail: { ...detail, user: event.user }, action: { kind: "run", run: (env, key, source) => replyInThread(env, reply, key, source) } };
      }
      if (event.type !== "app_mention") return { deliveryId, detail, action: { kind: "ignore", reason: "a message that names no thread" } };
      return {
        deliveryId,
        detail,
        action: { kind: "launch", agent: options.onMention, message: clip(text), metadata: { slackChannel: event.channel ?? "", slackUser: event.user ?? "" } },
      };
    },
  };
}
