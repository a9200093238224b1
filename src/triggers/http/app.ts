import { Hono } from "hono";
import type { AgentRegistry } from "../../agents";
import { ThreadId } from "../../core";
import { ApiError, onError } from "./errors";
import { requireApiToken } from "./auth";
import { agentRoutes } from "./agents";
import { humanLinkRoutes } from "./human-links";
import { threadRoutes } from "./threads";
import { forkRoutes } from "./fork";
import { evalRoutes } from "./evals";
import { limitBody } from "./validate";
import { requestLog } from "./request-log";
import { defaultWebhookSources, webhookRoutes } from "../webhooks";

export type AppEnv = { Bindings: Env; Variables: { threadId: ThreadId; correlationId: string } };

/** The HTTP trigger: one Hono app, bearer auth on /v1, one error mapping point. */
export function httpApp(agents: AgentRegistry, options: { readonly now?: () => number } = {}) {
  const app = new Hono<AppEnv>();
  app.use(requestLog);
  app.onError(onError);
  app.notFound((c) => c.json({ error: { code: "not_found", message: `No route ${c.req.method} ${c.req.path}.` } }, 404));

  app.get("/", (c) =>
    c.json({ name: "edge-agents", agents: [...agents.keys()], docs: "See README.md; the API lives under /v1 (bearer token)." }),
  );

  app.route("/h", humanLinkRoutes()); // authorised by its signed token, not the bearer token
  // Authorised by each source's signature, not the bearer token: registered before /v1's auth.
  app.route("/v1/webhooks", webhookRoutes(defaultWebhookSources(agents), options.now ?? (() => Date.now())));
  app.use("/v1/*", requireApiToken, limitBody);
  app.route("/v1/agents", agentRoutes(agents));
  app.route("/v1/threads", threadRoutes());
  app.route("/v1/threads", forkRoutes(agents)); // POST /v1/threads/{id}/fork
  app.route("/v1", evalRoutes(agents)); // /v1/agents/{agent}/evals, /v1/evals/{id} (docs/evals.md)
  return app;
}

export function parseThreadId(raw: string): ThreadId {
  const parsed = ThreadId.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, "invalid_thread_id", `"${raw.slice(0, 80)}" is not a valid thread id.`);
  return parsed.data;
}
