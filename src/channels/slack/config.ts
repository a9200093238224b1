import type { ThreadState } from "../../core";

/** The outbox channel name of Slack (notify lists, reply channels, notification events). */
export const SLACK_CHANNEL = "slack";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api";

export type SlackConfig = {
  /** The bot token (`xoxb-...`), sent as a bearer token to the Web API. */
  readonly token: string;
  /** The Web API base URL (SLACK_API_URL; tests point it at a local stand-in). */
  readonly apiUrl: string;
  /** Where requests of agents without their own channel go (SLACK_APPROVAL_CHANNEL); may be absent. */
  readonly approvalChannel?: string;
};

/** Slack is on when SLACK_BOT_TOKEN is set; off (as before) when it is not. */
export function slackConfig(env: Env): SlackConfig | undefined {
  const token = env.SLACK_BOT_TOKEN?.trim();
  if (!token) return undefined;
  const apiUrl = (env.SLACK_API_URL?.trim() || DEFAULT_SLACK_API_URL).replace(/\/+$/, "");
  const approvalChannel = env.SLACK_APPROVAL_CHANNEL?.trim();
  return { token, apiUrl, ...(approvalChannel ? { approvalChannel } : {}) };
}

/**
 * The Slack channel a thread's requests go to, most specific first: the channel a slash
 * command came from (thread metadata), the agent's own channel, SLACK_APPROVAL_CHANNEL.
 * Undefined: this thread has nowhere to post in Slack.
 */
export function slackChannelOf(config: SlackConfig, state: ThreadState | undefined, agentChannel: string | undefined): string | undefined {
  const fromCommand = state?.metadata?.["slackChannel"];
  if (typeof fromCommand === "string" && fromCommand) return fromCommand;
  return agentChannel ?? config.approvalChannel;
}

/**
 * Who may launch agents from Slack (SLACK_ALLOWED_USERS): user ids (`U0123`), whole
 * workspaces (`T0123`) or `T0123:U0123`, comma or space separated. Empty = anyone who can
 * run the app's commands (the app is installed per workspace; Slack signs every request).
 */
export function slackUserAllowed(setting: string | undefined, team: string, user: string): boolean {
  const entries = (setting ?? "").split(/[\s,]+/).map((e) => e.trim().toUpperCase()).filter(Boolean);
  if (entries.length === 0) return true;
  return entries.some((entry) => entry === user || entry === team || entry === `${team}:${user}`);
}
