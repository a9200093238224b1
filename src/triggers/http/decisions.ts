import { listDecisions } from "../../runtime/index/thread-index";
import type { DecisionQuery } from "../../runtime/index/thread-index-decisions";
import { ApiError, sendJson } from "./errors";
import { contractApp, serve } from "./contract/serve";
import { listDecisionsRoute } from "./contract/decision-routes";
import { decodeDecisionCursor, encodeDecisionCursor } from "./decisions-query";

// GET /v1/decisions: who approved, rejected or edited what, across threads (the audit export).
// A page as JSON, or every matching row as NDJSON, read page by page from the index.

const NDJSON_PAGE = 500;

export function decisionRoutes() {
  const routes = contractApp();
  serve(routes, listDecisionsRoute, async (c) => {
    const query = c.req.valid("query");
    const before = query.cursor !== undefined ? decodeDecisionCursor(query.cursor) : undefined;
    if (query.cursor !== undefined && !before) throw new ApiError(400, "invalid_cursor", "The cursor is not one this API issued.");
    if (query.since && query.until && query.since >= query.until) throw new ApiError(400, "invalid_query", "since must be before until.");
    const filters: Omit<DecisionQuery, "limit"> = {
      ...(query.agent ? { agent: query.agent } : {}),
      ...(query.since ? { since: query.since } : {}),
      ...(query.until ? { until: query.until } : {}),
      ...(before ? { before } : {}),
    };
    if ((c.req.header("accept") ?? "").includes("application/x-ndjson")) return ndjson(c.env, filters);
    const page = await listDecisions(c.env, { ...filters, limit: query.limit });
    return sendJson(c, { decisions: page.decisions, ...(page.next ? { next: encodeDecisionCursor(page.next) } : {}) });
  });
  return routes;
}

/** Streams every matching row, newest first, one page of the index at a time (memory stays one page). */
function ndjson(env: Env, filters: Omit<DecisionQuery, "limit">): Response {
  const encoder = new TextEncoder();
  let cursor = filters.before;
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return controller.close();
      const page = await listDecisions(env, { ...filters, ...(cursor ? { before: cursor } : {}), limit: NDJSON_PAGE });
      const lines = page.decisions.map((row) => `${JSON.stringify(row)}\n`).join("");
      if (lines) controller.enqueue(encoder.encode(lines));
      cursor = page.next;
      if (!page.next) {
        done = true;
        controller.close();
      }
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" } });
}
