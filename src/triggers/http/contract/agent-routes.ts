import { createRoute } from "@hono/zod-openapi";
import { z } from "./zod";
import { LaunchBody, UsageQuery } from "../schemas";
import { bearer, errors, json, jsonBody } from "./responses";
import { AgentList, Thread, Usage, VariantStats } from "./schemas";

// Route definitions for /v1/agents; the handlers live in ../agents.ts.

const tags = ["agents"];
const params = z.object({ agent: z.string().openapi({ param: { name: "agent", in: "path" }, example: "deploybot" }) });

export const listAgents = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "List agents with their tools, prompt versions and variants",
  security: bearer,
  responses: { 200: json(AgentList, "Every deployed agent."), ...errors(401) },
});

export const launchThread = createRoute({
  method: "post",
  path: "/{agent}/threads",
  tags: ["agents", "threads"],
  summary: "Launch a thread",
  security: bearer,
  request: {
    params,
    headers: z.object({ "idempotency-key": z.string().optional().openapi({ description: "The same key launches the same thread once." }) }),
    body: jsonBody(LaunchBody),
  },
  responses: {
    200: json(Thread, "The thread already existed (same threadId or Idempotency-Key); nothing was appended."),
    201: json(Thread, "The new thread."),
    ...errors(400, 401, 404, 409, 413, 415),
  },
});

export const agentVariants = createRoute({
  method: "get",
  path: "/{agent}/variants",
  tags,
  summary: "Per prompt variant: threads, steps, errors, escalations, outcomes",
  security: bearer,
  request: { params },
  responses: { 200: json(VariantStats, "Eventually consistent counts from the thread index."), ...errors(401, 404) },
});

export const agentUsage = createRoute({
  method: "get",
  path: "/{agent}/usage",
  tags,
  summary: "Token usage of an agent's threads created in a window, per prompt variant and in total",
  security: bearer,
  request: { params, query: UsageQuery },
  responses: { 200: json(Usage, "Eventually consistent totals from the thread index."), ...errors(400, 401, 404) },
});
