import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { AgentDefinition } from "../agents/types";
import { annotationPolicy, pinnedTool, type McpToolEntry, type ThreadState, type ToolCatalog, type ToolFacts, type ToolSpec } from "../core";
import { resolveServers, type McpToolPolicy } from "../agents/mcp";

// A thread's MCP tools as the rest of the runtime sees them: facts for `next`, specs for the
// model, and the argument check. All read the list pinned in the thread's log (invariant 12),
// never the server's current list.

/**
 * The agent's own tools, then the thread's pinned MCP tools. Policy: the annotations
 * (readOnlyHint: inline and idempotent; anything else needs approval; idempotentHint allows a
 * re-run after a crash), unless the agent's code overrides it for that tool.
 */
export function threadCatalog(agent: AgentDefinition, state: ThreadState | undefined, env: Env): ToolCatalog {
  if (!state?.mcp || state.mcp.tools.length === 0) return agent.catalog;
  return (name) => {
    const own = agent.catalog(name);
    if (own) return own;
    const entry = pinnedTool(state, name);
    return entry ? mcpFacts(entry, overrideFor(agent, env, entry)) : undefined;
  };
}

export function mcpFacts(entry: McpToolEntry, override: McpToolPolicy | undefined): ToolFacts {
  const policy = { ...annotationPolicy(entry.annotations), ...override };
  return { intent: "act", idempotent: policy.idempotent, needsApproval: () => policy.requiresApproval };
}

function overrideFor(agent: AgentDefinition, env: Env, entry: McpToolEntry): McpToolPolicy | undefined {
  return resolveServers(agent.mcp, env).find((s) => s.name === entry.server)?.policy[entry.remote];
}

/** What the model is offered besides the agent's own tools: the pinned list, schemas as listed. */
export function mcpSpecs(state: ThreadState | undefined): ToolSpec[] {
  return (state?.mcp?.tools ?? []).map((t) => ({ name: t.name, description: t.description, parameters: t.inputSchema }));
}

const validator = new CfWorkerJsonSchemaValidator({ shortcircuit: false });

/** Why `args` do not match the tool's listed schema, or undefined when they do. */
export function argumentProblem(entry: McpToolEntry, args: unknown): string | undefined {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return "the arguments must be a JSON object";
  const result = validator.getValidator(entry.inputSchema)(args);
  return result.valid ? undefined : (result.errorMessage ?? "they do not match its schema").slice(0, 500);
}

/** For `decide`: a pinned tool's argument check by its model-facing name (ours are checked by zod). */
export function remoteChecks(state: ThreadState | undefined): (name: string) => ((args: unknown) => string | undefined) | undefined {
  return (name) => {
    const entry = state ? pinnedTool(state, name) : undefined;
    return entry ? (args: unknown) => argumentProblem(entry, args) : undefined;
  };
}
