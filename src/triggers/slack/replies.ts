import { pinReply, threadOfPost } from "../../channels/slack/directory";
import { RequestId, ThreadId, type EventSource, type JsonObject } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import { ApiError } from "../http/errors";
import { slackPrincipal } from "./principal";

// A person's reply in the Slack thread of a message we posted (an Events API `message`
// with `thread_ts`): the answer to the thread's open question, as the verified Slack user,
// or else a user message to the agent's thread. The event's id keys it, so Slack's
// redeliveries of one event append nothing more. Bots (our own posts too) never get here:
// the mapping ignores messages with a bot_id or a subtype.

export type ThreadReply = { readonly channel: string; readonly threadTs: string; readonly team: string; readonly user: string; readonly text: string };

export async function replyInThread(env: Env, reply: ThreadReply, key: string, source: EventSource): Promise<{ status: 200 | 202; body: JsonObject }> {
  const root = { channel: reply.channel, ts: reply.threadTs };
  const found = await threadOfPost(env, root);
  const threadId = found ? ThreadId.safeParse(found) : undefined;
  if (!threadId?.success) return { status: 200, body: { action: "ignored", reason: "a reply in a Slack thread that no agent thread posted" } };
  const stub = threadStub(env, threadId.data);
  const question = (await stub.thread())?.pendingRequests.find((r) => r.kind === "input");
  const target = await pinReply(env, root, key, question ? `answer:${question.requestId}` : MESSAGE);
  if (target !== MESSAGE) {
    const requestId = RequestId.parse(target.slice("answer:".length));
    const result = await stub.respond({ requestId, answer: reply.text, by: slackPrincipal(reply.team, reply.user) }, `slack:${key}`, source);
    if (!result.ok) throw ApiError.from(result.rejection);
    return { status: result.value.duplicate ? 200 : 202, body: { action: result.value.duplicate ? "duplicate" : "answered", thread: threadId.data, request: requestId } };
  }
  const result = await stub.message(reply.text, `webhook:slack:${key}`, source);
  if (!result.ok) throw ApiError.from(result.rejection);
  return { status: result.value.duplicate ? 200 : 202, body: { action: result.value.duplicate ? "duplicate" : "messaged", thread: threadId.data } };
}

const MESSAGE = "message";
