import { Hono } from "hono";
import type { AgentRegistry } from "../../agents";
import { promptFor, unknownVariant } from "../../agents/variants";
import { promptVersion } from "../../agents/prompt";
import { modelConfigFrom } from "../../model/config";
import { limitsFrom, select } from "../../evals/selection";
import { CasesQuery, EvalId, StartEvalBody } from "../../evals/schemas";
import { directoryStub, evalList, evalStub } from "../../evals/stubs";
import type { AppEnv } from "./env";
import { ApiError, sendJson } from "./errors";
import { jsonBody, queryOf, requireJson } from "./validate";
import { idempotencyKey, keyedHex } from "./idempotency";
import { canonicalJson } from "../../core";

// Evals (docs/evals.md): replay past model steps of an agent's threads against a
// candidate prompt variant or model. Reads logs, calls only the model, writes its own report.

export function evalRoutes(agents: AgentRegistry) {
  const routes = new Hono<AppEnv>();
  const agentOf = (name: string) => {
    const agent = agents.get(name);
    if (!agent) throw new ApiError(404, "unknown_agent", `No agent named "${name.slice(0, 40)}".`);
    return agent;
  };

  routes.post("/agents/:agent/evals", requireJson, jsonBody(StartEvalBody), async (c) => {
    const agent = agentOf(c.req.param("agent"));
    const body = c.req.valid("json");
    // With an Idempotency-Key the key names the eval, so a retried start finds it instead of starting a second.
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const keyed = key ? { id: `ev_${await keyedHex("eval", agent.name, key)}`, request: await keyedHex("eval-request", agent.name, canonicalJson(body)) } : undefined;
    const earlier = keyed ? await repeatOf(c.env, keyed) : undefined;
    if (earlier) return sendJson(c, earlier, 200);
    const variantName = body.variant ?? agent.variants[0]?.name ?? "default";
    if (!agent.variants.some((v) => v.name === variantName)) {
      const unknown = unknownVariant(agent, variantName);
      throw new ApiError(400, unknown.code, unknown.message);
    }
    const config = modelConfigFrom(c.env);
    if (!config.ok) throw new ApiError(409, "model_not_configured", config.message);
    const selection = await select(c.env, agent, body, limitsFrom(c.env), Date.now());
    if (!selection.ok) throw new ApiError(selection.status, selection.code, selection.message, selection.details);

    const id = keyed?.id ?? `ev_${crypto.randomUUID().replaceAll("-", "")}`;
    const createdAt = new Date().toISOString();
    const candidate = {
      variant: variantName,
      model: body.model ?? config.config.model,
      promptVersion: await promptVersion(promptFor(agent, variantName).template),
    };
    await directoryStub(c.env, agent.name).add(id, createdAt);
    const started = await evalStub(c.env, id).start(
      { id, agent: agent.name, createdAt, candidate, steps: body.steps, threads: selection.threads, ...(keyed ? { request: keyed.request } : {}) },
      selection.questions,
    );
    // A concurrent retry with the same key started it first: answer as a repeat.
    if (!started && keyed) {
      const repeat = await repeatOf(c.env, keyed);
      if (repeat) return sendJson(c, repeat, 200);
    }
    return sendJson(c, { id, status: "running", total: selection.questions.length, threads: selection.threads }, 202);
  });

  routes.get("/agents/:agent/evals", async (c) => {
    const agent = agentOf(c.req.param("agent"));
    return sendJson(c, { evals: await evalList(c.env, agent.name, 50) });
  });

  routes.get("/evals/:id", queryOf(CasesQuery), async (c) => {
    const id = evalIdOf(c.req.param("id"));
    const view = await evalStub(c.env, id).view(c.req.valid("query"));
    if (!view) throw new ApiError(404, "eval_not_found", `No eval ${id}.`);
    return sendJson(c, view);
  });

  routes.delete("/evals/:id", async (c) => {
    const id = evalIdOf(c.req.param("id"));
    const item = await evalStub(c.env, id).listItem();
    if (!item) throw new ApiError(404, "eval_not_found", `No eval ${id}.`);
    await evalStub(c.env, id).remove();
    await directoryStub(c.env, item.agent).remove(id);
    return c.body(null, 204);
  });

  return routes;
}

/** The eval an earlier start with this key made: 200 with it if the request matches, 409 if not, undefined if none. */
async function repeatOf(env: Env, keyed: { id: string; request: string }) {
  const earlier = await evalStub(env, keyed.id).started();
  if (!earlier) return undefined;
  if (earlier.request !== keyed.request) {
    throw new ApiError(409, "idempotency_key_reused", "This Idempotency-Key was already used to start a different eval.", { id: keyed.id });
  }
  return { id: keyed.id, status: earlier.status, total: earlier.total, threads: earlier.threads };
}

function evalIdOf(raw: string): string {
  const parsed = EvalId.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, "invalid_eval_id", `"${raw.slice(0, 80)}" is not an eval id.`);
  return parsed.data;
}
