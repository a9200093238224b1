import { z } from "zod";
import { AgentName, DEFAULT_AGENT_TIMEOUT_SECONDS, yamlish, type JsonObject } from "../core";
import type { AgentDefinition, DelegateTool } from "./types";

const defaultInput = z.object({
  task: z.string().min(1).max(32_000).describe("The task for the other agent, self-contained: it sees nothing of this thread."),
});

/**
 * Declares a delegate: `defineAgent({ ..., delegates: [delegateTo("deploybot", {...})] })`
 * gives the model a `delegate_to_deploybot` tool. The default input is `{task}`, sent as
 * the child's launch message; a custom input needs `message` to turn it into one (or is
 * sent as `key: value` lines).
 */
export function delegateTo<S extends z.ZodObject = typeof defaultInput>(
  agent: string,
  options: {
    description?: string;
    input?: S;
    message?: (args: z.infer<S>) => string;
    timeoutSeconds?: number;
  } = {},
): DelegateTool {
  const name = AgentName.parse(agent);
  const input = options.input ?? defaultInput;
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_AGENT_TIMEOUT_SECONDS;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new Error(`delegate_to_${name}: timeoutSeconds must be a positive integer`);
  const build = options.message;
  return {
    name: `delegate_to_${name}`,
    description:
      options.description ?? `Hand a task to the ${name} agent. It works in its own thread; its final answer comes back as this tool's result.`,
    input,
    intent: "delegate",
    agent: name,
    // The runtime only calls this with arguments parsed by `input` from the logged (JSON) call.
    message: (args) => (build ? build(args as z.infer<S>) : typeof args["task"] === "string" ? args["task"] : yamlish(args as JsonObject)),
    timeoutSeconds,
  };
}

/**
 * Checked when the registry is built, not at the first call: every delegate must name a
 * deployed agent. Cycles (a -> b -> a, or an agent delegating to itself) are allowed:
 * the depth limit (MAX_DELEGATION_DEPTH) bounds every chain at run time.
 */
export function checkDelegates(agents: ReadonlyMap<string, AgentDefinition>): void {
  for (const agent of agents.values()) {
    for (const tool of agent.tools) {
      if (tool.intent === "delegate" && !agents.has(tool.agent)) {
        throw new Error(`${agent.name}: ${tool.name} delegates to unknown agent "${tool.agent}"`);
      }
    }
  }
}
