import type { Context } from "hono";
import type { EventSource, JsonObject } from "../../core";
import type { AppEnv } from "./env";

/** Where an event came from, for the audit trail: HTTP, with the request's correlation id. */
export function httpSource<E extends AppEnv>(c: Context<E>, detail?: JsonObject): EventSource {
  const correlationId: string | undefined = c.get("correlationId");
  return { kind: "http", ...(detail ? { detail } : {}), ...(correlationId ? { correlationId } : {}) };
}
