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
}

const nameOf = (message: PostedMessage) => `${message.channel}:${message.ts}`;

export async function rememberPost(env: Env, message: PostedMessage, threadId: string): Promise<void> {
  await env.SLACK_DIRECTORY.getByName(nameOf(message)).remember(threadId);
}

export async function threadOfPost(env: Env, message: PostedMessage): Promise<string | undefined> {
  return (await env.SLACK_DIRECTORY.getByName(nameOf(message)).threadOf()) ?? undefined;
}
