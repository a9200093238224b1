import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../triggers/http/errors";
import type { ConsoleEnv } from "./guard";
import { apiAuthorization } from "./identity";

// What every console form post shares: reading the form, where to go after it, and the
// console actions that reuse an API route (one implementation of its checks).

/** Only console paths are followed after a form post: never an open redirect. */
export const safeReturn = (to: string | undefined, fallback: string) => (to && /^\/console(\/[\w\-/.]*)?$/.test(to) ? to : fallback);

/** The client script asks for JSON; a person navigating gets pages. */
export const wantsJson = (c: Context) => (c.req.header("accept") ?? "").includes("application/json");

export async function form<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const media = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (media !== "application/x-www-form-urlencoded" && media !== "multipart/form-data") {
    throw new ApiError(415, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded or multipart/form-data.");
  }
  const body = await c.req.parseBody().catch(() => undefined);
  if (!body) throw new ApiError(400, "malformed_form", "The form could not be read.");
  // Empty optional fields arrive as "": treat them as absent.
  const cleaned = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string" && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) throw new ApiError(400, "invalid_form", "The form fields are not valid.", parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message })));
  return parsed.data;
}

export type Dispatch = (request: Request, env: Env) => Promise<Response>;

/**
 * POSTs JSON to an API route as the signed-in user (their credential or Access assertion),
 * and returns its body; the API's refusal becomes the same error here.
 */
export async function postToApi<T extends object>(c: Context<ConsoleEnv>, dispatch: Dispatch, path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const authorization = apiAuthorization(c.env, c.var.user);
  if (!authorization) throw new ApiError(401, "signed_out", "The credential of this session no longer exists.");
  const request = new Request(new URL(path, c.req.url), {
    method: "POST",
    headers: { ...authorization, ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const response = await dispatch(request, c.env);
  const answer = (await response.json()) as T & { error?: { code: string; message: string; details?: unknown } };
  if (!response.ok || answer.error) {
    const status = response.status >= 400 && response.status < 600 ? response.status : 500;
    throw new ApiError(status as 400, answer.error?.code ?? "api_failed", answer.error?.message ?? `POST ${path} failed.`, answer.error?.details);
  }
  return answer;
}
