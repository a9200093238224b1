import { createRoute } from "@hono/zod-openapi";
import { z } from "./zod";
import { CasesQuery, EvalList, EvalView, StartedEval, StartEvalBody } from "../../../evals/schemas";
import { bearer, errors, idempotencyHeader, json, jsonBody } from "./responses";

// Evals (docs/evals.md): plain Hono handlers in ../evals.ts, documented here with
// `registerPath` (src/app.tsx) so the document lists every route the app serves.

const tags = ["evals"];
const agent = z.object({ agent: z.string().openapi({ param: { name: "agent", in: "path" }, example: "deploybot" }) });
const id = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ev_0123456789abcdef0123456789abcdef" }) });

export const startEval = createRoute({
  method: "post",
  path: "/v1/agents/{agent}/evals",
  tags,
  summary: "Replay past model steps against a candidate prompt variant or model (nothing runs)",
  security: bearer,
  request: {
    params: agent,
    headers: idempotencyHeader,
    body: jsonBody(StartEvalBody),
  },
  responses: {
    202: json(StartedEval, "The eval is running."),
    200: json(StartedEval, "A repeat of an earlier start (same Idempotency-Key and body): that eval, nothing new started."),
    ...errors(400, 401, 404, 409, 413, 415),
  },
});

export const listEvals = createRoute({
  method: "get",
  path: "/v1/agents/{agent}/evals",
  tags,
  summary: "An agent's evals, newest first",
  security: bearer,
  request: { params: agent },
  responses: { 200: json(EvalList, "The evals."), ...errors(401, 404) },
});

export const getEval = createRoute({
  method: "get",
  path: "/v1/evals/{id}",
  tags,
  summary: "An eval's progress, summary and (paginated) cases",
  security: bearer,
  request: { params: id, query: CasesQuery },
  responses: { 200: json(EvalView, "The eval."), ...errors(400, 401, 404) },
});

export const deleteEval = createRoute({
  method: "delete",
  path: "/v1/evals/{id}",
  tags,
  summary: "Delete an eval and its report",
  security: bearer,
  request: { params: id },
  responses: { 204: { description: "Deleted." }, ...errors(400, 401, 404) },
});

export const evalRoutesDoc = [startEval, listEvals, getEval, deleteEval];
