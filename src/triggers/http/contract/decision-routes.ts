import { createRoute } from "@hono/zod-openapi";
import { z } from "./zod";
import { DecisionsQuery } from "../decisions-query";
import { bearer, errors } from "./responses";

// GET /v1/decisions: the audit export of human decisions (invariant 13); handler in ../decisions.ts.

const Principal = z.object({ kind: z.string(), id: z.string(), verifiedBy: z.string() });

export const DecisionRowView = z
  .object({
    threadId: z.string(),
    seq: z.number().int().openapi({ description: "The seq of the human_responded event in the thread's log." }),
    agent: z.string(),
    requestId: z.string(),
    tool: z.string(),
    originalArgs: z.record(z.string(), z.unknown()).openapi({ description: "What the model asked for." }),
    finalArgs: z.record(z.string(), z.unknown()).openapi({ description: "What was decided on: the edited arguments for an edit, else those held then." }),
    decision: z.enum(["approve", "reject", "edit"]),
    principal: Principal,
    channel: z.string().openapi({ description: "api, console, link, email, slack or mcp." }),
    at: z.string(),
    comment: z.string().optional(),
  })
  .openapi("Decision");

export const DecisionList = z.object({ decisions: z.array(DecisionRowView), next: z.string().optional() }).openapi("DecisionList");

export const listDecisionsRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["decisions"],
  summary: "Human decisions across threads, newest first (the audit export)",
  description:
    "Every approve, reject and edit of a held call: thread, request, tool, original and final arguments, decision, principal, channel, time. " +
    "Served from the thread index (eventually consistent, up to 10 s behind the logs). With `Accept: application/x-ndjson` the rows " +
    "matching the filters stream one JSON object per line, from `cursor` to the oldest, instead of one page.",
  security: bearer,
  request: { query: DecisionsQuery },
  responses: {
    200: {
      description: "A page of decisions; `next` is the cursor for the following page. Or, for application/x-ndjson, every matching row.",
      content: { "application/json": { schema: DecisionList }, "application/x-ndjson": { schema: DecisionRowView } },
    },
    ...errors(400, 401),
  },
});
