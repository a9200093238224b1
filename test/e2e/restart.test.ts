/// <reference types="node" />
/**
 * End to end over real HTTP, and a real crash: the Worker under `wrangler dev`, the scripted
 * model and a deploy target served from Node. The second test SIGKILLs wrangler and workerd
 * while two tool calls are in flight and a third thread waits for a human's approval, starts
 * `wrangler dev` again on the same persisted state, and checks invariant 3 (against a
 * side-effect ledger kept outside the crashed process) and invariant 6 (the wait survives).
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { startDeployTarget, type DeployTarget } from "./support/deploy-target";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";
import { assertConsistent } from "../support/log-invariants";

const TOKEN = "e2e-restart-token";

let model: ModelServer | undefined;
let target: DeployTarget | undefined;
let dev: DevServer | undefined;

afterAll(async () => {
  await dev?.stop();
  await model?.close();
  await target?.close();
});

function start(stateDir?: string): Promise<DevServer> {
  if (!model || !target) throw new Error("start the model and the target first");
  const [modelUrl, targetUrl] = [model.baseUrl, target.url];
  return startWranglerDev(
    (url) => e2eVars({ url, token: TOKEN, modelUrl }, { DEPLOY_TARGET_URL: targetUrl }),
    stateDir ? { stateDir } : {},
  );
}

async function v1<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  if (!dev) throw new Error("wrangler dev is not running");
  const response = await fetch(`${dev.url}/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Another process owns the thread, so we poll: short intervals, capped in total. */
async function until(id: string, done: (t: ThreadView) => boolean, withinMs = 30_000): Promise<ThreadView> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const { body: thread } = await v1<ThreadView>(`/threads/${id}`);
    if (done(thread)) return thread;
    if (Date.now() > giveUp) throw new Error(`thread ${id} still ${thread.status} after ${withinMs} ms: ${JSON.stringify(thread)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function eventsOf(id: string): Promise<Event[]> {
  const { body } = await v1<{ events: Event[]; next?: number }>(`/threads/${id}/events?limit=1000`);
  expect(body.next).toBeUndefined();
  return body.events;
}

const types = (events: Event[]) => events.map((e) => e.type);


describe("deploybot over real HTTP, through a SIGKILL", () => {
  it("launch -> production approval -> approve via POST /responses -> done, deploying once", async () => {
    [model, target] = await Promise.all([startModelServer(), startDeployTarget()]);
    dev = await start();
    const marker = model.model.script("e2e-http-approve", [
      { tool: "deploy_backend", args: { tag: "v2.0.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed v2.0.0 to production." } },
    ]);
    const launched = await v1<ThreadView>("/agents/deploybot/threads", {
      method: "POST",
      body: JSON.stringify({ message: `deploy v2.0.0 to production ${marker}` }),
    });
    expect(launched.status).toBe(201);
    const id = launched.body.id;
    const waiting = await until(id, (t) => t.status === "waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", tool: { name: "deploy_backend", args: { tag: "v2.0.0", environment: "production" } } });
    expect(target.count("POST /deployments")).toBe(0); // held: nothing deployed before the approval

    const answered = await v1<{ error?: unknown }>(`/threads/${id}/responses`, {
      method: "POST",
      body: JSON.stringify({ requestId: waiting.pending?.requestId, approved: true, comment: "go" }),
    });
    expect(answered.status).toBe(200);
    const done = await until(id, (t) => t.status === "done" || t.status === "failed");
    expect(done).toMatchObject({ status: "done", result: { message: "Deployed v2.0.0 to production." } });
    expect(target.received.filter((r) => r.path === "/deployments").map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { service: "backend", tag: "v2.0.0", environment: "production" },
    ]);
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(types(events)).toEqual([
      "thread_launched", "model_decided", "human_requested", "human_responded",
      "tool_started", "tool_succeeded", "model_decided", "thread_finished",
    ]);
  });

  it("SIGKILL mid-tool and while a thread waits for a human, restart on the same state: non-idempotent -> outcome_unknown, idempotent -> re-run, the wait keeps its request and deadline and takes its approval", async () => {
    if (!model || !target || !dev) throw new Error("the first test starts the servers");
    // A thread waiting for a human's approval when the server dies (invariant 6).
    const waitMarker = model.model.script("e2e-kill-wait", [
      { tool: "deploy_backend", args: { tag: "v3.0.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed v3.0.0 after the restart." } },
    ]);
    const waitId = "e2e-kill-wait";
    expect((await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `go ${waitMarker}`, threadId: waitId }) })).status).toBe(201);
    const waitingBefore = await until(waitId, (t) => t.status === "waiting_for_human");
    const waitEventsBefore = await eventsOf(waitId);
    expect(types(waitEventsBefore)).toEqual(["thread_launched", "model_decided", "human_requested"]);
    const deployHeld = target.hold("POST /deployments");
    const tagsHeld = target.hold("GET /tags");
    const deployMarker = model.model.script("e2e-kill-deploy", [
      { tool: "deploy_frontend", args: { tag: "v2.0.0", environment: "staging" } },
      { tool: "done_for_now", args: { message: "Told the human the outcome is unknown." } },
    ]);
    const tagsMarker = model.model.script("e2e-kill-tags", [
      { tool: "list_git_tags", args: {} },
      { tool: "done_for_now", args: { message: "Listed tags after the restart." } },
    ]);
    const ids = { deploy: "e2e-kill-deploy", tags: "e2e-kill-tags" };
    for (const [id, marker] of [[ids.deploy, deployMarker], [ids.tags, tagsMarker]] as const) {
      const launched = await v1<ThreadView>("/agents/deploybot/threads", {
        method: "POST",
        body: JSON.stringify({ message: `go ${marker}`, threadId: id }),
      });
      expect(launched.status).toBe(201);
    }
    await Promise.all([deployHeld, tagsHeld]); // both side effects are now in flight
    const deploysBefore = target.count("POST /deployments");
    const tagsBefore = target.count("GET /tags");
    const before = { deploy: await eventsOf(ids.deploy), tags: await eventsOf(ids.tags) };
    for (const events of Object.values(before)) expect(types(events)).toEqual(["thread_launched", "model_decided", "tool_started"]);

    const stateDir = dev.stateDir;
    await dev.kill(); // SIGKILL the process group: no shutdown, no graceful eviction
    target.release("POST /deployments"); // the dead Worker's connections are gone: these answers go nowhere
    target.release("GET /tags");
    dev = await start(stateDir);

    // After a restart the object is woken by a request or by its alarm: the heartbeat armed
    // while the tools ran (30 s, due-work.ts) is the deadman that resumes it by itself. On a
    // slow machine the restart alone can outlast it, so no quiet window is asserted here;
    // whoever wakes it, each call below runs as often as the log allows, and no more.
    // A GET wakes the object: onStart resumes the step loop from the log.
    for (const id of Object.values(ids)) {
      const woken = await v1<ThreadView>(`/threads/${id}`);
      expect(woken.status).toBe(200);
      expect(woken.body.lastSeq).toBeGreaterThanOrEqual(3);
    }
    const deploy = await until(ids.deploy, (t) => t.status === "done" || t.status === "failed");
    const tags = await until(ids.tags, (t) => t.status === "done" || t.status === "failed");
    expect(deploy).toMatchObject({ status: "done", result: { message: "Told the human the outcome is unknown." } });
    expect(tags).toMatchObject({ status: "done", result: { message: "Listed tags after the restart." } });

    // Not idempotent: never re-run; the model is told the outcome is unknown.
    const deployEvents = await eventsOf(ids.deploy);
    assertConsistent(deployEvents);
    expect(deployEvents.slice(0, 3)).toEqual(before.deploy);
    expect(types(deployEvents)).toEqual(["thread_launched", "model_decided", "tool_started", "tool_failed", "model_decided", "thread_finished"]);
    expect(deployEvents[3]).toMatchObject({ type: "tool_failed", data: { code: "outcome_unknown", tool: "deploy_frontend" } });
    expect(target.count("POST /deployments")).toBe(deploysBefore); // ran at most once: the one before the crash
    expect(model.model.requests("e2e-kill-deploy")[1]?.messages[1]?.content).toContain('code="outcome_unknown"');

    // Idempotent: re-run once as attempt 2, exactly one outcome.
    const tagEvents = await eventsOf(ids.tags);
    assertConsistent(tagEvents);
    expect(tagEvents.slice(0, 3)).toEqual(before.tags);
    expect(types(tagEvents)).toEqual(["thread_launched", "model_decided", "tool_started", "tool_started", "tool_succeeded", "model_decided", "thread_finished"]);
    expect(tagEvents.flatMap((e) => (e.type === "tool_started" ? [e.data.attempt] : []))).toEqual([1, 2]);
    expect(target.count("GET /tags")).toBe(tagsBefore + 1);
    expect([model.model.consumed("e2e-kill-deploy"), model.model.consumed("e2e-kill-tags")]).toEqual([2, 2]);

    // The thread that was waiting for a human still waits, for the same request with the
    // same deadline; nothing was appended or run meanwhile; the approval is taken and runs once.
    const waitingAfter = await until(waitId, (t) => t.status === "waiting_for_human");
    expect(waitingAfter.pending).toEqual(waitingBefore.pending);
    expect(await eventsOf(waitId)).toEqual(waitEventsBefore);
    expect(target.received.filter((r) => r.path === "/deployments" && r.body.includes("v3.0.0"))).toEqual([]);
    const approved = await v1<{ error?: unknown }>(`/threads/${waitId}/responses`, {
      method: "POST",
      body: JSON.stringify({ requestId: waitingBefore.pending?.requestId, approved: true, comment: "after the crash" }),
    });
    expect(approved.status).toBe(200);
    expect(await until(waitId, (t) => t.status === "done" || t.status === "failed")).toMatchObject({ status: "done", result: { message: "Deployed v3.0.0 after the restart." } });
    const waitEvents = await eventsOf(waitId);
    assertConsistent(waitEvents);
    expect(types(waitEvents)).toEqual([
      "thread_launched", "model_decided", "human_requested", "human_responded",
      "tool_started", "tool_succeeded", "model_decided", "thread_finished",
    ]);
    expect(target.received.filter((r) => r.path === "/deployments" && r.body.includes("v3.0.0"))).toHaveLength(1);
  });
});
