import { Hono } from "hono";
import type { AgentRegistry } from "../../agents";
import { ApiError, sendJson } from "../http/errors";
import { limitBody } from "../http/validate";
import { rateLimit } from "../http/rate-limit";
import { logLine } from "../../log";
import { commandOf, planCommand } from "./commands";
import { BlockActions, handleClick, payloadOf } from "./interactions";
import { submitEdit, ViewSubmission } from "./edit-modal";
import { formOf, verifiedSlack, type SlackEnv } from "./verify";

// POST /v1/slack/interactions and /v1/slack/commands: not behind the bearer token; Slack's
// signature is the credential (verify.ts). Slack gives up on an answer after 3 s, so both
// answer at once and do their work after the response (executionCtx.waitUntil).

export function slackRoutes(agents: AgentRegistry, options: { readonly now: () => number; readonly fetch: typeof fetch }) {
  const routes = new Hono<SlackEnv>();
  const { now, fetch: fetcher } = options;

  routes.post("/interactions", limitBody, verifiedSlack(now), async (c) => {
    await rateLimit(c.env.WEBHOOK_RATE_LIMIT, "webhook:slack", "WEBHOOK_RATE_LIMIT");
    const payload = payloadOf(formOf(c.var.rawBody, c.req.header("content-type")));
    // A modal's submission is answered in the response (Slack shows errors on its fields): well within Slack's 3 s.
    if (payload.type === "view_submission") {
      const answer = await submitEdit(c.env, ViewSubmission.parse(payload.json));
      return answer ? sendJson(c, answer) : c.body(null, 200);
    }
    const click = payload.type === "block_actions" ? BlockActions.parse(payload.json) : undefined;
    if (click) c.executionCtx.waitUntil(afterResponse("slack_click_failed", handleClick(c.env, fetcher, click)));
    return c.body(null, 200);
  });

  routes.post("/commands", limitBody, verifiedSlack(now), async (c) => {
    await rateLimit(c.env.WEBHOOK_RATE_LIMIT, "webhook:slack", "WEBHOOK_RATE_LIMIT");
    const command = commandOf(formOf(c.var.rawBody, c.req.header("content-type")));
    const plan = await planCommand(c.env, agents, command, fetcher);
    if (plan.launch) c.executionCtx.waitUntil(afterResponse("slack_command_failed", plan.launch()));
    return sendJson(c, plan.answer);
  });

  routes.all("/interactions", methodNotAllowed);
  routes.all("/commands", methodNotAllowed);
  return routes;
}

function methodNotAllowed(): never {
  throw new ApiError(405, "method_not_allowed", "Slack posts to this URL.");
}

/** Work after the response has no caller to report to: its failure is a log line. */
function afterResponse(msg: string, work: Promise<void>): Promise<void> {
  return work.catch((error: unknown) => logLine(msg, { error: error instanceof Error ? error.message : String(error) }, "error"));
}
