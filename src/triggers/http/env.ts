import { ThreadId } from "../../core";
import type { AuthEnv } from "./auth";
import { ApiError } from "./errors";
import type { RequestLogEnv } from "./request-log";

/** What the thread routes set from the path (threads.ts). */
export type ThreadEnv = { Bindings: Env; Variables: { threadId: ThreadId } };

/**
 * The HTTP app's Env, built from its parts' Envs as Hono builds an app's from its
 * middleware's: the request log's correlation id, the authenticated principal, the thread
 * id from the path. A route file imports this, never the app that composes it.
 */
export type AppEnv = RequestLogEnv & AuthEnv & ThreadEnv;

export function parseThreadId(raw: string): ThreadId {
  const parsed = ThreadId.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, "invalid_thread_id", `"${raw.slice(0, 80)}" is not a valid thread id.`);
  return parsed.data;
}
