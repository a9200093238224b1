/// <reference types="node" />
/**
 * Invariant 9 against the real runtime: `wrangler dev`, the real clock, real alarms. Each
 * deadline is a couple of seconds of real waiting; the threads of a test wait side by side.
 * Lateness is measured from the log: the timeout event's `at` minus the request's deadline.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const TOKEN = "e2e-timers-token";
/** Every timeout must be on the log within this long after its deadline. */
const MAX_LATENESS_MS = 3_000;

let model: ModelServer;
let dev: DevServer;
let hooks: Receiver;

/** The human webhook: records every POST with its arrival time; fails the first N per thread on request. */
type Receiver = { url: string; server: Server; posts: { at: number; thread: string; purpose: string; body: Record<string, unknown> }[]; failFirst: Map<string, number> };

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: "", server: createServer(), posts: [], failFirst: new Map() };
  receiver.server.on("request", (req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      const thread = (body["thread"] as { id: string }).id;
      receiver.posts.push({ at: Date.now(), thread, purpose: String(body["purpose"]), body });
      const failing = receiver.failFirst.get(thread) ?? 0;
      if (failing > 0) {
        receiver.failFirst.set(thread, failing - 1);
        res.writeHead(500).end("down");
        return;
      }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((done) => receiver.server.listen(0, "127.0.0.1", done));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

function start(stateDir?: string): Promise<DevServer> {
  const modelUrl = model.baseUrl;
  return startWranglerDev(
    (url) =>
      e2eVars({ url, token: TOKEN, modelUrl }, { HUMAN_WEBHOOK_URL: hooks.url, HUMAN_WEBHOOK_SECRET: "e2e-hook-secret", ESCALATION_CONTACT: "@oncall", NOTIFY_RETRY_BASE_SECONDS: "1" }),
    // src/index.ts plus one agent with a 3 s delegation deadline (see timers-worker.ts).
    { main: "test/e2e/support/timers-worker.ts", ...(stateDir ? { stateDir } : {}) },
  );
}

beforeAll(async () => {
  [model, hooks] = await Promise.all([startModelServer(), startReceiver()]);
  dev = await start();
});

afterAll(async () => {
  await dev?.stop();
  await model?.close();
  await new Promise((done) => hooks?.server.close(done));
});

async function v1<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${dev.url}/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function eventsOf(id: string): Promise<Event[]> {
  return (await v1<{ events: Event[] }>(`/threads/${id}/events?limit=1000`)).body.events;
}

/** Another process owns the clock: poll the log, briefly, until `done` holds. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 15_000): Promise<T> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUp) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const eventOf = (events: Event[], type: Event["type"]) => events.find((e) => e.type === type);

async function launchWaiting(name: string, extra: Record<string, unknown>, then: { tool: string; args: Record<string, unknown> }[] = []) {
  const marker = model.model.script(name, [{ tool: "deploy_backend", args: { tag: "v9.9.9", environment: "production" } }, ...then, { tool: "done_for_now", args: { message: "over" } }]);
  const launched = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy v9.9.9 ${marker}`, ...extra }) });
  expect(launched.status).toBe(201);
  const id = launched.body.id;
  const waiting = await until(`${id} waiting`, async () => {
    const { body } = await v1<ThreadView>(`/threads/${id}`);
    return body.pending ? body : undefined;
  });
  return { id, script: name, deadline: waiting.pending!.deadline };
}

/** Waits for the event and returns how late it was against `dueAt`. */
async function lateness(id: string, type: Event["type"], dueAt: string): Promise<number> {
  // Wait until the due time, then up to 15 s more (a deadline still far away must not fail early).
  const within = Math.max(0, Date.parse(dueAt) - Date.now()) + 15_000;
  const event = await until(`${id} ${type}`, async () => eventOf(await eventsOf(id), type), within);
  return Date.parse(event.at) - Date.parse(dueAt);
}

export const measured: number[] = [];

describe("deadlines under wrangler dev, on the real clock", () => {
  it("10 threads with a 2 s approval deadline: each times out within 3 s of it, and the model's next request says so", async () => {
    const threads = await Promise.all(Array.from({ length: 10 }, (_, i) => launchWaiting(`e2e-deny-${i}-${Date.now()}`, { humanTimeoutSeconds: 2, onHumanTimeout: "deny" })));
    const late = await Promise.all(threads.map((t) => lateness(t.id, "human_timed_out", t.deadline)));
    measured.push(...late);
    for (const ms of late) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(MAX_LATENESS_MS);
    }
    for (const t of threads) {
      await until(`${t.id} done`, async () => ((await v1<ThreadView>(`/threads/${t.id}`)).body.status === "done" ? true : undefined));
      expect(model.model.requests(t.script).at(-1)?.messages.map((m) => m.content).join("\n")).toContain("<human_timeout");
      expect((await eventsOf(t.id)).filter((e) => e.type === "human_timed_out")).toHaveLength(1);
    }
    console.log(`deadline lateness over ${late.length}: p50 ${[...late].sort((a, b) => a - b)[Math.floor(late.length / 2)]} ms, max ${Math.max(...late)} ms`);
  });

  it("escalate (deploybot's own policy): the escalation contact is notified once, then the extended deadline denies", async () => {
    const t = await launchWaiting(`e2e-esc-${Date.now()}`, { humanTimeoutSeconds: 2 });
    measured.push(await lateness(t.id, "human_escalated", t.deadline));
    const escalated = eventOf(await eventsOf(t.id), "human_escalated");
    const extended = escalated?.type === "human_escalated" ? escalated.data.deadline : "";
    const late = await lateness(t.id, "human_timed_out", extended);
    measured.push(late);
    expect(late).toBeLessThan(MAX_LATENESS_MS);
    const escalations = hooks.posts.filter((p) => p.thread === t.id && p.purpose === "escalation");
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.body["escalationContact"]).toBe("@oncall");
    const events = await eventsOf(t.id);
    expect(events.filter((e) => e.type === "human_escalated")).toHaveLength(1);
    expect(events.filter((e) => e.type === "human_timed_out")).toHaveLength(1);
  });

  it("a webhook channel failing twice, then healthy, sees its attempts at the documented backoff (base 1 s here: +1 s, +2 s)", async () => {
    const name = `e2e-hook-${Date.now()}`;
    // The receiver fails this thread's first two POSTs; the thread id is known only after launch, so fail by script name.
    const marker = model.model.script(name, [{ tool: "deploy_backend", args: { tag: "v1.0.0", environment: "production" } }]);
    const id = `t_hook${Date.now()}`;
    hooks.failFirst.set(id, 2);
    expect((await v1(`/agents/deploybot/threads`, { method: "POST", body: JSON.stringify({ message: `deploy ${marker}`, threadId: id, humanTimeoutSeconds: 60 }) })).status).toBe(201);
    const sent = await until("notification_sent", async () => eventOf(await eventsOf(id), "notification_sent"));
    const attempts = hooks.posts.filter((p) => p.thread === id).map((p) => p.at);
    expect(attempts).toHaveLength(3);
    const [a, b, c] = attempts as [number, number, number];
    // Each retry is due at +1 s, +2 s after the failure; the wake-up rounds up to the second.
    expect(b - a).toBeGreaterThanOrEqual(1_000);
    expect(b - a).toBeLessThan(1_000 + MAX_LATENESS_MS);
    expect(c - b).toBeGreaterThanOrEqual(2_000);
    expect(c - b).toBeLessThan(2_000 + MAX_LATENESS_MS);
    expect(sent.type === "notification_sent" && sent.data.attempt).toBe(3);
  });

  it("a 3 s delegation deadline (set in code) fires: the parent records agent_timeout and cancels the child", async () => {
    const child = `e2e-child-${Date.now()}`;
    const childMarker = model.model.script(child, [{ tool: "deploy_backend", args: { tag: "v3.0.0", environment: "production" } }]);
    const parent = `e2e-parent-${Date.now()}`;
    const marker = model.model.script(parent, [
      { tool: "delegate_to_deploybot", args: { task: `deploy ${childMarker}` } },
      { tool: "done_for_now", args: { message: "gave up waiting" } },
    ]);
    const launched = await v1<ThreadView>("/agents/hastybot/threads", { method: "POST", body: JSON.stringify({ message: `go ${marker}` }) });
    expect(launched.status).toBe(201);
    const id = launched.body.id;
    const delegated = await until("agent_delegated", async () => eventOf(await eventsOf(id), "agent_delegated"));
    if (delegated.type !== "agent_delegated") throw new Error("unreachable");
    const timeout = await until("agent_timeout", async () => (await eventsOf(id)).find((e) => e.type === "tool_failed" && e.data.code === "agent_timeout"));
    const late = Date.parse(timeout.at) - Date.parse(delegated.data.deadline);
    measured.push(late);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(MAX_LATENESS_MS);
    await until("child cancelled", async () => ((await v1<ThreadView>(`/threads/${delegated.data.childThreadId}`)).body.status === "cancelled" ? true : undefined));
    await until("parent done", async () => ((await v1<ThreadView>(`/threads/${id}`)).body.status === "done" ? true : undefined));
  });

  it("a fork of a waiting thread fires its own copied deadline", async () => {
    const t = await launchWaiting(`e2e-fork-${Date.now()}`, { humanTimeoutSeconds: 3, onHumanTimeout: "deny" });
    const { body: original } = await v1<ThreadView>(`/threads/${t.id}`);
    const forked = await v1<ThreadView>(`/threads/${t.id}/fork`, { method: "POST", body: JSON.stringify({ atSeq: original.lastSeq }) });
    expect(forked.status).toBe(201);
    const late = await lateness(forked.body.id, "human_timed_out", t.deadline);
    measured.push(late);
    expect(late).toBeLessThan(MAX_LATENESS_MS);
    measured.push(await lateness(t.id, "human_timed_out", t.deadline));
  });

  it("SIGKILL with deadlines pending, restart after one passed: that timeout is recorded once at the next wake, the future one fires on time", async () => {
    const passed = await launchWaiting(`e2e-kill-a-${Date.now()}`, { humanTimeoutSeconds: 2, onHumanTimeout: "deny" });
    const future = await launchWaiting(`e2e-kill-b-${Date.now()}`, { humanTimeoutSeconds: 60, onHumanTimeout: "deny" });
    await dev.kill();
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(passed.deadline) - Date.now() + 500)));
    dev = await start(dev.stateDir);
    await lateness(passed.id, "human_timed_out", passed.deadline);
    expect((await eventsOf(passed.id)).filter((e) => e.type === "human_timed_out")).toHaveLength(1);
    // 60 s leaves room for a restart on a loaded machine (35 s did not once the bundle carried the tokenizer and the MCP SDK); if it took longer, "on time" proves nothing.
    expect(Date.parse(future.deadline)).toBeGreaterThan(Date.now());
    const late = await lateness(future.id, "human_timed_out", future.deadline);
    measured.push(late);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(MAX_LATENESS_MS);
    expect((await eventsOf(future.id)).filter((e) => e.type === "human_timed_out")).toHaveLength(1);
  });

  afterAll(() => {
    const sorted = [...measured].sort((a, b) => a - b);
    if (sorted.length) console.log(`e2e deadline lateness over ${sorted.length} deadlines: p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
  });
});
