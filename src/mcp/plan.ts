import type { AgentDefinition } from "../agents/types";
import type { AgentPlan, Rejection } from "../core";
import { resolveServers } from "../agents/mcp";

/** The agent's plan with the MCP servers configured in this environment (the first step lists them). */
export function threadPlan(agent: AgentDefinition, env: Env): AgentPlan {
  if (!agent.mcp) return agent.plan;
  return { ...agent.plan, mcpServers: resolveServers(agent.mcp, env).map((s) => s.name) };
}

/** An agent built on MCP servers with none configured is not launched: it would have no tools to work with. */
export function notConfigured(agent: AgentDefinition, env: Env): Rejection | undefined {
  if (!agent.mcp || resolveServers(agent.mcp, env).length > 0) return undefined;
  return {
    status: 409,
    code: "agent_not_configured",
    message: agent.mcp.unconfigured ?? `Agent ${agent.name} has no MCP server configured in this deployment.`,
  };
}
