import type { AgentPlan, JsonObject } from "../core";
import type { ToolDefinition } from "./types";

export type PrefetchInput = { tool: string; args?: JsonObject };

/**
 * Checks an agent's pre-fetch list at setup (Factor 13): each tool must exist, run our
 * code, accept the arguments, and need no approval for them (a pre-fetch runs before any
 * human could approve it). Returns the plan `next` follows.
 */
export function resolvePrefetch(agent: string, prefetch: readonly PrefetchInput[], tools: ReadonlyMap<string, ToolDefinition>): AgentPlan {
  const planned = prefetch.map(({ tool: name, args = {} }) => {
    const tool = tools.get(name);
    if (!tool) throw new Error(`${agent}: prefetch names unknown tool "${name}"`);
    if (tool.intent !== "act") throw new Error(`${agent}: prefetch tool "${name}" must run code (not ask a human or finish)`);
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) throw new Error(`${agent}: prefetch arguments for "${name}" do not parse: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    if (tool.requiresApproval(parsed.data)) throw new Error(`${agent}: prefetch tool "${name}" needs approval for these arguments; it cannot run before the model`);
    return { tool: name, args: parsed.data as JsonObject };
  });
  return planned.length > 0 ? { prefetch: planned } : {};
}
