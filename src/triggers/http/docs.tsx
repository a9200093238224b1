/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { DocsPage, type OpenApiDoc } from "./docs-page";

// GET /openapi.json and GET /docs. The document is generated once per isolate from the
// route definitions the app registered (the same zod schemas that validate requests).

export const DOC_INFO = {
  openapi: "3.1.0",
  info: {
    title: "edge-agents",
    version: "0.1.0",
    description: "12-Factor Agents runtime on Cloudflare Workers: launch, inspect, stream, pause, resume, fork and answer agent threads.",
  },
} as const;

export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  let cached: ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]> | undefined;
  const doc = () => (cached ??= app.getOpenAPI31Document({ ...DOC_INFO, servers: [{ url: "/" }] }));
  const routes = new Hono<AppEnv>();
  routes.get("/openapi.json", (c) => c.json(doc()));
  routes.get("/docs", (c) => {
    c.header("content-security-policy", PAGE_CSP);
    c.header("x-content-type-options", "nosniff");
    return c.html(`<!doctype html>${(<DocsPage doc={doc() as unknown as OpenApiDoc} />).toString()}`);
  });
  return routes;
}
