/**
 * Slack as a channel, in workerd against the Web API stand-in (test/support/slack.ts):
 * requests posted as Block Kit with buttons, clicks signed exactly as Slack signs them,
 * messages updated in place when the request ends, slash commands, retries after 429.
 * Interactivity and commands are called through the Worker's fetch handler with an
 * execution context, so a test can see the answer before the work done after it.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import worker from "../support/worker";
import { api, eventsOf, fireTimer, launch, settle, thread, wakeRows } from "../support/api";
import { clock, executions, model, slackApi } from "../support/harness";
import { approveValue, buttonsOf, clickBody, commandBody, MISSING_CHANNEL, signedSlackRequest, SLACK_TEST_TOKEN, type SlackCall } from "../support/slack";
import { SLACK_TEST_CHANNEL } from "../support/slack-agent";
import { slackPost } from "../support/slack-post";
import { SlashCommand, threadIdOf } from "../../src/triggers/slack/commands";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `slk-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });
const TEAM = "T0ACME";
const ALICE = "U0ALICE";
const BOB = "U0BOB";

const ofType = <T extends Event["type"]>(events: readonly Event[], type: T) => events.filter((e): e is Extract<Event, { type: T }> => e.type === type);

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

afterEach(() => {
  clock.offsetMs = 0;
  slackApi.rateLimitNext = 0;
  slackApi.hold = undefined;
  slackApi.token = SLACK_TEST_TOKEN;
});

/** A thread of the slack agent waiting for approval of `tool`, and the Slack message that asks for it. */
async function waitingOnSlack(tool: string, label: string) {
  const id = freshId(tool);
  const marker = model.script(id, [{ tool, args: { label } }, done(`ran ${label}`)]);
  expect((await launch("slacker", `work ${marker}`, { threadId: id })).response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  const posts = slackApi.of("chat.postMessage", id);
  expect(posts).toHaveLength(1);
  const sent = ofType(await eventsOf(id), "notification_sent").find((e) => e.data.channel === "slack");
  const posted = sent?.data.posted;
  if (!posted) throw new Error("no Slack post recorded");
  return { id, requestId: view.pending?.requestId ?? "", posted, call: posts[0] as SlackCall };
}

const click = (who: string, value: string, action: "approve" | "reject" = "approve", triggerId?: string) =>
  clickBody({ team: TEAM, user: who, channel: SLACK_TEST_CHANNEL, value, action, ...(triggerId ? { triggerId } : {}) });

describe("human requests posted to Slack", () => {
  it("an approval is posted with chat.postMessage as Block Kit: the exact call, the thread, the deadline, Approve/Reject and a fallback text", async () => {
    const { id, requestId, posted, call } = await waitingOnSlack("ship", `post-${run}`);
    expect(call.auth).toBe(`Bearer ${SLACK_TEST_TOKEN}`);
    expect(call.body).toMatchObject({ channel: SLACK_TEST_CHANNEL, text: expect.stringContaining(`Approval needed: ship {"label":"post-${run}"}`) });
    expect(call.body["text"]).toContain(id);
    const blocks = JSON.stringify(call.body["blocks"]);
    for (const part of ["Approval needed: ship", `post-${run}`, id, requestId, "<!date^", "slack:u0alice, release-manager"]) expect(blocks).toContain(part);
    const message = slackApi.message(posted.channel, posted.ts);
    expect(buttonsOf(message)).toEqual(["approve", "reject", "open_page"]);
    expect(JSON.parse(approveValue(message))).toEqual({ t: id, r: requestId });
    expect(posted.channel).toBe(SLACK_TEST_CHANNEL);
  });

  it("an approver's click answers 200 at once, approves as the Slack principal, the tool runs and the message is updated in place without buttons", async () => {
    const label = `approve-${run}`;
    const { id, requestId, posted } = await waitingOnSlack("ship", label);
    const { response, finished } = await slackPost("/v1/slack/interactions", click(ALICE, approveValue(slackApi.message(posted.channel, posted.ts))));
    expect(response.status).toBe(200);
    await finished();
    const view = await settle(id);
    expect(view).toMatchObject({ status: "done", result: { message: `ran ${label}` } });
    expect(executions.get(label)).toBe(1);
    const answered = ofType(await eventsOf(id), "human_responded");
    expect(answered.map((e) => e.data)).toEqual([{ requestId, approved: true, by: { kind: "slack", id: `${TEAM}:${ALICE}`, verifiedBy: "slack_signature" } }]);
    const message = slackApi.message(posted.channel, posted.ts);
    expect(buttonsOf(message)).toEqual([]);
    expect(message?.updates).toBe(1);
    expect(JSON.stringify(message?.blocks)).toContain(`*Approved* by <@${ALICE}>`);
    // The update is an outbox notification like the others, on the record.
    expect(ofType(await eventsOf(id), "notification_sent").filter((e) => e.data.channel === "slack").map((e) => e.data.purpose)).toEqual(["request", "closed"]);
  });

  it("a click from someone who is not an approver is refused with an ephemeral reply, recorded, never acted on; its replay records nothing more", async () => {
    const label = `refused-${run}`;
    const { id, requestId, posted } = await waitingOnSlack("ship", label);
    const body = click(BOB, approveValue(slackApi.message(posted.channel, posted.ts)));
    // The answer comes before the work: Slack's API is held until after the route answered.
    let release = () => {};
    slackApi.hold = new Promise<void>((resolve) => (release = resolve));
    const { response, finished } = await slackPost("/v1/slack/interactions", body);
    expect(response.status).toBe(200);
    release();
    await finished();
    slackApi.hold = undefined;
    const ephemeral = slackApi.of("chat.postEphemeral").filter((c) => c.body["user"] === BOB && String(c.body["text"]).includes(requestId));
    expect(ephemeral).toHaveLength(1);
    expect(ephemeral[0]?.body).toMatchObject({ channel: SLACK_TEST_CHANNEL, text: expect.stringContaining("not one of the approvers") });
    const before = await eventsOf(id);
    expect(ofType(before, "human_response_refused").map((e) => e.data)).toEqual([
      { requestId, by: { kind: "slack", id: `${TEAM}:${BOB}`, verifiedBy: "slack_signature" }, code: "not_an_approver", approved: true },
    ]);
    const replay = await slackPost("/v1/slack/interactions", body);
    expect(replay.response.status).toBe(200);
    await replay.finished();
    expect(await eventsOf(id)).toEqual(before);
    expect(await settle(id)).toMatchObject({ status: "waiting_for_human", pending: { requestId } });
    expect(executions.get(label)).toBeUndefined();
    expect(buttonsOf(slackApi.message(posted.channel, posted.ts))).toEqual(["approve", "reject", "open_page"]);
  });

  it("a bad signature, a stale timestamp or no signature is 401 and nothing is read, appended or posted", async () => {
    const { id, posted } = await waitingOnSlack("ship", `bad-sig-${run}`);
    const body = click(ALICE, approveValue(slackApi.message(posted.channel, posted.ts)));
    const before = await eventsOf(id);
    const calls = slackApi.calls.length;
    const cases = [
      { options: { secret: "not-the-signing-secret" }, code: "bad_signature" },
      { options: { timestampSeconds: Math.floor(clock.now() / 1000) - 6 * 60 }, code: "stale_timestamp" },
      { options: { timestampSeconds: Math.floor(clock.now() / 1000) + 6 * 60 }, code: "stale_timestamp" },
      { options: { signature: "v0=" + "0".repeat(64) }, code: "bad_signature" },
    ];
    for (const { options, code } of cases) {
      const { response, finished } = await slackPost("/v1/slack/interactions", body, options);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } });
      await finished();
    }
    const unsigned = await worker.fetch(
      new Request("https://agents.test/v1/slack/interactions", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }),
      env,
      createExecutionContext(),
    );
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe("missing_signature");
    expect(await eventsOf(id)).toEqual(before);
    expect(slackApi.calls.length).toBe(calls);
  });

  it("a replayed approval changes nothing; a later click on the ended request gets 'already decided by' and changes nothing", async () => {
    const label = `replay-${run}`;
    const { id, posted } = await waitingOnSlack("ship", label);
    const value = approveValue(slackApi.message(posted.channel, posted.ts));
    const body = click(ALICE, value);
    const first = await slackPost("/v1/slack/interactions", body);
    await first.finished();
    await settle(id);
    const after = await eventsOf(id);
    const replay = await slackPost("/v1/slack/interactions", body);
    expect(replay.response.status).toBe(200);
    await replay.finished();
    expect(await eventsOf(id)).toEqual(after);
    // Another click (a new trigger_id) on the ended request: Bob tries to reject.
    const late = await slackPost("/v1/slack/interactions", click(BOB, value, "reject"));
    expect(late.response.status).toBe(200);
    await late.finished();
    expect(await eventsOf(id)).toEqual(after);
    const told = slackApi.of("chat.postEphemeral").filter((c) => c.body["user"] === BOB && String(c.body["text"]).includes("already decided"));
    expect(told.at(-1)?.body["text"]).toContain(`approved by <@${ALICE}>`);
    expect(executions.get(label)).toBe(1);
  });

  it("a malformed payload is a 400 and appends nothing; other interaction types are acknowledged and ignored", async () => {
    const garbage = await slackPost("/v1/slack/interactions", "payload=%7Bnot-json");
    expect(garbage.response.status).toBe(400);
    expect(((await garbage.response.json()) as { error: { code: string } }).error.code).toBe("malformed_payload");
    const noPayload = await slackPost("/v1/slack/interactions", "foo=bar");
    expect(noPayload.response.status).toBe(400);
    const shortcut = await slackPost("/v1/slack/interactions", new URLSearchParams({ payload: JSON.stringify({ type: "shortcut", callback_id: "x" }) }).toString());
    expect(shortcut.response.status).toBe(200);
  });

  it("a reject click rejects; the model is told and the message shows who rejected", async () => {
    const label = `reject-${run}`;
    const { id, requestId, posted } = await waitingOnSlack("ship_any", label);
    const { finished } = await slackPost("/v1/slack/interactions", click(BOB, approveValue(slackApi.message(posted.channel, posted.ts)), "reject"));
    await finished();
    await settle(id);
    expect(ofType(await eventsOf(id), "human_responded").map((e) => e.data)).toEqual([{ requestId, approved: false, by: { kind: "slack", id: `${TEAM}:${BOB}`, verifiedBy: "slack_signature" } }]);
    expect(executions.get(label)).toBeUndefined();
    expect(JSON.stringify(slackApi.message(posted.channel, posted.ts)?.blocks)).toContain(`*Rejected* by <@${BOB}>`);
  });

  it("a request that ends another way (answered over the API, cancelled) has its message updated too", async () => {
    const answered = await waitingOnSlack("ship", `api-${run}`);
    const ok = await api(`/v1/threads/${answered.id}/responses`, { method: "POST", json: { requestId: answered.requestId, approved: true }, token: "rm-token-1234" });
    expect(ok.status).toBe(200);
    await settle(answered.id);
    expect(JSON.stringify(slackApi.message(answered.posted.channel, answered.posted.ts)?.blocks)).toContain("*Approved* by api release-manager");

    const cancelled = await waitingOnSlack("ship", `cancel-${run}`);
    expect((await api(`/v1/threads/${cancelled.id}/cancel`, { method: "POST", json: {} })).status).toBe(200);
    await settle(cancelled.id);
    const message = slackApi.message(cancelled.posted.channel, cancelled.posted.ts);
    expect(buttonsOf(message)).toEqual([]);
    expect(JSON.stringify(message?.blocks)).toContain("*Withdrawn*");
  });
});

describe("escalation in Slack", () => {
  it("a missed deadline under 'escalate' marks the message and re-posts the request in its Slack thread; the approval then updates both", async () => {
    const id = freshId("escalate");
    const label = `esc-${run}`;
    const marker = model.script(id, [{ tool: "ship_any", args: { label } }, done("shipped")]);
    expect((await launch("slacker", `work ${marker}`, { threadId: id, humanTimeoutSeconds: 60, onHumanTimeout: "escalate" })).response.status).toBe(201);
    const view = await settle(id);
    const first = ofType(await eventsOf(id), "notification_sent").find((e) => e.data.channel === "slack")?.data.posted;
    if (!first) throw new Error("not posted");
    clock.advance(Date.parse(view.pending?.deadline ?? "") - clock.now() + 1);
    await fireTimer(id, { type: "wake" });
    await settle(id);
    const escalation = slackApi.of("chat.postMessage", id).at(-1);
    expect(escalation?.body).toMatchObject({ channel: SLACK_TEST_CHANNEL, thread_ts: first.ts, reply_broadcast: true, text: expect.stringMatching(/^ESCALATION for @oncall: /) });
    expect(JSON.stringify(slackApi.message(first.channel, first.ts)?.blocks)).toContain("ESCALATION for @oncall");
    expect(buttonsOf(slackApi.message(first.channel, first.ts))).toEqual(["approve", "reject", "open_page"]);
    const second = ofType(await eventsOf(id), "notification_sent").filter((e) => e.data.channel === "slack").at(-1)?.data.posted;
    if (!second) throw new Error("escalation not posted");
    const clicked = await slackPost("/v1/slack/interactions", click(ALICE, approveValue(slackApi.message(second.channel, second.ts))));
    await clicked.finished();
    expect(await settle(id)).toMatchObject({ status: "done" });
    for (const post of [first, second]) {
      expect(buttonsOf(slackApi.message(post.channel, post.ts))).toEqual([]);
      expect(JSON.stringify(slackApi.message(post.channel, post.ts)?.blocks)).toContain(`*Approved* by <@${ALICE}>`);
    }
    expect(executions.get(label)).toBe(1);
  });
});

describe("the Slack outbox", () => {
  it("a 429 is retried after Slack's Retry-After, through the thread's one wake-up, then succeeds", async () => {
    slackApi.rateLimitNext = 1;
    slackApi.retryAfterSeconds = 7;
    const id = freshId("ratelimited");
    const marker = model.script(id, [{ tool: "ship_any", args: { label: `rl-${run}` } }]);
    expect((await launch("slacker", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    await settle(id);
    const failed = ofType(await eventsOf(id), "notification_failed");
    expect(failed.map((e) => ({ code: e.data.code, attempt: e.data.attempt, channel: e.data.channel }))).toEqual([{ code: "ratelimited", attempt: 1, channel: "slack" }]);
    const retryAt = Date.parse(failed[0]?.data.retryAt ?? "");
    // Retry-After from the moment of the failure (stamped a moment before the event's own time).
    const wait = retryAt - Date.parse(failed[0]?.at ?? "");
    expect(wait).toBeGreaterThan(6_900);
    expect(wait).toBeLessThanOrEqual(7_000);
    // The one wake-up is armed for the retry, to the millisecond, not earlier.
    expect((await wakeRows(id)).map((r) => r.time)).toEqual([retryAt]);
    // A wake before the retry is due sends nothing.
    await fireTimer(id, { type: "wake" });
    await settle(id);
    expect(ofType(await eventsOf(id), "notification_sent").filter((e) => e.data.channel === "slack")).toEqual([]);
    clock.advance(retryAt - clock.now() + 1);
    await fireTimer(id, { type: "wake" });
    await settle(id);
    const sent = ofType(await eventsOf(id), "notification_sent").filter((e) => e.data.channel === "slack");
    expect(sent.map((e) => ({ attempt: e.data.attempt, channel: e.data.channel, posted: Boolean(e.data.posted) }))).toEqual([{ attempt: 2, channel: "slack", posted: true }]);
  });

  it("ok:false is recorded with Slack's error code; a revoked token is given up at once instead of retried", async () => {
    slackApi.token = "xoxb-someone-else";
    const id = freshId("invalid-auth");
    const marker = model.script(id, [{ tool: "ship_any", args: { label: `auth-${run}` } }]);
    expect((await launch("slacker", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    const view = await settle(id);
    const failed = ofType(await eventsOf(id), "notification_failed").filter((e) => e.data.channel === "slack");
    expect(failed.map((e) => e.data)).toEqual([
      { requestId: view.pending?.requestId, channel: "slack", purpose: "request", attempt: 1, code: "invalid_auth", message: "Slack chat.postMessage: invalid_auth" },
    ]);
    // The request itself is not lost: the API shows it.
    expect(view.status).toBe("waiting_for_human");
  });

  it("a bad approver entry in configuration fails the thread with configuration_error instead of leaving it running", async () => {
    const id = freshId("misconfigured");
    const marker = model.script(id, [{ tool: "ship_misconfigured", args: { label: `cfg-${run}` } }]);
    expect((await launch("slacker", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    const view = await settle(id);
    expect(view.status).toBe("failed");
    const failed = ofType(await eventsOf(id), "thread_failed");
    expect(failed.map((e) => e.data.code)).toEqual(["configuration_error"]);
    expect(failed[0]?.data.message).toContain('"<bob@example.com>" is not an approver entry');
    expect(ofType(await eventsOf(id), "human_requested")).toEqual([]);
  });
});

describe("slash commands", () => {
  const command = (triggerId: string, text = "ship it", channel = "C0DEPLOYS", name = "/slacker") =>
    commandBody({ command: name, text, team: TEAM, user: ALICE, channel, triggerId });

  it("a command answers at once, launches one thread as the Slack user, and its retries and replays launch no other", async () => {
    const triggerId = `${run}.1.cmd`;
    const body = command(triggerId, `ship please ${model.script(`cmd-${run}`, [done("shipped")])}`);
    const first = await slackPost("/v1/slack/commands", body);
    expect(first.response.status).toBe(200);
    const answer = (await first.response.json()) as { response_type: string; text: string };
    expect(answer).toMatchObject({ response_type: "in_channel", text: expect.stringContaining(`<@${ALICE}> asked *slacker*`) });
    const threadId = /thread `([^`]+)`/.exec(answer.text)?.[1] ?? "";
    await first.finished();
    for (const retryNum of [1, 2]) {
      const retry = await slackPost("/v1/slack/commands", body, { retryNum });
      expect(retry.response.status).toBe(200);
      expect(await retry.response.json()).toEqual(answer);
      await retry.finished();
    }
    const view = await settle(threadId);
    expect(view).toMatchObject({ agent: "slacker", status: "done", result: { message: "shipped" } });
    const events = await eventsOf(threadId);
    expect(ofType(events, "thread_launched")).toHaveLength(1);
    expect(ofType(events, "thread_launched")[0]?.data.metadata).toEqual({ slackChannel: "C0DEPLOYS", slackUser: ALICE, slackTeam: TEAM });
    // The result goes to the command's channel.
    const results = slackApi.of("chat.postMessage", threadId);
    expect(results).toHaveLength(1);
    expect(results[0]?.body).toMatchObject({ channel: "C0DEPLOYS", text: "slacker finished: shipped" });
  });

  it("a command thread's approval goes to the command's channel and its result into the same Slack thread", async () => {
    const triggerId = `${run}.2.cmd`;
    const label = `cmd-approval-${run}`;
    const marker = model.script(`cmdap-${run}`, [{ tool: "ship_any", args: { label } }, done("shipped after approval")]);
    const sent = await slackPost("/v1/slack/commands", command(triggerId, `ship ${marker}`));
    const threadId = /thread `([^`]+)`/.exec(((await sent.response.json()) as { text: string }).text)?.[1] ?? "";
    await sent.finished();
    await settle(threadId);
    const [request] = slackApi.of("chat.postMessage", threadId);
    expect(request?.body).toMatchObject({ channel: "C0DEPLOYS" });
    const posted = ofType(await eventsOf(threadId), "notification_sent").find((e) => e.data.channel === "slack")?.data.posted;
    if (!posted) throw new Error("not posted");
    const clicked = await slackPost("/v1/slack/interactions", clickBody({ team: TEAM, user: BOB, channel: "C0DEPLOYS", value: approveValue(slackApi.message(posted.channel, posted.ts)), action: "approve" }));
    await clicked.finished();
    expect(await settle(threadId)).toMatchObject({ status: "done" });
    const result = slackApi.of("chat.postMessage", threadId).at(-1);
    expect(result?.body).toMatchObject({ channel: "C0DEPLOYS", thread_ts: posted.ts, text: "slacker finished: shipped after approval" });
    expect(executions.get(label)).toBe(1);
  });

  it("an unknown agent or an empty command gets an ephemeral explanation and launches nothing; a malformed command is a 400", async () => {
    const unknown = await slackPost("/v1/slack/commands", command(`${run}.3.cmd`, "hello", "C0DEPLOYS", "/nobody"));
    expect(await unknown.response.json()).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("no agent named nobody") });
    const empty = await slackPost("/v1/slack/commands", command(`${run}.4.cmd`, "   "));
    expect(await empty.response.json()).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("Tell slacker what to do") });
    const malformed = await slackPost("/v1/slack/commands", "command=%2Fslacker&text=hi");
    expect(malformed.response.status).toBe(400);
    await Promise.all([unknown.finished(), empty.finished(), malformed.finished()]);
  });

  it("only users SLACK_ALLOWED_USERS names may launch: anyone else gets an ephemeral refusal and nothing starts", async () => {
    const as = (team: string, user: string, triggerId: string) => commandBody({ command: "/slacker", text: "ship it", team, user, channel: "C0DEPLOYS", triggerId });
    const cases = [
      { team: TEAM, user: BOB, allowed: false },
      { team: "T0ELSE", user: "U0DAVE", allowed: false },
      { team: TEAM, user: "U0DAVE", allowed: true },
      { team: "T0OPS", user: "U0ERIN", allowed: true },
    ];
    for (const [i, c] of cases.entries()) {
      const sent = await slackPost("/v1/slack/commands", as(c.team, c.user, `${run}.allow.${i}`));
      const answer = (await sent.response.json()) as { response_type: string; text: string };
      await sent.finished();
      if (c.allowed) {
        expect(answer.response_type).toBe("in_channel");
        const threadId = /thread `([^`]+)`/.exec(answer.text)?.[1] ?? "";
        expect(await thread(threadId).thread()).toMatchObject({ agent: "slacker" });
      } else {
        expect(answer).toEqual({ response_type: "ephemeral", text: expect.stringContaining("You may not launch agents from Slack") });
        const wouldBe = await threadIdOf(SlashCommand.parse(Object.fromEntries(new URLSearchParams(as(c.team, c.user, `${run}.allow.${i}`)))));
        expect(await thread(wouldBe).thread()).toBeNull();
      }
    }
  });

  it("a post to a channel Slack does not know is recorded as channel_not_found and not retried", async () => {
    const sent = await slackPost("/v1/slack/commands", command(`${run}.5.cmd`, `ship ${model.script(`cmdmiss-${run}`, [{ tool: "ship_any", args: { label: `miss-${run}` } }])}`, MISSING_CHANNEL));
    const threadId = /thread `([^`]+)`/.exec(((await sent.response.json()) as { text: string }).text)?.[1] ?? "";
    await sent.finished();
    await settle(threadId);
    const failed = ofType(await eventsOf(threadId), "notification_failed");
    expect(failed.map((e) => ({ code: e.data.code, retryAt: e.data.retryAt }))).toEqual([{ code: "channel_not_found", retryAt: undefined }]);
    expect(await thread(threadId).thread()).toMatchObject({ status: "waiting_for_human" });
  });
});

describe("replies in a request's Slack thread (Events API)", () => {
  async function event(payload: Record<string, unknown>) {
    const body = JSON.stringify(payload);
    const signed = await signedSlackRequest(body, { timestampSeconds: Math.floor(clock.now() / 1000), contentType: "application/json" });
    const response = await api("/v1/webhooks/slack", { method: "POST", body, token: null, headers: signed.headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const reply = (eventId: string, threadTs: string, text: string, extra: Record<string, unknown> = {}) => ({
    type: "event_callback",
    event_id: eventId,
    team_id: TEAM,
    event: { type: "message", channel: SLACK_TEST_CHANNEL, user: "U0CAROL", text, ts: `${threadTs}9`, thread_ts: threadTs, ...extra },
  });

  it("a person's reply answers the open question as that Slack user; a redelivery appends nothing; bots and edits are ignored; later replies are messages", async () => {
    const id = freshId("question");
    const marker = model.script(id, [{ tool: "request_more_information", args: { message: "Which tag?" } }, { tool: "request_more_information", args: { message: "Sure?" } }, done("ok")]);
    expect((await launch("slacker", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    const view = await settle(id);
    expect(view.pending).toMatchObject({ kind: "input", message: "Which tag?" });
    const posted = ofType(await eventsOf(id), "notification_sent").find((e) => e.data.channel === "slack")?.data.posted;
    if (!posted) throw new Error("not posted");
    expect(JSON.stringify(slackApi.message(posted.channel, posted.ts)?.blocks)).toContain("Reply in this message's thread to answer.");

    const before = await eventsOf(id);
    for (const ignored of [{ bot_id: "B0OURS" }, { subtype: "message_changed" }]) {
      const sent = await event(reply(`Ev${run}bot${Object.keys(ignored)[0]}`, posted.ts, "v9.9.9", ignored));
      expect(sent).toMatchObject({ status: 200, body: { action: "ignored" } });
    }
    expect(await eventsOf(id)).toEqual(before);

    const answered = await event(reply(`Ev${run}ans`, posted.ts, "v1.2.3"));
    expect(answered).toMatchObject({ status: 202, body: { action: "answered", thread: id } });
    expect((await event(reply(`Ev${run}ans`, posted.ts, "v1.2.3"))).body).toMatchObject({ action: "duplicate" });
    await settle(id);
    const answers = ofType(await eventsOf(id), "human_responded");
    expect(answers.map((e) => e.data)).toEqual([{ requestId: view.pending?.requestId, answer: "v1.2.3", by: { kind: "slack", id: `${TEAM}:U0CAROL`, verifiedBy: "slack_signature" } }]);
    expect(JSON.stringify(slackApi.message(posted.channel, posted.ts)?.blocks)).toContain("*Answered* by <@U0CAROL>");
    // The second question was posted into the same Slack thread, so a reply there answers it too.
    const second = slackApi.of("chat.postMessage", id).at(-1);
    expect(second?.body).toMatchObject({ thread_ts: posted.ts, reply_broadcast: true });
    expect((await event(reply(`Ev${run}ans2`, posted.ts, "yes"))).body).toMatchObject({ action: "answered" });
    expect(await settle(id)).toMatchObject({ status: "done" });
    // With nothing open, a reply is a user message to the ended thread: refused, nothing appended.
    const ended = await eventsOf(id);
    expect((await event(reply(`Ev${run}late`, posted.ts, "thanks"))).status).toBe(409);
    expect(await eventsOf(id)).toEqual(ended);
  });

  it("a reply in a Slack thread no agent thread posted is ignored", async () => {
    expect(await event(reply(`Ev${run}stranger`, "1.999999", "hello"))).toMatchObject({ status: 200, body: { action: "ignored" } });
  });
});
