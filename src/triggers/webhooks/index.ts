import type { AgentRegistry } from "../../agents";
import { github } from "./github";
import { slack } from "./slack";
import { webhookSources } from "./source";

export { webhookRoutes } from "./routes";
export type { WebhookSource, WebhookSources } from "./source";

/**
 * The webhook sources this Worker accepts at `POST /v1/webhooks/{source}`. Register a
 * source here (a verifier and a mapping, one file each) and set its secret
 * (`WEBHOOK_SECRET_<NAME>`); a source without a secret refuses every delivery.
 */
export function defaultWebhookSources(agents: AgentRegistry) {
  return webhookSources(agents, [github({ onWorkflowFailure: "deploybot" }), slack({ onMention: "deploybot" })]);
}
