import { extendZodWithOpenApi } from "@hono/zod-openapi";
import { z } from "zod";

// `.openapi()` on the app's own zod: a bundler (vite in the tests) may load zod once for
// @hono/zod-openapi and once for our code, and only the instance that is extended has it.
extendZodWithOpenApi(z);

export { z };

/**
 * `schema.openapi(refId)` for a schema built before the extension ran (zod copies prototype
 * methods onto each instance when it is created, so core's schemas lack the method).
 */
export function named<S extends z.ZodType>(schema: S, refIdOrMetadata: string | Metadata): S {
  const openapi = z.ZodType.prototype.openapi as (this: S, arg: string | Metadata) => S;
  return openapi.call(schema, refIdOrMetadata);
}

type Metadata = { param?: { name: string; in: "path" | "query" | "header" }; example?: unknown; description?: string };
