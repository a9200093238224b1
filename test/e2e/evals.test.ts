/// <reference types="node" />
/**
 * Evals end to end: `wrangler dev` (its own local Queues and alarms), the scripted model and
 * a deploy target served from Node, and the CLI as a team runs it (`npm run eval`). Proves
 * that an eval touches nothing but the model (the deploy target's ledger and the logs), that
 * the CLI gates on agreement, and that an eval whose Worker is SIGKILLed mid-question
 * finishes after a restart, asking again only the question that was in flight.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import type { EvalView } from "../../src/evals/schemas";
import type { ChatRequest, ScriptStep } from "../support/scripted-model";
import { apiClient, ended } from "./support/api";
import { startDeployTarget, type DeployTarget } from "./support/deploy-target";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const TOKEN = "e2e-evals-token";
const root = resolve(import.meta.dirname, "../..");

let model: ModelServer;
let target: DeployTarget;
let dev: DevServer | undefined;
const api = apiClient(() => dev?.url ?? "", TOKEN);

function start(stateDir?: string): Promise<DevServer> {
  const [modelUrl, targetUrl] = [model.baseUrl, target.url];
  // Short lease and resend windows, so the restart test sees lost work re-sent within seconds.
  return startWranglerDev(
    (url) => e2eVars({ url, token: TOKEN, modelUrl }, { DEPLOY_TARGET_URL: targetUrl, EVAL_LEASE_SECONDS: "5", EVAL_RESEND_SECONDS: "1" }),
    stateDir ? { stateDir } : {},
  );
}

beforeAll(async () => {
  [model, target] = await Promise.all([startModelServer(), startDeployTarget()]);
  dev = await start();
}, 120_000);

afterAll(async () => {
  await dev?.stop();
  await model?.close();
  await target?.close();
});

/** Decides from what it is asked: list tags, deploy (staging; production under the terse prompt), finish. */
function deployRule(gate?: string) {
  return (request: ChatRequest): ScriptStep => {
    const terse = (request.messages[0]?.content ?? "").includes("One tool call per step");
    const thread = request.messages[1]?.content ?? "";
    if (!thread.includes("<list_git_tags_result")) return { tool: "list_git_tags", args: {} };
    if (!thread.includes("<deploy_backend_result")) {
      const step = { tool: "deploy_backend", args: { tag: "v2.0.0", environment: terse ? "production" : "staging" } };
      return terse && gate ? { gate, then: step } : step;
    }
    return { tool: "done_for_now", args: { message: "Deployed v2.0.0 to staging." } };
  };
}

async function history(script: string, ids: string[], gate?: string): Promise<void> {
  const marker = model.model.script(script, deployRule(gate));
  for (const threadId of ids) {
    const { status } = await api.v1("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy the backend ${marker}`, threadId, variant: "default" }) });
    expect(status).toBe(201);
  }
  for (const id of ids) expect((await api.until(id, ended)).status).toBe("done");
}

/** `npm run eval` in a child process. Not spawnSync: the scripted model answers from this process's event loop. */
function npmEval(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn("npm", ["run", "--silent", "eval", "--", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EDGE_AGENTS_URL: dev?.url ?? "", API_TOKEN: TOKEN },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((done) =>
    child.on("close", (code) => {
      clearTimeout(killer);
      done({ code, out, err });
    }),
  );
}

async function untilEval(id: string, done: (v: EvalView) => boolean, withinMs = 20_000): Promise<EvalView> {
  const giveUp = Date.now() + withinMs;
  for (;;) {
    const { status, body } = await api.v1<EvalView>(`/evals/${id}`);
    if (status === 200 && done(body)) return body;
    if (Date.now() > giveUp) throw new Error(`eval ${id}: ${status} ${JSON.stringify(body)} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("evals against wrangler dev", () => {
  it("npm run eval reports agreement and differences, gates on --min-agreement, and touches nothing but the model", async () => {
    const ids = ["ev-e2e-1", "ev-e2e-2"];
    await history("ev-e2e", ids);
    for (const id of ids) await api.untilListed("deploybot", id); // --since selects from the (eventually consistent) index
    const deploysBefore = target.received.length;
    expect(target.count("POST /deployments")).toBe(2);
    const logsBefore = await Promise.all(ids.map(async (id) => JSON.stringify(await api.eventsOf(id))));
    const asked = model.model.requests("ev-e2e").length;

    const terse = await npmEval(["--agent", "deploybot", "--variant", "terse", "--since", "1h", "--min-agreement", "0.9", "--poll-ms", "200"]);
    expect(terse.err).toMatch(/progress 6\/6/);
    expect(terse.out).toMatch(/agreement\s+66\.7%/);
    expect(terse.out).toContain("2 differing case(s):");
    expect(terse.out).toContain('baseline:  deploy_backend {"environment":"staging","tag":"v2.0.0"}');
    expect(terse.out).toContain('candidate: deploy_backend {"environment":"production","tag":"v2.0.0"}');
    expect(terse.code).toBe(1);

    const same = await npmEval(["--agent", "deploybot", "--variant", "default", "--threads", ids.join(","), "--min-agreement", "1", "--poll-ms", "200"]);
    expect(same.out).toMatch(/agreement\s+100\.0%/);
    expect(same.code).toBe(0);

    // 12 questions asked once each; not one call to the deploy target; the logs unchanged byte for byte.
    expect(model.model.requests("ev-e2e").length - asked).toBe(12);
    expect(target.received.length).toBe(deploysBefore);
    expect(await Promise.all(ids.map(async (id) => JSON.stringify(await api.eventsOf(id))))).toEqual(logsBefore);
    const threads = await Promise.all(ids.map(async (id) => (await api.v1<ThreadView>(`/threads/${id}`)).body.lastSeq));
    expect(threads).toEqual(logsBefore.map((log) => (JSON.parse(log) as Event[]).length));

    expect((await npmEval(["--agent", "deploybot", "--variant", "shouty"])).code).toBe(2);
  });

  it("finishes after the Worker is SIGKILLed mid-question, asking again only the question in flight", async () => {
    const gate = "ev-e2e-crash-gate";
    await history("ev-e2e-crash", ["ev-e2e-crash-1"], gate);
    const before = model.model.requests("ev-e2e-crash").length;
    const { status, body } = await api.v1<{ id: string }>("/agents/deploybot/evals", {
      method: "POST",
      body: JSON.stringify({ threads: ["ev-e2e-crash-1"], variant: "terse" }),
    });
    expect(status).toBe(202);
    await model.model.arrived(gate);
    await untilEval(body.id, (v) => v.progress.done === 2); // the other two answered; the deploy question is in flight
    const stateDir = dev?.stateDir;
    await dev?.kill();
    dev = await start(stateDir);
    await model.model.release(gate); // the dead consumer's request ends; its answer has nowhere to go

    const view = await untilEval(body.id, (v) => v.status === "done", 30_000);
    expect(view.progress).toEqual({ done: 3, total: 3 });
    expect(view.summary).toMatchObject({ answered: 3, sameArgs: 2, errors: 0 });
    // Three questions, one of them asked again because its consumer died holding it.
    expect(model.model.requests("ev-e2e-crash").length - before).toBe(4);
  });
});
