/// <reference types="node" />
/**
 * TEST/DEMO ONLY: Slack's Web API stand-in (test/support/slack.ts) over real HTTP, for a
 * `wrangler dev` Worker: SLACK_API_URL is `${origin}/api`; response_urls are `${origin}/response/...`.
 */
import { SlackStandIn } from "../../support/slack";
import { serveFetch } from "./serve";

export type SlackServer = { slack: SlackStandIn; origin: string; apiUrl: string; close(): Promise<void> };

export async function startSlackServer(): Promise<SlackServer> {
  const slack = new SlackStandIn();
  const served = await serveFetch((request) => slack.fetch(request), "slack stand-in");
  return { slack, origin: served.origin, apiUrl: `${served.origin}/api`, close: served.close };
}
