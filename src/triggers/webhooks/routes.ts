import { Hono, type MiddlewareHandler } from "hono";
import { ThreadId, type EventSource } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import type { AppEnv } from "../http/env";
import { ApiError, sendJson } from "../http/errors";
import { limitBody } from "../http/validate";
import type { Mapped, WebhookSource, WebhookSources } from "./source";
import { rateLimit } from "../http/rate-limit";
import { sha256Hex } from "../../hmac";

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

    await rateLimit(c.env.WEBHOOK_RATE_LIMIT, `webhook:${source.name}`, "WEBHOOK_RATE_LIMIT");

    const payload = parsePayload(body, c.req.header("content-type"));
    const mapped = source.map(payload, c.req.raw.headers, c.env); // a ZodError here is a 400 (onError)
    const keyed = source.replayKey === "body" && mapped.deliveryId ? await keyedByBody(mapped, body) : mapped;
    return perform(c.env, source.name, keyed).then(({ status, body }) => sendJson(c, body, status));
  });

  routes.all("/:source", () => {
    throw new ApiError(405, "method_not_allowed", "Webhooks are delivered with POST.");
  });
  return routes;
}

/**
 * JSON, or GitHub's `application/x-www-form-urlencoded` form whose `payload` field holds
 * the JSON (the signature covers the form body as sent, already checked above).
 */
function parsePayload(body: Uint8Array, contentType: string | undefined): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid UTF-8.");
  }
  if ((contentType ?? "").split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded") {
    const field = new URLSearchParams(text).get("payload");
    if (field === null) throw new ApiError(400, "malformed_json", "A form-encoded delivery needs a payload field holding the JSON.");
    text = field;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
  }
}

/** The signed body's hash becomes the delivery key; the sender's delivery id is kept for audit. */
async function keyedByBody(mapped: Mapped, body: Uint8Array): Promise<Mapped> {
  const hash = await sha256Hex(body);
  return { ...mapped, deliveryId: `b${hash.slice(0, 40)}`, detail: { ...mapped.detail, senderDeliveryId: mapped.deliveryId ?? "" } };
}

async function perform(env: Env, sourceName: string, mapped: Mapped): Promise<{ status: 200 | 201 | 202; body: unknown }> {
  const { action, deliveryId } = mapped;
  if (action.kind === "reply") return { status: 200, body: action.body };
  if (action.kind === "ignore") return { status: 200, body: { action: "ignored", reason: action.reason, ...(deliveryId ? { delivery: deliveryId } : {}) } };
  if (!deliveryId) throw new Error(`webhook source ${sourceName} mapped a ${action.kind} without a delivery id`);
  const source: EventSource = { kind: "webhook", detail: { source: sourceName, deliveryId, ...mapped.detail } };
  if (action.kind === "run") return action.run(env, deliveryId, source);

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
