import { callSlack } from "../../channels/slack/api";
import { slackConfig } from "../../channels/slack/config";
import { logLine } from "../../log";

/** Tells one Slack user something only they see (chat.postEphemeral). Best effort: a failure is logged, never retried. */
export async function tellUser(env: Env, fetcher: typeof fetch, to: { channel: string; user: string }, text: string): Promise<void> {
  const config = slackConfig(env);
  if (!config) return;
  try {
    await callSlack(config, "chat.postEphemeral", { channel: to.channel, user: to.user, text }, fetcher);
  } catch (error) {
    logLine("slack_ephemeral_failed", { channel: to.channel, user: to.user, error: error instanceof Error ? error.message : String(error) }, "warn");
  }
}
