import type { AgentRegistry } from "../../agents";
import { promptVersion } from "../../agents/prompt";
import { unknownVariant } from "../../agents/variants";
import { variantStatsView } from "./variant-stats";
import { ThreadId } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import { ApiError, sendJson } from "./errors";
import type { AppEnv } from "./env";
import { idempotencyKey, keyedHex } from "./idempotency";
import { limitDepth, requireJson } from "./validate";
import { contractApp, serve } from "./contract/serve";
import * as route from "./contract/agent-routes";
import { usageTotals } from "../../runtime/index/thread-index";
import { totalUsage } from "../../runtime/index/thread-index-stats";
import { httpSource } from "./source";
import { describeMcp } from "../../mcp/describe";

export function agentRoutes(agents: AgentRegistry, outbound: typeof fetch = (input, init) => fetch(input, init)) {
  const routes = contractApp<AppEnv>();

  serve(routes, route.listAgents, async (c) => sendJson(c, await agentList(agents, c.env, outbound)));

  serve(routes, route.launchThread, async (c) => {
    const agent = agents.get(c.req.param("agent"));
    if (!agent) throw new ApiError(404, "unknown_agent", `No agent named "${c.req.param("agent").slice(0, 40)}".`);
    const body = c.req.valid("json");
    if (body.variant !== undefined && !agent.variants.some((v) => v.name === body.variant)) {
      const unknown = unknownVariant(agent, body.variant);
      throw new ApiError(400, unknown.code, unknown.message);
    }
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const threadId = body.threadId ?? (key ? await threadIdFromKey(agent.name, key) : newThreadId());
    const result = await threadStub(c.env, threadId).launch(
      {
        threadId,
        agent: agent.name,
        message: body.message,
        ...(body.metadata ? { metadata: body.metadata } : {}),
        ...(body.humanTimeoutSeconds ? { humanTimeoutSeconds: body.humanTimeoutSeconds } : {}),
        ...(body.onHumanTimeout ? { onHumanTimeout: body.onHumanTimeout } : {}),
        ...(body.variant !== undefined ? { variant: body.variant } : {}),
        by: c.var.principal,
      },
      httpSource(c, key ? { idempotencyKey: key } : undefined),
    );
    if (!result.ok) throw ApiError.from(result.rejection);
    return sendJson(c, result.value.thread, result.value.created ? 201 : 200);
  }, requireJson, limitDepth);

  serve(routes, route.agentVariants, async (c) => {
    const agent = agents.get(c.req.param("agent"));
    if (!agent) throw new ApiError(404, "unknown_agent", `No agent named "${c.req.param("agent").slice(0, 40)}".`);
    return sendJson(c, await variantStatsView(c.env, agent));
  });

  serve(routes, route.agentUsage, async (c) => {
    const agent = agents.get(c.req.param("agent"));
    if (!agent) throw new ApiError(404, "unknown_agent", `No agent named "${c.req.param("agent").slice(0, 40)}".`);
    const { from, to } = c.req.valid("query");
    if (from && to && from >= to) throw new ApiError(400, "invalid_query", "`from` must be before `to`.");
    const variants = await usageTotals(c.env, agent.name, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
    const total = totalUsage(variants);
    return sendJson(c, { agent: agent.name, window: { from: from ?? null, to: to ?? null }, consistency: "eventual", total, variants });
  });

  return routes;
}

/** `GET /v1/agents` (and the MCP server's list_agents): every agent, its prompts and its tools. */
export async function agentList(agents: AgentRegistry, env: Env, outbound: typeof fetch) {
  return {
    agents: await Promise.all(
      [...agents.values()].map(async (agent) => {
        // What a new thread would be offered by the agent's MCP servers, asked now (docs/mcp.md).
        const remote = await describeMcp(agent, env, outbound);
        const own = agent.tools.map((tool) => ({
          name: tool.name,
          description: tool.description,
          intent: tool.intent,
          needsApproval: tool.intent === "act" ? tool.approval : "never",
          idempotent: tool.intent === "act" ? tool.idempotent : true,
          parameters: agent.toolSpecs.find((s) => s.name === tool.name)?.parameters,
          ...("onHumanTimeout" in tool && tool.onHumanTimeout ? { onHumanTimeout: tool.onHumanTimeout } : {}),
          // Composition (Factor 10): which agent a delegate hands work to, and how long it waits.
          ...(tool.intent === "delegate" ? { delegatesTo: tool.agent, timeoutSeconds: tool.timeoutSeconds } : {}),
        }));
        return {
          name: agent.name,
          description: agent.description,
          prompt: { file: agent.prompt.file, version: await promptVersion(agent.prompt.template) },
          humanTimeoutSeconds: agent.humanTimeoutSeconds,
          onHumanTimeout: agent.onHumanTimeout,
          variants: await Promise.all(
            agent.variants.map(async (v) => ({ name: v.name, file: v.file, version: await promptVersion(v.template), weight: v.weight })),
          ),
          ...(agent.plan.prefetch ? { prefetch: agent.plan.prefetch } : {}),
          tools: [...own, ...(remote?.tools ?? [])],
          ...(remote ? { mcp: remote.mcp } : {}),
        };
      }),
    ),
  };
}

export function newThreadId(): ThreadId {
  return ThreadId.parse(`t_${crypto.randomUUID().replaceAll("-", "")}`);
}

/** The same key for the same agent always names the same thread: a retried launch finds it. */
async function threadIdFromKey(agent: string, key: string): Promise<ThreadId> {
  return ThreadId.parse(`t_${await keyedHex(agent, key)}`);
}
