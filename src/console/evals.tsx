/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { z } from "zod";
import { CasesQuery, EvalId } from "../evals/schemas";
import { evalStub } from "../evals/stubs";
import { ApiError } from "../triggers/http/errors";
import { IdempotencyKey } from "../triggers/http/schemas";
import { form, postToApi, type Dispatch } from "./forms";
import type { ConsoleEnv } from "./guard";
import { page } from "./pages/layout";
import { EvalPage, EvalReport, type CasesShown } from "./pages/evals";

// Evals in the console: the start form posts here, and goes through the API's own route
// (its checks, its Idempotency-Key) as the signed-in user; the report is read from the eval's object.

const StartForm = z.object({
  /** The form's own Idempotency-Key, rendered with it: a double submit or a resent POST starts one eval. */
  key: IdempotencyKey,
  variant: z.string().max(40).optional(),
  model: z.string().max(200).optional(),
  steps: z.enum(["all", "first"]).optional(),
  threads: z.string().max(20_000).optional(),
  status: z.string().max(40).optional(),
  since: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** The API's start body from the form: thread ids, else a filter (both given: the API refuses, as it should). */
export function startBody(input: z.infer<typeof StartForm>) {
  const threads = input.threads?.split(/[\s,]+/).filter(Boolean) ?? [];
  const filter = { ...(input.status ? { status: input.status } : {}), ...(input.since ? { since: input.since } : {}), ...(input.limit ? { limit: input.limit } : {}) };
  return {
    ...(input.variant ? { variant: input.variant } : {}),
    ...(input.model ? { model: input.model } : {}),
    ...(input.steps ? { steps: input.steps } : {}),
    ...(threads.length ? { threads } : {}),
    ...(Object.keys(filter).length ? { filter } : {}),
  };
}

const Shown = CasesQuery.pick({ cursor: true }).extend({ only: z.enum(["all", "differing"]).default("differing") });
const CASES_PER_PAGE = 50;

export function consoleEvalRoutes(dispatch: Dispatch) {
  const app = new Hono<ConsoleEnv>();

  app.post("/agents/:agent/evals", async (c) => {
    const input = await form(c, StartForm);
    const agent = c.req.param("agent");
    const started = await postToApi<{ id: string }>(c, dispatch, `/v1/agents/${encodeURIComponent(agent)}/evals`, startBody(input), { "idempotency-key": input.key });
    return c.redirect(`/console/evals/${started.id}`, 303);
  });

  const report = async (env: Env, rawId: string, rawQuery: Record<string, string>) => {
    const id = EvalId.safeParse(rawId);
    if (!id.success) throw new ApiError(400, "invalid_eval_id", "Not an eval id.");
    const query = Shown.safeParse(rawQuery);
    if (!query.success) throw new ApiError(400, "invalid_query", "Unknown cases filter or cursor.");
    const shown: CasesShown = { only: query.data.only, ...(query.data.cursor ? { cursor: query.data.cursor } : {}) };
    const view = await evalStub(env, id.data).view({ ...shown, limit: CASES_PER_PAGE });
    if (!view) throw new ApiError(404, "eval_not_found", `No eval ${id.data}.`);
    return { view, shown };
  };

  app.get("/evals/:id", async (c) => {
    const { view, shown } = await report(c.env, c.req.param("id"), c.req.query());
    return c.html(page(<EvalPage who={c.var.user.id} view={view} shown={shown} />));
  });
  // The live part, re-fetched by the client script while the eval runs: one renderer, on the server.
  app.get("/evals/:id/report", async (c) => {
    const { view, shown } = await report(c.env, c.req.param("id"), c.req.query());
    return c.html(String(<EvalReport view={view} shown={shown} />));
  });

  return app;
}
