/** @jsxImportSource hono/jsx */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AgentRegistry } from "./agents";
import { onError, sendJson } from "./triggers/http/errors";
import type { AppEnv } from "./triggers/http/env";
import { requireApiToken } from "./triggers/http/auth";
import { agentRoutes } from "./triggers/http/agents";
import { humanLinkRoutes } from "./triggers/http/human-links";
import { threadRoutes } from "./triggers/http/threads";
import { decisionRoutes } from "./triggers/http/decisions";
import { forkRoutes } from "./triggers/http/fork";
import { evalRoutes } from "./triggers/http/evals";
import { limitBody } from "./triggers/http/validate";
import { requestLog } from "./triggers/http/request-log";
import { defaultWebhookSources, webhookRoutes } from "./triggers/webhooks";
import { slackRoutes } from "./triggers/slack/routes";
import { contractApp } from "./triggers/http/contract/serve";
import * as other from "./triggers/http/contract/other-routes";
import { evalRoutesDoc } from "./triggers/http/contract/eval-routes";
import { slackCommands, slackInteractions } from "./triggers/http/contract/slack-routes";
import { docsRoutes } from "./triggers/http/docs";
import { consoleRoutes } from "./console/routes";
import { WelcomePage } from "./console/pages/pages";
import { page } from "./console/pages/layout";
import { mcpRoutes } from "./triggers/mcp/routes";

/**
 * The Worker's HTTP app, composed from its parts: the HTTP trigger's routes (bearer auth
 * on /v1, one error mapping point, one generated contract), the webhooks and the console.
 * It sits above all of them (src/worker.ts uses it), so no trigger imports the console.
 */
export function httpApp(agents: AgentRegistry, options: { readonly now?: () => number; readonly fetch?: typeof fetch } = {}) {
  const app = contractApp();
  app.use(requestLog);
  app.onError(onError);
  app.notFound((c) => c.json({ error: { code: "not_found", message: `No route ${c.req.method} ${c.req.path}.` } }, 404));

  app.get("/", (c) => {
    const index = { name: "edge-agents", agents: [...agents.keys()], console: "/console", docs: "/docs", openapi: "/openapi.json" };
    // A browser asks for HTML first; API clients (curl's */*, fetch's default) keep the JSON.
    if (prefersHtml(c.req.header("accept"))) return c.html(page(<WelcomePage agents={index.agents} />));
    return sendJson(c, index);
  });

  app.route("/h", humanLinkRoutes()); // authorised by its signed token, not the bearer token
  // Authorised by each source's signature, not the bearer token: registered before /v1's auth.
  app.route("/v1/webhooks", webhookRoutes(defaultWebhookSources(agents), options.now ?? (() => Date.now())));
  const outbound = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  app.route("/v1/slack", slackRoutes(agents, { now: options.now ?? (() => Date.now()), fetch: outbound })); // Slack's signature (docs/slack.md)
  app.use("/v1/*", requireApiToken(outbound), limitBody);
  app.route("/v1/agents", agentRoutes(agents, outbound));
  app.route("/v1/threads", threadRoutes());
  app.route("/v1/threads", forkRoutes(agents)); // POST /v1/threads/{id}/fork
  app.route("/v1/decisions", decisionRoutes()); // the audit export of human decisions (docs/humans.md)
  app.route("/v1", evalRoutes(agents)); // /v1/agents/{agent}/evals, /v1/evals/{id} (docs/evals.md)
  app.route("/mcp", mcpRoutes(agents, outbound)); // the runtime as an MCP server (docs/mcp.md), authorised like /v1
  app.route("/console", consoleRoutes(agents, options.now ?? (() => Date.now()), (request, env) => Promise.resolve(app.fetch(request, env)), outbound));
  document(app);
  app.route("/", docsRoutes(app));
  return app;
}

/** Routes served by plain Hono handlers are described here, so the document lists them too. */
function document(app: OpenAPIHono<AppEnv>): void {
  for (const route of [other.root, other.openapiDocument, other.docsPage, other.humanLinkPage, other.humanLinkAnswer, other.webhook, slackInteractions, slackCommands, ...other.mcpRoutesDoc, ...other.consoleRoutesDoc, ...evalRoutesDoc]) {
    app.openAPIRegistry.registerPath(route);
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A named API credential (API_TOKENS) or API_TOKEN (named `default`).",
  });
}

function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf("text/html");
  const json = accept.indexOf("application/json");
  return html >= 0 && (json < 0 || html < json);
}
