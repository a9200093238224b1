import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import type { Rejection } from "../../core";

/** The one error type handlers throw. `app.onError` is the one place it becomes JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After on a 429. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  static from(rejection: Rejection): ApiError {
    return new ApiError(rejection.status, rejection.code, rejection.message, rejection.details);
  }
}

export type ErrorBody = { error: { code: string; message: string; details?: unknown } };

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown, headers?: Headers) {
  const body: ErrorBody = { error: { code, message, ...(details !== undefined ? { details } : {}) } };
  const response = c.json(body, status);
  headers?.forEach((value, key) => {
    if (key.toLowerCase() === "www-authenticate") response.headers.set(key, value);
  });
  return response;
}

const httpCodes: Partial<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  413: "body_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** Maps ApiError, Hono's HTTPException and ZodError to the API error shape; anything else is a logged 500. */
export function onError(error: Error, c: Context) {
  if (error instanceof ApiError) {
    const response = errorResponse(c, error.status, error.code, error.message, error.details);
    for (const [name, value] of Object.entries(error.headers ?? {})) response.headers.set(name, value);
    return response;
  }
  if (error instanceof HTTPException) {
    // Middleware that already built a response in our shape (bearer auth) keeps it.
    if (error.res?.headers.get("content-type")?.startsWith("application/json")) return error.res;
    const status = error.status as ContentfulStatusCode;
    const code = error.message === "Malformed JSON in request body" ? "malformed_json" : (httpCodes[status] ?? "http_error");
    return errorResponse(c, status, code, error.message || code, undefined, error.res?.headers);
  }
  if (error instanceof ZodError) {
    return errorResponse(c, 400, "invalid_request", "The request does not match the schema.", issuesOf(error));
  }
  console.error("unhandled error", c.req.method, c.req.path, error);
  return errorResponse(c, 500, "internal_error", "Something went wrong on our side; nothing was changed by this request.");
}

export function issuesOf(error: ZodError) {
  return error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message }));
}

/**
 * JSON response without Hono's type-level JSON transform, which recurses without end
 * on our recursive `Json` type. We do not use Hono's typed client, so nothing is lost.
 */
export function sendJson(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(value), status, { "content-type": "application/json; charset=UTF-8" });
}
