import { OpenAPIHono, type RouteConfig, type RouteHandler } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError, issuesOf } from "../errors";

/** An OpenAPIHono whose request validation fails with our error codes (mapped to JSON by app.onError). */
export function contractApp<E extends AppEnv = AppEnv>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (result.success) return;
      const issues = issuesOf(result.error);
      switch (result.target) {
        case "json":
          throw new ApiError(400, "invalid_request", "The request body does not match the schema.", issues);
        case "query":
          throw new ApiError(400, "invalid_query", "The query string does not match the schema.", issues);
        case "param":
          throw new ApiError(400, "invalid_path", "The path does not match the schema.", issues);
        default:
          throw new ApiError(400, "invalid_request", "The request does not match the schema.", issues);
      }
    },
  });
}

/**
 * Registers a handler for a route definition. Handlers answer with `sendJson` (a plain
 * Response): Hono's compile-time typed responses recurse without end on our recursive
 * `Json` type, so bodies are checked at run time instead, by the contract test, against
 * the very schemas the document declares. This cast is the one place that trade is made.
 */
export function serve<R extends RouteConfig, E extends AppEnv>(
  app: OpenAPIHono<E>,
  route: R,
  handler: (c: Parameters<RouteHandler<R, E>>[0]) => Promise<Response>,
  ...middleware: MiddlewareHandler<E>[]
): void {
  // Middleware runs before the generated validators: our 415 and depth checks come first.
  app.openapi({ ...route, ...(middleware.length ? { middleware } : {}) }, handler as unknown as RouteHandler<R, E>);
}

export type { Context };
