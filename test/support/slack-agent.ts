/** TEST ONLY: an agent whose human requests go to a Slack channel (the stand-in's). */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";
import { executions } from "./harness";
import { guardedTool } from "./probe-agent";

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
    defineTool({
      name: "ship_board",
      description: "Needs two approvers other than its requester; the label is editable.",
      input: z.object({ label: z.string().min(1).max(100), env: z.enum(["staging", "production"]) }),
      requiresApproval: true,
      approvals: { required: 2 },
      selfApproval: false,
      editable: ["label"],
      run: async ({ label }) => {
        executions.set(label, (executions.get(label) ?? 0) + 1);
        return { shipped: label };
      },
    }),
    requestMoreInformation,
    doneForNow,
  ],
});
