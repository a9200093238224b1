import type { AgentDefinition } from "../../agents";
import { callSlack, SlackError } from "../../channels/slack/api";
import { endedMessage, fullMessage, requestMessage, resultMessage, type RequestEnd, type SlackMessage } from "../../channels/slack/blocks";
import { slackChannelOf, slackConfig, type SlackConfig } from "../../channels/slack/config";
import { FULL_NOTIFICATION, pendingView, type OutboxItem, type PendingRequest, type PendingView, type PostedMessage, type ThreadState } from "../../core";
import type { ThreadLog } from "../log/thread-log";
import { logLine } from "../../log";

export type SlackOutboxHost = {
  readonly env: Env;
  readonly log: ThreadLog;
  readonly fetch: typeof fetch;
  readonly agent: AgentDefinition | undefined;
  withLink(request: PendingView, to: string): Promise<PendingView>;
  /** Remembers which thread a posted message belongs to, so replies in its Slack thread find it. */
  remember(message: PostedMessage, threadId: string): Promise<void>;
};

/** Whether this thread's requests go to Slack: a token, and a channel for this thread. */
export function slackWanted(env: Env, state: ThreadState | undefined, agent: AgentDefinition | undefined): boolean {
  const config = slackConfig(env);
  return Boolean(config && slackChannelOf(config, state, agent?.slack?.channel));
}

/**
 * Sends one outbox item of the Slack channel: posts a request (or its escalation, or the
 * thread's outcome) with chat.postMessage, or updates a closed request's messages with
 * chat.update. The first post of a thread roots a Slack thread; later posts reply in it
 * (broadcast to the channel). Throws a SlackError on failure (the outbox retries, after
 * Slack's Retry-After on a 429); undefined when there is nothing left to send.
 */
export async function sendSlack(host: SlackOutboxHost, item: OutboxItem, state: ThreadState): Promise<{ posted?: PostedMessage } | undefined> {
  const config = slackConfig(host.env);
  if (!config) throw new SlackError("not_configured", "SLACK_BOT_TOKEN is not set: Slack is off", { permanent: true });
  if (item.purpose === "closed") {
    await updateEnded(host, config, item, state);
    return {};
  }
  const channel = slackChannelOf(config, state, host.agent?.slack?.channel);
  if (!channel) throw new SlackError("no_channel", `thread ${state.id} has no Slack channel (SLACK_APPROVAL_CHANNEL)`, { permanent: true });
  const message = await messageOf(host, item, state);
  if (!message) return undefined;
  const root = state.chatThread?.channel === channel ? state.chatThread.ts : undefined;
  // Before the post, so a failed update retries without posting the escalation twice.
  if (item.purpose === "escalation") await markEscalated(host, config, item, state);
  const answer = await callSlack(
    config,
    "chat.postMessage",
    { channel, text: message.text, blocks: message.blocks, unfurl_links: false, ...(root ? { thread_ts: root, reply_broadcast: item.purpose !== "result" } : {}) },
    host.fetch,
  );
  if (!answer.ts) throw new SlackError("malformed_answer", "Slack chat.postMessage answered without a ts");
  const posted = { channel: answer.channel ?? channel, ts: answer.ts };
  // Replies in the Slack thread carry the root's ts: only a root needs remembering. Best
  // effort: failing here would retry the post and show the request twice; the buttons work
  // without it, only replies in this Slack thread would not find the thread.
  if (!root) await host.remember(posted, state.id).catch((error: unknown) => logLine("slack_remember_failed", { threadId: state.id, error: String(error) }, "warn"));
  return { posted };
}

async function messageOf(host: SlackOutboxHost, item: OutboxItem, state: ThreadState): Promise<SlackMessage | undefined> {
  const contact = host.env.ESCALATION_CONTACT || undefined;
  if (item.purpose === "result") {
    const end = state.end;
    return end && end.status !== "cancelled" ? resultMessage(state.id, state.agent, end.status === "done" ? end : { status: "failed", message: `${end.code}: ${end.message}` }) : undefined;
  }
  if (item.requestId === FULL_NOTIFICATION) return state.full ? fullMessage(state.id, state.agent, state.full, contact) : undefined;
  const request = state.pending.find((r) => r.requestId === item.requestId);
  if (!request) return undefined; // answered or closed meanwhile
  const view = await host.withLink(pendingView(request), "slack");
  return requestMessage({ agent: state.agent, threadId: state.id, request: view, ...(item.purpose === "escalation" ? { escalation: contact ? { contact } : {} } : {}) });
}

/** An escalation re-posts the request; the earlier message says so and keeps its buttons (the request is still open). */
async function markEscalated(host: SlackOutboxHost, config: SlackConfig, item: OutboxItem, state: ThreadState): Promise<void> {
  const request = state.pending.find((r) => r.requestId === item.requestId);
  if (!request) return;
  const contact = host.env.ESCALATION_CONTACT || undefined;
  for (const post of state.posted ?? []) {
    if (post.requestId !== item.requestId || post.channel !== item.channel) continue;
    const view = await host.withLink(pendingView(request), "slack");
    const message = requestMessage({ agent: state.agent, threadId: state.id, request: view, escalation: contact ? { contact } : {} });
    await callSlack(config, "chat.update", { channel: post.message.channel, ts: post.message.ts, text: message.text, blocks: message.blocks }, host.fetch);
  }
}

/** Every message posted for the request, updated in place: who decided and when, no buttons. */
async function updateEnded(host: SlackOutboxHost, config: SlackConfig, item: OutboxItem, state: ThreadState): Promise<void> {
  const asked = host.log.store.byKey(`request:${item.requestId}`);
  if (asked?.type !== "human_requested") return;
  const request: PendingRequest = { ...asked.data, requestedAt: asked.at, seq: asked.seq, escalated: false };
  const message = endedMessage({ agent: state.agent, threadId: state.id, request: pendingView(request) }, endOf(host.log, item.requestId, state));
  for (const posted of item.messages ?? []) {
    await callSlack(config, "chat.update", { channel: posted.channel, ts: posted.ts, text: message.text, blocks: message.blocks }, host.fetch);
  }
}

/** What ended the request, as the log says. */
export function endOf(log: ThreadLog, requestId: string, state: ThreadState): RequestEnd {
  const closing = log.store.closingsOf(requestId)[0];
  if (closing?.type === "human_timed_out") return { how: "timed_out", at: closing.at };
  if (closing?.type === "human_responded") {
    const how = closing.data.approved === true ? "approved" : closing.data.approved === false ? "rejected" : "answered";
    return { how, by: closing.data.by, at: closing.at };
  }
  if (state.end) return { how: "withdrawn", at: state.endedAt ?? state.updatedAt, why: `the thread was ${state.end.status}` };
  return { how: "answered_by_message" };
}
