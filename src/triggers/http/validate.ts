import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, issuesOf } from "./errors";

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/** 415 unless the body (if any) is declared JSON; Hono's validator would silently read `{}`. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const length = c.req.header("content-length");
  const hasBody = c.req.raw.body !== null && length !== "0";
  if (hasBody) {
    const media = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!JSON_MEDIA.test(media)) {
      throw new ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
    }
  }
  await next();
};

/** 413 past MAX_BODY_BYTES, before anything reads the body. */
export const limitBody: MiddlewareHandler<{ Bindings: Env }> = (c, next) => {
  const configured = Number(c.env.MAX_BODY_BYTES);
  const maxSize = Number.isFinite(configured) && configured > 0 ? configured : 65_536;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, "body_too_large", `The body is larger than ${maxSize} bytes.`);
    },
  })(c, next);
};

/** JSON body validated by a zod schema; `c.req.valid("json")` is then typed. A missing body counts as `{}`. */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  validator("json", (value): z.infer<S> => {
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
