import { z } from "./zod";
import { ErrorBody } from "./schemas";

// Building blocks for route definitions: JSON bodies, the error shape per status, and the
// security scheme of /v1.

const ERROR_MEANING = {
  400: "Malformed or schema-violating input (code says which); nothing was changed.",
  401: "Missing or wrong credential.",
  403: "Forbidden: not an approver of this request, the requester approving its own call (self_approval_refused), or a signed-out or cross-site console request.",
  404: "Unknown agent or thread.",
  405: "Method not allowed.",
  409: "State conflict (e.g. already_paused, not_paused, thread_closed, already_answered).",
  410: "The link has expired.",
  413: "The body is larger than MAX_BODY_BYTES.",
  415: "The body is not JSON (or not the form type the route takes).",
  429: "Rate limited.",
  503: "The server is missing configuration (e.g. API_TOKEN).",
} as const;

export type ErrorStatus = keyof typeof ERROR_MEANING;

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <S extends z.ZodType>(schema: S, description?: string) => ({
  required: false,
  ...(description ? { description } : {}),
  content: { "application/json": { schema } },
});

/** The error responses a route can give, each in the one error shape. */
export function errors<const S extends readonly ErrorStatus[]>(...statuses: S) {
  return Object.fromEntries(statuses.map((s) => [s, json(ErrorBody, ERROR_MEANING[s])])) as {
    [K in S[number]]: ReturnType<typeof json<typeof ErrorBody>>;
  };
}

export const html = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

export const bearer = [{ bearer: [] }];

/** The Idempotency-Key header of the POST routes that take one. */
export const idempotencyHeader = z.object({
  "idempotency-key": z.string().optional().openapi({ description: "Repeat a request safely: the same key returns the original result." }),
});
