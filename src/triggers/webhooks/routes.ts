import { Hono, type MiddlewareHandler } from "hono";
import { ThreadId, type EventSource } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import type { AppEnv } from "../http/app";
import { ApiError, sendJson } from "../http/errors";
import { limitBody } from "../http/validate";
import type { Mapped, WebhookSource, WebhookSources } from "./source";

// POST /v1/webhooks/{source}: not behind the bearer token. The source's signature over
// the raw body is the credential, checked before the body is parsed. The delivery id is
// the idempotency key: it names the launched thread or keys the message, so a
// redelivery (or twenty at once) appends nothing and answers 200.

type HookEnv = AppEnv & { Variables: { source: WebhookSource; secret: string } };

const knownSource =
  (sources: WebhookSources): MiddlewareHandler<HookEnv> =>
  async (c, next) => {
    const name = c.req.param("source") ?? "";
    const source = sources.get(name);
    if (!source) throw new ApiError(404, "unknown_source", `No webhook source "${name.slice(0, 40)}".`, { sources: [...sources.keys()] });
    const secret = source.secret(c.env);
    // Never accept unsigned deliveries: no secret means this source is switched off.
    if (!secret) throw new ApiError(503, "webhook_not_configured", `Webhook source "${source.name}" has no secret configured; deliveries are refused.`);
    c.set("source", source);
    c.set("secret", secret);
    await next();
  };

export function webhookRoutes(sources: WebhookSources, now: () => number) {
  const routes = new Hono<HookEnv>();

  routes.post("/:source", knownSource(sources), limitBody, async (c) => {
    const { source, secret } = c.var;
    const body = new Uint8Array(await c.req.arrayBuffer());
    const verified = await source.verify({ headers: c.req.raw.headers, body, now: now() }, secret);
    if (!verified.ok) throw new ApiError(401, verified.code, verified.message);

    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
    }
    const mapped = source.map(payload, c.req.raw.headers); // a ZodError here is a 400 (onError)
    return perform(c.env, source.name, mapped).then(({ status, body }) => sendJson(c, body, status));
  });

  routes.all("/:source", () => {
    throw new ApiError(405, "method_not_allowed", "Webhooks are delivered with POST.");
  });
  return routes;
}

async function perform(env: Env, sourceName: string, mapped: Mapped): Promise<{ status: 200 | 201 | 202; body: unknown }> {
  const { action, deliveryId } = mapped;
  if (action.kind === "reply") return { status: 200, body: action.body };
  if (action.kind === "ignore") return { status: 200, body: { action: "ignored", reason: action.reason, ...(deliveryId ? { delivery: deliveryId } : {}) } };
  if (!deliveryId) throw new Error(`webhook source ${sourceName} mapped a ${action.kind} without a delivery id`);
  const source: EventSource = { kind: "webhook", detail: { source: sourceName, deliveryId, ...mapped.detail } };

  if (action.kind === "launch") {
    const threadId = ThreadId.parse(`${sourceName}-${deliveryId}`);
    const result = await threadStub(env, threadId).launch(
      { threadId, agent: action.agent, message: action.message, ...(action.metadata ? { metadata: action.metadata } : {}) },
      source,
    );
    if (!result.ok) throw ApiError.from(result.rejection);
    const { created, thread } = result.value;
    return { status: created ? 201 : 200, body: { action: created ? "launched" : "duplicate", delivery: deliveryId, thread } };
  }

  const target = ThreadId.safeParse(action.threadId);
  if (!target.success) throw new ApiError(404, "thread_not_found", `No thread ${action.threadId.slice(0, 80)}.`);
  const result = await threadStub(env, target.data).message(action.text, `webhook:${sourceName}:${deliveryId}`, source);
  if (!result.ok) throw ApiError.from(result.rejection);
  const { duplicate, thread, event } = result.value;
  return { status: duplicate ? 200 : 202, body: { action: duplicate ? "duplicate" : "messaged", delivery: deliveryId, thread, event } };
}
