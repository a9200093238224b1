/// <reference types="node" />
/**
 * Slack end to end: the real Worker under `wrangler dev` with the real clock and real HTTP,
 * the scripted model, and the Slack Web API stand-in (TEST/DEMO ONLY) in this process.
 * Clicks and commands are signed exactly as Slack signs them. DEPLOY_APPROVERS names a
 * Slack user (this setting used to throw inside the step and leave the thread running).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { apiClient, poll } from "./support/api";
import { startModelServer, type ModelServer } from "./support/model-server";
import { startSlackServer, type SlackServer } from "./support/slack-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";
import { approveValue, buttonsOf, clickBody, commandBody, signedSlackRequest, SLACK_TEST_SECRET, SLACK_TEST_TOKEN } from "../support/slack";

const TOKEN = "e2e-api-token";
const CHANNEL = "C0E2EAPPROVALS";
const TEAM = "T0ACME";

let model: ModelServer | undefined;
let slack: SlackServer | undefined;
let dev: DevServer | undefined;

beforeAll(async () => {
  model = await startModelServer();
  slack = await startSlackServer();
  const modelUrl = model.baseUrl;
  const apiUrl = slack.apiUrl;
  dev = await startWranglerDev((url) =>
    e2eVars(
      { url, token: TOKEN, modelUrl },
      {
        SLACK_BOT_TOKEN: SLACK_TEST_TOKEN,
        SLACK_API_URL: apiUrl,
        SLACK_APPROVAL_CHANNEL: CHANNEL,
        WEBHOOK_SECRET_SLACK: SLACK_TEST_SECRET,
        DEPLOY_APPROVERS: "slack:U0ALICE",
        NOTIFY_RETRY_BASE_SECONDS: "1",
      },
    ),
  );
});

afterAll(async () => {
  await dev?.stop();
  await slack?.close();
  await model?.close();
});

const api = apiClient(() => {
  if (!dev) throw new Error("wrangler dev is not running");
  return dev.url;
}, TOKEN);

function stand() {
  if (!slack || !dev || !model) throw new Error("not started");
  return { slack: slack.slack, dev, model: model.model };
}

async function slackPost(path: string, body: string, retryNum?: number): Promise<Response> {
  const signed = await signedSlackRequest(body, { timestampSeconds: Math.floor(Date.now() / 1000), ...(retryNum !== undefined ? { retryNum } : {}) });
  return fetch(`${stand().dev.url}${path}`, { method: "POST", headers: signed.headers, body });
}

const sentOn = (events: Event[], channel: string) => events.filter((e) => e.type === "notification_sent" && e.data.channel === channel);

describe("Slack against wrangler dev", () => {
  it("a production deploy is posted with buttons after a 429; a non-approver's click is refused; Alice's click approves; the message is updated", async () => {
    const { slack: api429, model: scripted } = stand();
    api429.rateLimitNext = 1;
    api429.retryAfterSeconds = 1;
    const marker = scripted.script("e2e-slack-approve", [
      { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed v1.2.3 to production." } },
    ]);
    const launched = await api.ok<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy v1.2.3 to production ${marker}` }) });
    const waiting = await api.until(launched.id, (t) => t.status === "waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", approvers: ["slack:u0alice"] });
    // The first post met a 429; the real alarm retried it after Retry-After and it went out.
    const events = await api.untilEvent(launched.id, (e) => e.type === "notification_sent" && e.data.channel === "slack");
    const failed = events.filter((e) => e.type === "notification_failed");
    expect(failed.map((e) => (e.type === "notification_failed" ? e.data.code : ""))).toEqual(["ratelimited"]);
    const sent = sentOn(events, "slack")[0];
    const posted = sent?.type === "notification_sent" ? sent.data.posted : undefined;
    if (!posted) throw new Error("not posted");
    expect(posted.channel).toBe(CHANNEL);
    const message = () => api429.message(posted.channel, posted.ts);
    // deploy_backend lets an approver edit the tag (invariant 13): the Edit… button opens a modal.
    expect(buttonsOf(message())).toEqual(["approve", "edit", "reject"]);
    const value = approveValue(message());

    const refused = await slackPost("/v1/slack/interactions", clickBody({ team: TEAM, user: "U0BOB", channel: CHANNEL, value, action: "approve" }));
    expect(refused.status).toBe(200);
    await poll(async () => api429.of("chat.postEphemeral").filter((c) => c.body["user"] === "U0BOB"), (calls) => calls.length === 1, 15_000, () => "no ephemeral reply to Bob");
    expect((await api.eventsOf(launched.id)).filter((e) => e.type === "human_response_refused")).toHaveLength(1);

    const approved = await slackPost("/v1/slack/interactions", clickBody({ team: TEAM, user: "U0ALICE", channel: CHANNEL, value, action: "approve" }));
    expect(approved.status).toBe(200);
    const ended = await api.until(launched.id, (t) => t.status === "done");
    expect(ended.result?.message).toBe("Deployed v1.2.3 to production.");
    const log = await api.eventsOf(launched.id);
    const answer = log.find((e) => e.type === "human_responded");
    expect(answer?.type === "human_responded" && answer.data.by).toEqual({ kind: "slack", id: `${TEAM}:U0ALICE`, verifiedBy: "slack_signature" });
    expect(log.some((e) => e.type === "tool_succeeded" && e.data.tool === "deploy_backend")).toBe(true);
    await poll(async () => message(), (m) => (m?.updates ?? 0) >= 1, 15_000, () => "the message was never updated");
    expect(buttonsOf(message())).toEqual([]);
    expect(JSON.stringify(message()?.blocks)).toContain("*Approved* by <@U0ALICE>");
  });

  it("a signed slash command launches one thread as the Slack user, its retry launches no other, and the result goes to the command's channel", async () => {
    const { slack: standIn, model: scripted } = stand();
    const marker = scripted.script("e2e-slack-command", [{ tool: "done_for_now", args: { message: "Deployed v1.2.3 to staging." } }]);
    const body = commandBody({ command: "/deploybot", text: `deploy v1.2.3 to staging ${marker}`, team: TEAM, user: "U0CAROL", channel: "C0DEPLOYS", triggerId: `e2e.${Date.now()}.cmd` });
    const first = await slackPost("/v1/slack/commands", body);
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { response_type: string; text: string };
    expect(answer.response_type).toBe("in_channel");
    const threadId = /thread `([^`]+)`/.exec(answer.text)?.[1] ?? "";
    const retry = await slackPost("/v1/slack/commands", body, 1);
    expect(await retry.json()).toEqual(answer);
    const ended = await api.until(threadId, (t) => t.status === "done");
    expect(ended).toMatchObject({ agent: "deploybot", result: { message: "Deployed v1.2.3 to staging." } });
    expect((await api.eventsOf(threadId)).filter((e) => e.type === "thread_launched")).toHaveLength(1);
    const result = await poll(async () => standIn.of("chat.postMessage", threadId), (calls) => calls.length > 0, 15_000, () => "no result posted");
    expect(result[0]?.body).toMatchObject({ channel: "C0DEPLOYS", text: "deploybot finished: Deployed v1.2.3 to staging." });
  });

  it("a click signed with another secret or too long ago is 401", async () => {
    const body = clickBody({ team: TEAM, user: "U0ALICE", channel: CHANNEL, value: "{}", action: "approve" });
    for (const options of [{ timestampSeconds: Math.floor(Date.now() / 1000), secret: "wrong" }, { timestampSeconds: Math.floor(Date.now() / 1000) - 600 }]) {
      const signed = await signedSlackRequest(body, options);
      const response = await fetch(`${stand().dev.url}/v1/slack/interactions`, { method: "POST", headers: signed.headers, body });
      expect(response.status).toBe(401);
    }
  });
});
