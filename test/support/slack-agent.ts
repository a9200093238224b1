/** TEST ONLY: an agent whose human requests go to a Slack channel (the stand-in's). */
import { defineAgent, doneForNow, requestMoreInformation } from "../../src/agents";
import { boardTool, guardedTool } from "./probe-agent";

export const SLACK_TEST_CHANNEL = "C0APPROVALS";

const guarded = (name: string, approvers?: readonly string[] | (() => readonly string[])) =>
  guardedTool(name, "Needs a human's approval; counts real executions by label.", undefined, approvers);

export const slacker = defineAgent({
  name: "slacker",
  description: "Test-only agent whose requests are posted to Slack.",
  prompt: { file: "test/support/slack-agent.ts", template: "You are {{agent}}, a test agent. Thread {{thread_id}}." },
  humanTimeoutSeconds: 120,
  slack: { channel: SLACK_TEST_CHANNEL },
  tools: [
    // Only Alice in Slack (any workspace of the app) or the API credential release-manager.
    guarded("ship", ["slack:U0ALICE", "release-manager"]),
    guarded("ship_any"),
    // A list read from the environment with a typo in it, as DEPLOY_APPROVERS might hold.
    guarded("ship_misconfigured", () => ["slack:U0ALICE", "<bob@example.com>"]),
    // Invariant 13 on Slack: the label may be changed in a modal; two approvers, never the requester.
    boardTool("ship_board"),
    requestMoreInformation,
    doneForNow,
  ],
});
