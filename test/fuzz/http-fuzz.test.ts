/**
 * Seeded HTTP fuzzer: thousands of invalid requests across every route in routes.ts.
 * Each must get exactly the status and error code its fault pins (generate.ts), and no
 * seeded thread may change by a single byte. Then every route's valid request is sent
 * unfaulted as a control: it must succeed and change exactly what it should, so a route
 * that refuses everything fails here. A failure prints the seed and the offending cases;
 * rerun with the same seed (FUZZ_SEED below) to reproduce exactly.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { signLink } from "../../src/channels/links";
import { api, eventsOf, launch, listedThreads, settle, thread } from "../support/api";
import { clock, executions, model } from "../support/harness";
import type { Event } from "../../src/core";
import { FAULTS, fuzzCase, prng, validRequest, type FuzzRequest, type Targets } from "./generate";
import { ROUTES, type RouteSpec } from "./routes";
import { signed } from "./sign";

const FUZZ_SEED = 0x5eed_2026;
const CASES = 3_600;
const PARALLEL = 16;

const SEEDED = ["fz-running", "fz-waiting", "fz-paused", "fz-done"] as const;
const UNKNOWN = ["fz-unknown-1", "fz-unknown-2", "constructor", "toString", "hasOwnProperty", "valueOf", "prototype", "Z"];
const FRESH = "fz-fresh-never-created";
/** A webhook delivery id: a delivery that got through would launch github-/slack-<id>. */
const DELIVERY = "fz-delivery-never";

let targets: Targets;

/** Four threads in four states; snapshots of their logs and views must survive the fuzz byte for byte. */
beforeAll(async () => {
  // A day's deadline: the fuzz must never outlive the open approval (its link expires with it),
  // however slowly a busy machine runs 3,600 cases.
  const go = (id: string, steps: Parameters<typeof model.script>[1]) =>
    launch("probe", `fuzz ${model.script(id, steps)}`, { threadId: id, humanTimeoutSeconds: 86_400 });
  await go("fz-running", [{ gate: "fz-running-gate", then: { tool: "done_for_now", args: { message: "released" } } }]);
  await go("fz-waiting", [{ tool: "guarded", args: { label: "fz-guarded" } }]);
  await go("fz-paused", [{ tool: "request_more_information", args: { message: "which region?" } }]);
  await go("fz-done", [{ tool: "done_for_now", args: { message: "finished" } }]);
  await model.arrived("fz-running-gate");
  const waiting = await settle("fz-waiting");
  await settle("fz-paused");
  expect((await api("/v1/threads/fz-paused/pause", { method: "POST" })).status).toBe(200);
  expect((await settle("fz-paused")).status).toBe("paused");
  expect((await settle("fz-done")).status).toBe("done");
  expect((await thread("fz-running").thread())?.status).toBe("running");
  const pending = waiting.pending;
  if (!pending) throw new Error("fz-waiting has no pending request");
  // An eval of a seeded thread, for the {eval} rows (it reads the log, never changes it).
  const started = await api("/v1/agents/probe/evals", { method: "POST", json: { threads: ["fz-done"], steps: "first" } });
  expect(started.status).toBe(202);
  const evalId = ((await started.json()) as { id: string }).id;
  // A genuine, valid link to the open approval: only the injected fault may stop it.
  const token = await signLink((env.HUMAN_LINK_SECRET ?? ""), { threadId: "fz-waiting", requestId: pending.requestId, exp: Math.floor(Date.parse(pending.deadline) / 1000) });
  targets = {
    seeds: { requestId: pending.requestId, freshId: FRESH, target: "fz-waiting", deliveryId: DELIVERY, evalId },
    threads: SEEDED,
    unknownIds: UNKNOWN,
    agents: ["probe", "deploybot"],
    token,
  };
}, 60_000);

async function snapshot(): Promise<string> {
  const all = await Promise.all(SEEDED.map(async (id) => ({ id, view: await thread(id).thread(), events: await eventsOf(id) })));
  return JSON.stringify(all);
}

/** Each agent's eval ids: a rejected start must not add one, a rejected DELETE must not remove one. */
async function evalLists(): Promise<string[][]> {
  return Promise.all(["probe", "deploybot"].map(async (agent) => ((await (await api(`/v1/agents/${agent}/evals`)).json()) as { evals: { id: string }[] }).evals.map((e) => e.id)));
}

type Finding = { case: number; fault: string; method: string; path: string; status: number; body: string };

async function send(unsigned: FuzzRequest): Promise<Response> {
  const request = await signed(unsigned, clock.now());
  return api(request.path, { method: request.method, headers: request.headers, token: null, ...(request.body !== undefined ? { body: request.body } : {}) });
}


/** Exactly the pinned status and code: `{"error":{"code","message"}}`, or the link page's HTML error page. */
async function problem(request: FuzzRequest, response: Response): Promise<string | undefined> {
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  const { status, code } = request.expect;
  if (response.status !== status) return `expected ${status} ${code}, got ${response.status}: ${text.slice(0, 200)}`;
  if (code === "page") return type.startsWith("text/html") && /<h1/.test(text) ? undefined : `expected the HTML error page, got ${type}`;
  if (!type.startsWith("application/json")) return `${status} with content-type ${type}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (body.error?.code !== code) return `expected code ${code}, got ${text.slice(0, 200)}`;
    return typeof body.error.message === "string" && body.error.message.length > 0 ? undefined : `no message: ${text.slice(0, 200)}`;
  } catch {
    return `body is not JSON: ${text.slice(0, 200)}`;
  }
}

describe(`HTTP fuzz (seed ${FUZZ_SEED}, ${CASES} cases)`, () => {
  it("every invalid request gets exactly the status and error code its fault pins, and no thread changes by a byte", { timeout: 120_000 }, async () => {
    const before = await snapshot();
    const listedBefore = await listedThreads();
    const evalsBefore = await evalLists();
    const rng = prng(FUZZ_SEED);
    const cases = Array.from({ length: CASES }, () => fuzzCase(rng, targets, ROUTES));
    const findings: Finding[] = [];
    const statuses = new Map<number, number>();
    for (let start = 0; start < cases.length; start += PARALLEL) {
      await Promise.all(
        cases.slice(start, start + PARALLEL).map(async (request, offset) => {
          const response = await send(request);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const issue = await problem(request, response);
          if (issue) {
            findings.push({ case: start + offset, fault: request.fault, method: request.method, path: request.path.slice(0, 120), status: response.status, body: issue });
          }
        }),
      );
    }
    const after = await snapshot();

    // Every fault and every route was exercised.
    expect(new Set(cases.map((c) => c.fault))).toEqual(new Set(FAULTS.map((f) => f.name)));
    expect(new Set(cases.map((c) => c.route))).toEqual(new Set(ROUTES));
    expect(findings, `seed ${FUZZ_SEED}: ${findings.length} bad answers, first: ${JSON.stringify(findings.slice(0, 5))}`).toEqual([]);
    expect(after === before, `seed ${FUZZ_SEED}: a seeded thread changed`).toBe(true);
    for (const id of [...UNKNOWN, FRESH, `github-${DELIVERY}`, `slack-${DELIVERY}`]) {
      expect(await thread(id).thread(), `seed ${FUZZ_SEED}: ${id} was created`).toBeNull();
    }
    expect(await listedThreads(), `seed ${FUZZ_SEED}: a rejected request created a thread`).toEqual(listedBefore);
    expect(await evalLists(), `seed ${FUZZ_SEED}: a rejected request started or erased an eval`).toEqual(evalsBefore);
    const webhooks = cases.filter((c) => c.path.startsWith("/v1/webhooks/")).length;
    console.log(`fuzz seed ${FUZZ_SEED}: ${CASES} cases (${webhooks} webhook), statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    // The running thread was only held by its gate: release it and it finishes normally.
    await model.release("fz-running-gate");
    expect((await settle("fz-running")).status).toBe("done");
  });
});

// Pinned once instead of fuzzed: workerd warns on stderr for every request whose header
// holds a non-ASCII character, so thousands of such cases would bury the suite's output.
describe("HTTP fuzz: non-ASCII header values", () => {
  it("a non-ASCII bearer token is 401 and a non-ASCII Idempotency-Key is 400; nothing is created", async () => {
    const unauthorized = await api("/v1/threads", { token: null, headers: { authorization: "Bearer t\u00e9st-token" } });
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const launchWithKey = await api("/v1/agents/probe/threads", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "k\u00e9y" },
      body: JSON.stringify({ message: "never launched", threadId: "fz-non-ascii-key" }),
    });
    expect(launchWithKey.status).toBe(400);
    expect(((await launchWithKey.json()) as { error: { code: string } }).error.code).toBe("invalid_idempotency_key");
    expect((await api("/v1/threads/fz-non-ascii-key")).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------
// Controls: each route's valid request, unfaulted. Without them, a route that refused
// everything (a mutation answering 409 to every POST /responses) passed the fuzzer.
// ---------------------------------------------------------------------------

/** The log of each thread, to tell exactly what one request appended and where. */
async function logs(ids: readonly string[]): Promise<Map<string, Event[]>> {
  return new Map(await Promise.all(ids.map(async (id) => [id, await eventsOf(id)] as const)));
}

/** Events appended per thread between two `logs()` readings; threads that did not change are left out. */
function appended(before: Map<string, Event[]>, after: Map<string, Event[]>): Record<string, string[]> {
  const changed: Record<string, string[]> = {};
  for (const [id, events] of after) {
    const old = before.get(id) ?? [];
    expect(events.slice(0, old.length), `${id}: the log was rewritten`).toEqual(old);
    if (events.length > old.length) changed[id] = events.slice(old.length).map((e) => e.type);
  }
  return changed;
}

describe("HTTP fuzz controls: every route's valid request, unfaulted", () => {
  it("succeeds and changes exactly what it should", { timeout: 120_000 }, async () => {
    const go = async (id: string, label: string) => {
      await launch("probe", `control ${model.script(id, [{ tool: "guarded", args: { label } }])}`, { threadId: id });
      const view = await settle(id);
      if (!view.pending) throw new Error(`${id} is not waiting`);
      return view.pending.requestId;
    };
    // Threads the controls may change: two waiting for an approval (one answered through
    // the API, one through its link), and the seeded ones (fz-paused takes messages).
    const viaApi = await go("fz-c-approve-api", "fz-c-api");
    const viaLink = await go("fz-c-approve-link", "fz-c-link");
    // A finished thread for the erase control (DELETE /v1/threads/{id}).
    await launch("probe", `control ${model.script("fz-c-erase", [{ tool: "done_for_now", args: { message: "to erase" } }])}`, { threadId: "fz-c-erase" });
    expect((await settle("fz-c-erase")).status).toBe("done");
    const link = await signLink(env.HUMAN_LINK_SECRET ?? "", { threadId: "fz-c-approve-link", requestId: viaLink, exp: Math.floor(clock.now() / 1000) + 3600 });
    const watched = [...SEEDED, "fz-c-approve-api", "fz-c-approve-link"];

    const BODY_HASHED = "(named by the response)";
    type Control = { thread: string; seeds?: Partial<Targets["seeds"]>; token?: string; creates?: string; erases?: boolean; changes: Record<string, string[]> };
    const key = (r: RouteSpec) => `${r.method} ${r.path}${r.signed ? ` ${r.signed}${r.threadRef ? " ref" : ""}` : ""}`;
    const nothing: Record<string, string[]> = {};
    // What each row's valid request must change: new events per thread (first events only
    // where a step then runs), and the one thread it creates.
    const controls: Record<string, Control> = {
      "GET /v1/agents": { thread: "fz-done", changes: nothing },
      "POST /v1/agents/{agent}/threads": { thread: "fz-done", seeds: { freshId: "fz-c-launched" }, creates: "fz-c-launched", changes: nothing },
      "GET /v1/threads": { thread: "fz-done", changes: nothing },
      "GET /v1/threads/{id}": { thread: "fz-waiting", changes: nothing },
      "GET /v1/threads/{id}/events": { thread: "fz-waiting", changes: nothing },
      "GET /v1/threads/{id}/context": { thread: "fz-waiting", changes: nothing },
      "POST /v1/threads/{id}/messages": { thread: "fz-paused", changes: { "fz-paused": ["user_messaged"] } },
      "POST /v1/threads/{id}/responses": {
        thread: "fz-c-approve-api",
        seeds: { requestId: viaApi },
        changes: { "fz-c-approve-api": ["human_responded", "tool_started", "tool_succeeded"] },
      },
      "POST /v1/threads/{id}/pause": { thread: "fz-waiting", changes: { "fz-waiting": ["thread_paused"] } },
      "POST /v1/threads/{id}/resume": { thread: "fz-waiting", changes: { "fz-waiting": ["thread_resumed"] } },
      "POST /v1/threads/{id}/cancel": { thread: "fz-paused", changes: { "fz-paused": ["thread_cancelled"] } },
      "GET /h/{token}": { thread: "fz-c-approve-link", token: link, changes: nothing },
      "POST /h/{token}": {
        thread: "fz-c-approve-link",
        token: link,
        changes: { "fz-c-approve-link": ["human_responded", "tool_started", "tool_succeeded"] },
      },
      "POST /v1/threads/{id}/fork": { thread: "fz-done", seeds: { freshId: "fz-c-fork" }, creates: "fz-c-fork", changes: nothing },
      "GET /v1/agents/{agent}/variants": { thread: "fz-done", changes: nothing },
      "GET /v1/threads/{id}/stream": { thread: "fz-done", changes: nothing },
      "GET /v1/agents/{agent}/usage": { thread: "fz-done", changes: nothing },
      // An eval reads logs and asks the model: it changes no thread.
      "POST /v1/agents/{agent}/evals": { thread: "fz-done", changes: nothing },
      "GET /v1/agents/{agent}/evals": { thread: "fz-done", changes: nothing },
      "GET /v1/evals/{eval}": { thread: "fz-done", changes: nothing },
      "DELETE /v1/evals/{eval}": { thread: "fz-done", changes: nothing },
      "DELETE /v1/threads/{id}": { thread: "fz-c-erase", erases: true, changes: nothing },
      // GitHub threads are named by a hash of the signed body (replays under new delivery ids are duplicates).
      "POST /v1/webhooks/{source} github": { thread: "fz-done", seeds: { deliveryId: "fz-c-gh-run" }, creates: BODY_HASHED, changes: nothing },
      "POST /v1/webhooks/{source} github ref": { thread: "fz-done", seeds: { deliveryId: "fz-c-gh-comment", target: "fz-paused" }, changes: { "fz-paused": ["user_messaged"] } },
      "POST /v1/webhooks/{source} slack": { thread: "fz-done", seeds: { deliveryId: "fz-c-slack-mention" }, creates: "slack-fz-c-slack-mention", changes: nothing },
      "POST /v1/webhooks/{source} slack ref": { thread: "fz-done", seeds: { deliveryId: "fz-c-slack-message", target: "fz-paused" }, changes: { "fz-paused": ["user_messaged"] } },
    };
    // One control per row, in table order (pause before resume, messages before cancel).
    expect(ROUTES.map(key).sort()).toEqual(Object.keys(controls).sort());
    const order = [...ROUTES].sort((a, b) => (key(a).endsWith("/cancel") ? 1 : 0) - (key(b).endsWith("/cancel") ? 1 : 0));
    for (const route of order) {
      const control = controls[key(route)];
      if (!control) throw new Error(`no control for ${key(route)}`);
      const seeds = { ...targets.seeds, ...control.seeds };
      const request = validRequest(route, { ...targets, seeds, token: control.token ?? targets.token }, "control", "probe", control.thread);
      const listed = await listedThreads();
      const before = await logs(watched);
      const response = await send(request);
      const text = await response.text();
      if (control.creates === BODY_HASHED) control.creates = (JSON.parse(text) as { thread?: { id?: string }; id?: string }).thread?.id ?? (JSON.parse(text) as { id?: string }).id;
      expect(response.status, `${key(route)}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${key(route)}: ${text.slice(0, 300)}`).toBeLessThan(300);
      // (fz-running is never settled: it stays in its gated model call until the fuzz test releases it.)
      for (const id of new Set([...(control.erases ? [] : [control.thread]), ...Object.keys(control.changes), ...(control.creates ? [control.creates] : [])])) await settle(id);
      if (control.erases) expect(await thread(control.thread).thread(), `${key(route)} did not erase ${control.thread}`).toBeNull();
      const changed = appended(before, await logs(watched));
      // Only the first events the request caused, where the thread then ran a step of its own.
      const firsts = Object.fromEntries(Object.entries(changed).map(([id, types]) => [id, types.slice(0, control.changes[id]?.length ?? types.length)]));
      expect(firsts, `${key(route)} changed other threads or other events`).toEqual(control.changes);
      // The index is pushed at most once a second, so a new thread may not be listed yet;
      // but no thread other than the one this request creates may appear.
      const allowed = new Set([...listed, ...(control.creates ? [control.creates] : [])]);
      expect((await listedThreads()).filter((id) => !allowed.has(id)), `${key(route)}: other threads created`).toEqual([]);
      if (control.creates) expect((await thread(control.creates).thread())?.id, `${key(route)} did not create ${control.creates}`).toBe(control.creates);
    }
    // What the approvals ran, once each.
    expect([executions.get("fz-c-api"), executions.get("fz-c-link")]).toEqual([1, 1]);
    const fork = await eventsOf("fz-c-fork");
    expect(fork[0]).toEqual((await eventsOf("fz-done"))[0]);
    expect(fork[1]?.type).toBe("thread_forked");
    expect((await api(`/v1/evals/${targets.seeds.evalId}`)).status, "DELETE /v1/evals/{eval} did not erase the eval").toBe(404);
  });
});
