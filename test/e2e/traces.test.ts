/// <reference types="node" />
/**
 * Issue 29 end to end: the Worker under `wrangler dev` exports OpenTelemetry GenAI spans
 * over OTLP/HTTP to a real receiver in this process, which decodes them with the official
 * OpenTelemetry protobuf definitions (both encodings). A deploybot production thread with
 * an approval is one trace with the expected spans; a receiver that answers 503 for a
 * while gets every span exactly once after it recovers; a SIGKILL of `wrangler dev` while
 * a batch is in flight re-sends that one batch, with the same ids, after the restart.
 * Content capture is off: no message text, argument value or secret in any byte sent.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { spanIdOf, spanKey, traceIdOf } from "../../src/traces/ids";
import type { DecodedSpan } from "../support/otlp-decode";
import { startDeployTarget, type DeployTarget } from "./support/deploy-target";
import { startModelServer, type ModelServer } from "./support/model-server";
import { startOtlpReceiver, type OtlpReceiver } from "./support/otlp-receiver";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const TOKEN = "e2e-traces-token";
const COLLECTOR_KEY = "e2e-collector-key-5d1f";

let model: ModelServer | undefined;
let target: DeployTarget | undefined;
let receiver: OtlpReceiver | undefined;
let dev: DevServer | undefined;

afterAll(async () => {
  await dev?.stop();
  await Promise.all([model?.close(), target?.close(), receiver?.close()]);
});

function start(protocol: "http/protobuf" | "http/json", stateDir?: string): Promise<DevServer> {
  if (!model || !target || !receiver) throw new Error("start the model, target and receiver first");
  const [modelUrl, targetUrl, otlp] = [model.baseUrl, target.url, receiver.url];
  return startWranglerDev(
    (url) =>
      e2eVars(
        { url, token: TOKEN, modelUrl },
        {
          DEPLOY_TARGET_URL: targetUrl,
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
          OTEL_EXPORTER_OTLP_HEADERS: `x-collector-key=${COLLECTOR_KEY}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: "deploybot-e2e",
        },
      ),
    stateDir ? { stateDir } : {},
  );
}

async function v1<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  if (!dev) throw new Error("wrangler dev is not running");
  const response = await fetch(`${dev.url}/v1${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });
  return { status: response.status, body: (await response.json()) as T };
}

/** Another process does the work, so we poll: short intervals, capped in total. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, withinMs = 30_000): Promise<T> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUp) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const status = (id: string, wanted: ThreadView["status"]) =>
  until(`thread ${id} ${wanted}`, async () => {
    const { body } = await v1<ThreadView>(`/threads/${id}`);
    return body.status === wanted ? body : undefined;
  });
async function eventsOf(id: string): Promise<Event[]> {
  return (await v1<{ events: Event[] }>(`/threads/${id}/events?limit=1000`)).body.events;
}
/** Waits until the receiver acknowledged the thread's root span (the last to end), then returns every acknowledged span of its trace. */
const traceOf = (id: string) =>
  until(`root span of ${id}`, () => {
    const spans = receiver?.acknowledged(traceIdOf(id)) ?? [];
    return spans.some((s) => s.parentSpanId === undefined) ? spans : undefined;
  });
const countsOf = (spans: DecodedSpan[]) => spans.reduce<Record<string, number>>((m, s) => ({ ...m, [s.spanId]: (m[s.spanId] ?? 0) + 1 }), {});

/** deploybot to production: held for approval, approved over the API. */
async function deployThread(id: string, tag: string, comment: string): Promise<{ waiting: ThreadView; approve: () => Promise<void> }> {
  if (!model) throw new Error("no model");
  const marker = model.model.script(id, [
    { tool: "deploy_backend", args: { tag, environment: "production" } },
    { tool: "done_for_now", args: { message: `Deployed ${tag} to production.` } },
  ]);
  expect((await v1("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy ${tag} to production ${marker}`, threadId: id }) })).status).toBe(201);
  const waiting = await status(id, "waiting_for_human");
  return {
    waiting,
    approve: async () => {
      const answered = await v1(`/threads/${id}/responses`, { method: "POST", body: JSON.stringify({ requestId: waiting.pending?.requestId, approved: true, comment }) });
      expect(answered.status).toBe(200);
    },
  };
}

describe("OpenTelemetry traces over OTLP/HTTP, under wrangler dev", () => {
  it("a deploybot production thread with an approval is one trace: spans, parents, attributes, the real wait, the log's tokens; no content in any byte (protobuf)", async () => {
    [model, target, receiver] = await Promise.all([startModelServer(), startDeployTarget(), startOtlpReceiver()]);
    dev = await start("http/protobuf");
    const id = "e2e-trace-approve";
    const secrets = { tag: "v7.7.7-tagvalue", comment: "approved-by-carol-comment" };
    const thread = await deployThread(id, secrets.tag, secrets.comment);
    await thread.approve();
    await status(id, "done");
    const spans = await traceOf(id);
    const events = await eventsOf(id);

    // One trace, its id derived from the thread id and shown by the API.
    const trace = traceIdOf(id);
    expect((await v1<{ traceId: string }>(`/threads/${id}`)).body.traceId).toBe(trace);
    expect(spans.every((s) => s.traceId === trace && s.serviceName === "deploybot-e2e")).toBe(true);
    expect(spans.map((s) => s.name).sort()).toEqual(["chat scripted-model", "chat scripted-model", "execute_tool deploy_backend", "human_request approval", "invoke_agent deploybot"]);
    expect(Object.values(countsOf(spans))).toEqual(spans.map(() => 1));
    const root = spans.find((s) => s.parentSpanId === undefined);
    expect(root).toMatchObject({ spanId: spanIdOf(id, spanKey.root()), attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "deploybot", "gen_ai.conversation.id": id, "edge_agents.thread.status": "done" } });
    expect(spans.filter((s) => s !== root).every((s) => s.parentSpanId === root?.spanId)).toBe(true);

    // The human-wait span is exactly the logged wait; it names who approved and how.
    const requested = events.find((e) => e.type === "human_requested");
    const responded = events.find((e) => e.type === "human_responded");
    const human = spans.find((s) => s.name === "human_request approval");
    expect((human?.endMs ?? 0) - (human?.startMs ?? 0)).toBe(Date.parse(responded?.at ?? "") - Date.parse(requested?.at ?? ""));
    expect(human?.attributes).toMatchObject({ "edge_agents.human.outcome": "approved", "edge_agents.human.answered_by": "api:default", "edge_agents.human.answered_via": "http", "gen_ai.tool.name": "deploy_backend" });
    const tool = spans.find((s) => s.name === "execute_tool deploy_backend");
    expect(tool?.attributes).toMatchObject({ "gen_ai.tool.name": "deploy_backend", "edge_agents.tool.outcome": "succeeded", "gen_ai.operation.name": "execute_tool" });
    expect(tool?.kind).toBe(1); // INTERNAL

    // Token counts equal the log's usage, per call and in total.
    const usages = events.flatMap((e) => (e.type === "model_decided" && e.data.usage ? [[e.data.usage.promptTokens, e.data.usage.completionTokens]] : []));
    const chats = spans.filter((s) => s.name.startsWith("chat")).sort((a, b) => a.startMs - b.startMs);
    expect(chats.map((s) => [s.attributes["gen_ai.usage.input_tokens"], s.attributes["gen_ai.usage.output_tokens"]])).toEqual(usages);
    expect(root?.attributes["gen_ai.usage.input_tokens"]).toBe(usages.reduce((n, [p]) => n + (p ?? 0), 0));
    expect(chats[0]?.attributes).toMatchObject({ "gen_ai.request.model": "scripted-model", "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat" });

    // The collector's header came along; content capture is off: none of these is in any byte sent.
    const sent = receiver.requests.filter((r) => r.spans.some((s) => s.traceId === trace));
    expect(sent.every((r) => r.contentType === "application/x-protobuf" && r.headers["x-collector-key"] === COLLECTOR_KEY)).toBe(true);
    for (const r of sent) {
      for (const secret of [secrets.tag, secrets.comment, "Deployed v7", "deploy v7", TOKEN, COLLECTOR_KEY, "sk-e2e"]) expect(r.body.includes(secret), secret).toBe(false);
    }
  });

  it("SIGKILL while a batch is in flight: after the restart every span arrives, and only that batch again, with the same ids", async () => {
    if (!dev || !receiver) throw new Error("the first test starts the servers");
    const id = "e2e-trace-kill";
    const thread = await deployThread(id, "v8.0.0", "go");
    // The first run's batch (the model call that asked for approval) is acknowledged before the crash.
    await until("first batch", () => (receiver?.acknowledged(traceIdOf(id)).length ? true : undefined));
    const held = receiver.holdNext();
    await thread.approve();
    const inFlight = await held; // the run's batch reached the receiver, which does not answer
    expect(inFlight.spans.map((s) => s.name)).toContain("invoke_agent deploybot");
    const stateDir = dev.stateDir;
    await dev.kill();
    dev = await start("http/protobuf", stateDir);
    expect((await v1(`/threads/${id}`)).status).toBe(200); // a request wakes the object; onStart resumes the export
    const spans = await traceOf(id);
    const resent = receiver.requests.filter((r) => r.status === 200 && r.spans.some((s) => s.traceId === traceIdOf(id) && s.parentSpanId === undefined));
    expect(resent).toHaveLength(1);
    expect(resent[0]?.spans.map((s) => s.spanId)).toEqual(inFlight.spans.map((s) => s.spanId));
    // Acknowledged: every span of the thread exactly once.
    expect(spans.map((s) => s.name).sort()).toEqual(["chat scripted-model", "chat scripted-model", "execute_tool deploy_backend", "human_request approval", "invoke_agent deploybot"]);
    expect(Object.values(countsOf(spans))).toEqual(spans.map(() => 1));
    // Sent at all (acknowledged or not): the in-flight batch twice, nothing else twice.
    const everySent = receiver.requests.flatMap((r) => r.spans.filter((s) => s.traceId === traceIdOf(id)));
    const twice = Object.entries(countsOf(everySent)).filter(([, n]) => n > 1).map(([spanId]) => spanId).sort();
    expect(twice).toEqual(inFlight.spans.map((s) => s.spanId).sort());
  });

  it("a receiver that answers 503 for a while gets every span exactly once after it recovers (JSON)", async () => {
    if (!receiver || !dev) throw new Error("the first test starts the servers");
    await dev.stop();
    dev = await start("http/json");
    const id = "e2e-trace-503";
    receiver.down = true;
    const thread = await deployThread(id, "v9.0.0", "go");
    await thread.approve();
    await status(id, "done"); // the thread never waited for the collector
    const refused = () => receiver?.requests.filter((r) => r.status === 503 && r.spans.some((s) => s.traceId === traceIdOf(id))).length ?? 0;
    await until("two refused attempts", () => (refused() >= 2 ? true : undefined));
    expect(receiver.acknowledged(traceIdOf(id))).toEqual([]);
    receiver.down = false;
    const spans = await traceOf(id);
    expect(receiver.requests.filter((r) => r.spans.some((s) => s.traceId === traceIdOf(id))).every((r) => r.contentType === "application/json")).toBe(true);
    expect(spans.map((s) => s.name).sort()).toEqual(["chat scripted-model", "chat scripted-model", "execute_tool deploy_backend", "human_request approval", "invoke_agent deploybot"]);
    expect(Object.values(countsOf(spans))).toEqual(spans.map(() => 1));
  });
});
