// Plain data, no workerd imports: the workers tests and the e2e tests (Node) both use it.
import type { ChatRequest, ScriptStep } from "./scripted-model";

/** The terse prompt's first line after the tool list; the default prompt does not say it. */
const TERSE = "One tool call per step";

/**
 * A deterministic model that decides from what it is asked, never from turn order:
 * list tags, deploy v1.2.3 of the backend (to staging, or to production when the system
 * prompt is the terse one), then finish. `gate` holds the terse deploy decision.
 */
export function deployRule(gate?: string) {
  return (request: ChatRequest): ScriptStep => {
    const system = request.messages[0]?.content ?? "";
    const thread = request.messages[1]?.content ?? "";
    if (!thread.includes("<list_git_tags_result")) return { tool: "list_git_tags", args: {} };
    if (!thread.includes("<deploy_backend_result")) {
      const terse = system.includes(TERSE);
      const step = { tool: "deploy_backend", args: { tag: "v1.2.3", environment: terse ? "production" : "staging" } };
      return terse && gate ? { gate, then: step } : step;
    }
    return { tool: "done_for_now", args: { message: "Deployed v1.2.3 to staging." } };
  };
}
