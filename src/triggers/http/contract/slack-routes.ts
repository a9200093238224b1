import { createRoute, z } from "@hono/zod-openapi";
import { errors, json } from "./responses";

// Slack's interactivity and slash-command URLs (src/triggers/slack): form-encoded bodies
// signed with the Slack app's signing secret (X-Slack-Signature, X-Slack-Request-Timestamp),
// answered at once; the work happens after the answer. docs/slack.md sets the app up.

const signed = z.object({
  "x-slack-signature": z.string().openapi({ param: { name: "x-slack-signature", in: "header" }, example: "v0=5c1f..." }),
  "x-slack-request-timestamp": z.string().openapi({ param: { name: "x-slack-request-timestamp", in: "header" }, example: "1796650000" }),
});

export const slackInteractions = createRoute({
  method: "post",
  path: "/v1/slack/interactions",
  tags: ["slack"],
  summary: "Slack interactivity (Approve/Reject clicks): answers the request as the Slack user; authorised by Slack's v0 signature",
  request: {
    headers: signed,
    body: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: z.object({ payload: z.string().describe("Slack's block_actions JSON; other interaction types are acknowledged and ignored.") }),
        },
      },
    },
  },
  responses: {
    200: { description: "Acknowledged (empty body); the answer is applied after the response. A refused or late click gets an ephemeral reply in Slack." },
    ...errors(400, 401, 405, 413, 415, 503),
  },
});

export const slackCommands = createRoute({
  method: "post",
  path: "/v1/slack/commands",
  tags: ["slack"],
  summary: "Slack slash command (/<agent> <text>): launches one thread of that agent as the Slack user; authorised by Slack's v0 signature",
  request: {
    headers: signed.extend({
      "x-slack-retry-num": z.string().optional().openapi({ param: { name: "x-slack-retry-num", in: "header" }, description: "A retry launches no second thread (the thread id derives from trigger_id)." }),
    }),
    body: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: z.object({
            command: z.string().openapi({ example: "/deploybot" }),
            text: z.string().openapi({ example: "deploy v1.2.3 to staging" }),
            user_id: z.string(),
            team_id: z.string(),
            channel_id: z.string(),
            trigger_id: z.string(),
            response_url: z.string().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: json(
      z.object({ response_type: z.enum(["in_channel", "ephemeral"]), text: z.string() }),
      "What Slack shows at once: the launched thread (in the channel), or why nothing was launched (to the user only).",
    ),
    ...errors(400, 401, 405, 413, 415, 503),
  },
});
