import { DurableObject } from "cloudflare:workers";
import type { PostedMessage } from "../../core";

/**
 * Which agent thread a posted Slack message belongs to, so a reply in its Slack thread
 * (an Events API `message` with `thread_ts`) reaches that thread. One tiny object per
 * message, named `<channel>:<ts>`: written once when the message is posted, read per reply.
 */
export class SlackDirectory extends DurableObject<Env> {
  remember(threadId: string): void {
    this.ctx.storage.kv.put("thread", threadId);
  }

  threadOf(): string | null {
    const threadId = this.ctx.storage.kv.get("thread");
    return typeof threadId === "string" ? threadId : null;
  }

  /**
   * Pins what a reply in this message's Slack thread was taken as (the request it answered,
   * or "message"): the first decision for an event id wins, so a redelivery is routed the
   * same way (and the thread's idempotency key makes it append nothing), even after the
   * question it answered has closed.
   */
  pin(eventId: string, decision: string): string {
    const key = `reply:${eventId}`;
    const pinned = this.ctx.storage.kv.get(key);
    if (typeof pinned === "string") return pinned;
    this.ctx.storage.kv.put(key, decision);
    return decision;
  }
}

const nameOf = (message: PostedMessage) => `${message.channel}:${message.ts}`;

export async function rememberPost(env: Env, message: PostedMessage, threadId: string): Promise<void> {
  await env.SLACK_DIRECTORY.getByName(nameOf(message)).remember(threadId);
}

export async function pinReply(env: Env, root: PostedMessage, eventId: string, decision: string): Promise<string> {
  return env.SLACK_DIRECTORY.getByName(nameOf(root)).pin(eventId, decision);
}

export async function threadOfPost(env: Env, message: PostedMessage): Promise<string | undefined> {
  return (await env.SLACK_DIRECTORY.getByName(nameOf(message)).threadOf()) ?? undefined;
}
