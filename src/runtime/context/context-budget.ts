import type { AgentDefinition } from "../../agents";
import type { ModelInput, Step } from "../../core";

type HumanRequest = Extract<Step, { kind: "ask_human" }>["request"];

/**
 * What must stay in the context (pinned) does not fit the agent's budget. Truncating it
 * would hide an unknown outcome or a human's decision from the model (invariant 11), so
 * the thread asks a human instead, and the model is not called while the request is open.
 */
export function contextOverBudget(agent: AgentDefinition, input: ModelInput): HumanRequest {
  const { tokens, limit, tokenizer } = input.budget;
  return {
    kind: "input",
    reason: "context_over_budget",
    message:
      `The context that must stay in view for ${agent.name} (the launch, human decisions, unresolved errors and the newest result of each tool: ${input.stats.pinnedTokens} tokens, ` +
      `${tokens} with the prompt and tools) exceeds its budget of ${limit} tokens (${tokenizer}). Nothing was truncated and the model was not called. ` +
      `Raise context.tokens for ${agent.name}, or resolve the open errors, then answer to continue; or cancel the thread.`,
  };
}
