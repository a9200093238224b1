import { z } from "zod";
import type { AgentRegistry } from "../../agents";
import { escapeText } from "../../channels/slack/blocks";
import { SLACK_CHANNEL, slackConfig, slackUserAllowed } from "../../channels/slack/config";
import { ThreadId, type EventSource } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import { sha256Hex } from "../../hmac";
import { logLine } from "../../log";
import { clip } from "../webhooks/source";

// A slash command (`/deploybot deploy v1.2.3 to staging`) launches a thread of the agent
// the command names, as the Slack user who typed it. Slack wants an answer within 3 s, so
// the route answers at once and launches after the response. The thread id derives from
// Slack's trigger_id, which a retry (X-Slack-Retry-Num) or replay of the same command
// carries unchanged: however often it arrives, it launches one thread. The thread's
// requests and its outcome go to the command's channel, in one Slack thread.

const Id = z.string().regex(/^[A-Z0-9]{1,40}$/);

export const SlashCommand = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]{1,32}$/, "a slash command such as /deploybot"),
  text: z.string().max(4_000),
  user_id: Id,
  team_id: Id,
  channel_id: Id,
  trigger_id: z.string().min(1).max(255),
  response_url: z.url().max(2_000).optional(),
});
export type SlashCommand = z.infer<typeof SlashCommand>;

/** What Slack shows the user at once (the command's synchronous answer). */
export type CommandAnswer = { readonly response_type: "ephemeral" | "in_channel"; readonly text: string };

/** The plan for one command: what to answer now, and the launch to do after the answer (if any). */
export type CommandPlan = { readonly answer: CommandAnswer; readonly launch?: () => Promise<void> };

export function commandOf(form: URLSearchParams): SlashCommand {
  return SlashCommand.parse(Object.fromEntries(form)); // a ZodError is a 400 (onError)
}

export async function threadIdOf(command: SlashCommand): Promise<ThreadId> {
  return ThreadId.parse(`slack-${(await sha256Hex(new TextEncoder().encode(command.trigger_id))).slice(0, 40)}`);
}

export async function planCommand(env: Env, agents: AgentRegistry, command: SlashCommand, fetcher: typeof fetch): Promise<CommandPlan> {
  const name = command.command.slice(1);
  const agent = agents.get(name);
  if (!agent) return { answer: { response_type: "ephemeral", text: `There is no agent named ${name}. Agents: ${[...agents.keys()].join(", ")}.` } };
  if (!slackUserAllowed(env.SLACK_ALLOWED_USERS, command.team_id, command.user_id)) {
    logLine("slack_command_refused", { agent: name, user: command.user_id, team: command.team_id, code: "not_allowed" }, "warn");
    return { answer: { response_type: "ephemeral", text: `You may not launch agents from Slack (SLACK_ALLOWED_USERS). Nothing was started.` } };
  }
  const text = command.text.trim();
  if (!text) return { answer: { response_type: "ephemeral", text: `Tell ${name} what to do, e.g. \`${command.command} ${exampleFor(name)}\`.` } };
  const threadId = await threadIdOf(command);
  const source: EventSource = {
    kind: "webhook",
    detail: { source: "slack", command: command.command, user: command.user_id, team: command.team_id, channel: command.channel_id },
  };
  const launch = async () => {
    const result = await threadStub(env, threadId).launch(
      {
        threadId,
        agent: name,
        message: clip(text),
        metadata: { slackChannel: command.channel_id, slackUser: command.user_id, slackTeam: command.team_id },
        ...(slackConfig(env) ? { replyChannels: [SLACK_CHANNEL] } : {}),
        // The same identity a click of this user answers as (interactions.ts).
        by: { kind: "slack", id: `${command.team_id}:${command.user_id}`, verifiedBy: "slack_signature" },
      },
      source,
    );
    logLine("slack_command", { threadId, agent: name, user: command.user_id, outcome: result.ok ? (result.value.created ? "launched" : "duplicate") : result.rejection.code });
    if (!result.ok) await tellLater(env, fetcher, command.response_url, `${name} could not start: ${result.rejection.message}`);
  };
  return {
    answer: { response_type: "in_channel", text: `<@${command.user_id}> asked *${name}*: ${escapeText(text)} (thread \`${threadId}\`)` },
    launch,
  };
}

const exampleFor = (agent: string) => (agent === "deploybot" ? "deploy v1.2.3 to staging" : "what you want done");

/**
 * A late answer to the command through its response_url. Only Slack's own hooks host (or,
 * in tests, the configured API's host) is fetched: the URL comes from the signed payload,
 * but a server that fetches URLs it is handed should still name where it may go.
 */
async function tellLater(env: Env, fetcher: typeof fetch, responseUrl: string | undefined, text: string): Promise<void> {
  if (!responseUrl || !allowedResponseUrl(env, responseUrl)) return;
  try {
    await fetcher(responseUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ response_type: "ephemeral", text }) });
  } catch (error) {
    logLine("slack_response_url_failed", { error: error instanceof Error ? error.message : String(error) }, "warn");
  }
}

function allowedResponseUrl(env: Env, raw: string): boolean {
  const url = new URL(raw);
  if (url.protocol === "https:" && url.hostname === "hooks.slack.com") return true;
  const api = slackConfig(env)?.apiUrl;
  return Boolean(api && new URL(api).origin === url.origin);
}
