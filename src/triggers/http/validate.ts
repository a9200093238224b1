import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, issuesOf } from "./errors";
import { setting } from "../../settings";

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/** 415 unless the body (if any) is declared JSON; Hono's validator would silently read `{}`. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const length = c.req.header("content-length");
  const hasBody = c.req.raw.body !== null && length !== "0";
  const media = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (hasBody) {
    if (!JSON_MEDIA.test(media)) {
      throw new ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
    }
  } else if (JSON_MEDIA.test(media)) {
    // A JSON Content-Type on an empty body (`curl -X POST -H 'content-type: application/json'`):
    // the validator would report malformed JSON; a missing body counts as `{}` (see jsonBody).
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-length");
    c.req.raw = new Request(c.req.raw, { body: "{}", headers });
  }
  await next();
};

/** 413 past MAX_BODY_BYTES, before anything reads the body. */
export const limitBody: MiddlewareHandler<{ Bindings: Env }> = (c, next) => {
  const maxSize = setting(c.env, "MAX_BODY_BYTES");
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, "body_too_large", `The body is larger than ${maxSize} bytes.`);
    },
  })(c, next);
};

/** No request needs deeper JSON; past some thousands of levels the recursive `Json` schema overflows the stack (a 500). */
export const MAX_JSON_DEPTH = 32;

/** Whether objects/arrays nest more than `max` levels deep; iterative, so it cannot overflow itself. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== "object") continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Before schema validation: 400 when the JSON body nests deeper than MAX_JSON_DEPTH, and a
 * `null` body counts as `{}` (as no body does). Reads a clone, so the validator parses the
 * (possibly replaced) request itself; a malformed body is left to the validator's 400.
 */
export const limitDepth: MiddlewareHandler = async (c, next) => {
  if (c.req.raw.body !== null) {
    const value: unknown = await c.req.raw.clone().json().catch(() => undefined);
    if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
      throw new ApiError(400, "invalid_request", "The request body does not match the schema.", [
        { path: "", message: `JSON nested more than ${MAX_JSON_DEPTH} levels deep` },
      ]);
    }
    if (value === null) {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("content-length");
      c.req.raw = new Request(c.req.raw, { body: "{}", headers });
    }
  }
  await next();
};

/** JSON body validated by a zod schema; `c.req.valid("json")` is then typed. A missing body counts as `{}`. */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  validator("json", (value): z.infer<S> => {
    if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
      throw new ApiError(400, "invalid_request", "The request body does not match the schema.", [
        { path: "", message: `JSON nested more than ${MAX_JSON_DEPTH} levels deep` },
      ]);
    }
    const parsed = schema.safeParse(value ?? {});
    if (!parsed.success) throw new ApiError(400, "invalid_request", "The request body does not match the schema.", issuesOf(parsed.error));
    return parsed.data;
  });

export const queryOf = <S extends z.ZodType>(schema: S) =>
  validator("query", (value): z.infer<S> => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ApiError(400, "invalid_query", "The query string does not match the schema.", issuesOf(parsed.error));
    return parsed.data;
  });
