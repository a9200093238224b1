/**
 * Edit-and-approve and quorums on Slack (invariant 13), against the Web API stand-in: the
 * message carries an Edit button and "0 of 2"; Edit opens a modal (views.open) with the
 * editable field; a refused edit is shown in the modal and appends nothing; a good one is
 * the clicker's approval of the new label; a second Slack user's click runs it, once.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settle } from "../support/api";
import { executions, model, slackApi } from "../support/harness";
import { approveValue, buttonsOf, clickBody, viewSubmissionBody } from "../support/slack";
import { SLACK_TEST_CHANNEL } from "../support/slack-agent";
import { slackPost } from "../support/slack-post";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
const TEAM = "T0ACME";

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

const edit = (user: string, value: string, triggerId: string) =>
  clickBody({ team: TEAM, user, channel: SLACK_TEST_CHANNEL, value, action: "approve", triggerId }).replace(encodeURIComponent('"action_id":"approve"'), encodeURIComponent('"action_id":"edit"'));

describe("decisions on Slack", () => {
  it("Edit opens a modal; a bad edit is shown in it and appends nothing; a good edit is 1 of 2; another user's Approve runs the edited call once", async () => {
    const id = `slkd-${run}`;
    const label = `slack-board-${run}`;
    const fixed = `${label}-fixed`;
    const marker = model.script(id, [{ tool: "ship_board", args: { label, env: "production" } }, { tool: "done_for_now", args: { message: "shipped" } }]);
    expect((await launch("slacker", `ship ${marker}`, { threadId: id })).response.status).toBe(201);
    const view = await settle(id);
    const requestId = view.pending?.requestId ?? "";
    const sent = (await eventsOf(id)).find((e): e is Extract<Event, { type: "notification_sent" }> => e.type === "notification_sent" && e.data.channel === "slack");
    const posted = sent?.data.posted;
    if (!posted) throw new Error("no Slack post");
    const message = slackApi.message(posted.channel, posted.ts);
    expect(buttonsOf(message)).toEqual(["approve", "edit", "reject", "open_page"]);
    expect(JSON.stringify(message?.blocks)).toContain("0 of 2 approvals; 2 more needed. The requester may not approve.");

    // Edit: the modal holds the label as it stands.
    const trigger = `trig-${run}`;
    const opened = await slackPost("/v1/slack/interactions", edit("U0ALICE", approveValue(message), trigger));
    expect(opened.response.status).toBe(200);
    await opened.finished();
    const open = slackApi.of("views.open").find((c) => c.body["trigger_id"] === trigger);
    const modal = open?.body["view"] as { callback_id: string; private_metadata: string; blocks: { block_id?: string; element?: { initial_value?: string } }[] };
    expect(modal.callback_id).toBe("edit_request");
    expect(modal.blocks.find((b) => b.block_id === "field:label")?.element?.initial_value).toBe(label);

    // An empty label does not fit the schema: the modal shows why; nothing is appended.
    const before = await eventsOf(id);
    const submit = (user: string, viewId: string, value: string) => slackPost("/v1/slack/interactions", viewSubmissionBody({ team: TEAM, user, viewId, metadata: modal.private_metadata, values: { "field:label": value, comment: "fix" } }));
    const bad = await submit("U0ALICE", `V1${run}`, "");
    expect(bad.response.status).toBe(200);
    expect(await bad.response.json()).toMatchObject({ response_action: "errors", errors: { "field:label": expect.stringContaining("schema") } });
    expect(await eventsOf(id)).toEqual(before);

    const good = await submit("U0ALICE", `V2${run}`, fixed);
    expect(good.response.status).toBe(200);
    expect(await good.response.text()).toBe("");
    const afterEdit = await settle(id);
    expect(afterEdit.pending).toMatchObject({ requestId, tool: { args: { label: fixed } }, approvals: { required: 2, given: [{ by: { kind: "slack", id: `${TEAM}:U0ALICE` } }] } });
    expect(executions.get(fixed)).toBeUndefined();

    // Bob approves with the ordinary button: 2 of 2, the edited label runs once.
    const approved = await slackPost("/v1/slack/interactions", clickBody({ team: TEAM, user: "U0BOB", channel: SLACK_TEST_CHANNEL, value: approveValue(message), action: "approve" }));
    await approved.finished();
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(fixed)).toBe(1);
    expect(executions.get(label)).toBeUndefined();
  });
});
