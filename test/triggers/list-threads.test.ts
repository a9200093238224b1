import { beforeAll, describe, expect, it } from "vitest";
import type { ThreadView } from "../../src/core";
import { api, launch, settle } from "../support/api";
import { model } from "../support/harness";

// GET /v1/threads reads the sharded thread index, which each thread updates itself;
// settle(id) waits for that update. Other tests may add threads to the same storage, so
// every assertion about membership is made on this test's own ids.

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let counter = 0;
/** Zero-padded, so ids made later in a test also sort later. */
const freshId = (name: string) => `lt-${run}-${name}-${String(++counter).padStart(3, "0")}`;

type Summary = { id: string; agent: string; status: string; createdAt: string; updatedAt: string; lastSeq: number };
type Page = { threads: Summary[]; next?: string };

async function list(query = ""): Promise<Page> {
  const response = await api(`/v1/threads${query ? `?${query}` : ""}`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  const page = JSON.parse(text) as Page;
  expect(Object.keys(page).every((k) => k === "threads" || k === "next")).toBe(true);
  expect(Array.isArray(page.threads)).toBe(true);
  if ("next" in page) expect(typeof page.next).toBe("string");
  return page;
}

/** Every page of a listing, following `next` until there is none. */
async function walk(query: string, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const params = new URLSearchParams(query);
    params.set("limit", String(limit));
    if (cursor !== undefined) params.set("cursor", cursor);
    const page = await list(params.toString());
    pages.push(page);
    if (page.next === undefined) return pages;
    cursor = page.next;
  }
  throw new Error("pagination did not end");
}

const all = async (query = "") => (await walk(query, 100)).flatMap((p) => p.threads);
const ids = (threads: readonly Summary[]) => threads.map((t) => t.id);
const mine = (threads: readonly Summary[], own: readonly string[]) => threads.filter((t) => own.includes(t.id));

/** Newest first: createdAt descending, ties broken by id descending; strict, so no duplicates. */
function expectNewestFirst(threads: readonly Summary[]) {
  for (let i = 1; i < threads.length; i++) {
    const a = threads[i - 1] as Summary;
    const b = threads[i] as Summary;
    const ordered = a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
    expect(ordered, `${a.id}@${a.createdAt} before ${b.id}@${b.createdAt}`).toBe(true);
  }
}

/**
 * An index row describes its thread: id, agent, createdAt and (once settled) status are
 * exact. The thread pushes its row when its status changes, not on every event, so
 * lastSeq/updatedAt are those of the last status change: never ahead of the thread.
 */
function expectRowOf(row: Summary | undefined, view: ThreadView) {
  expect(row, view.id).toBeDefined();
  const r = row as Summary;
  expect(Object.keys(r).sort()).toEqual(["agent", "createdAt", "id", "lastSeq", "status", "updatedAt"]);
  expect({ id: r.id, agent: r.agent, status: r.status, createdAt: r.createdAt }).toEqual({
    id: view.id,
    agent: view.agent,
    status: view.status,
    createdAt: view.createdAt,
  });
  expect(Number.isInteger(r.lastSeq)).toBe(true);
  expect(r.lastSeq).toBeGreaterThanOrEqual(1);
  expect(r.lastSeq).toBeLessThanOrEqual(view.lastSeq);
  expect(r.updatedAt >= r.createdAt && r.updatedAt <= view.updatedAt, `${r.updatedAt} within ${r.createdAt}..${view.updatedAt}`).toBe(true);
}

type Kind = "done" | "waiting";

/** Launches a thread that finishes ("done") or waits on a question ("waiting"), and settles it. */
async function make(name: string, kind: Kind, agent = "probe"): Promise<ThreadView> {
  const id = freshId(name);
  const step = kind === "done" ? { tool: "done_for_now", args: { message: "ok" } } : { tool: "request_more_information", args: { message: "Which?" } };
  const marker = model.script(id, [step]);
  const { response } = await launch(agent, `list me ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 });
  expect(response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe(kind === "done" ? "done" : "waiting_for_human");
  return view;
}

async function post(path: string) {
  const response = await api(path, { method: "POST", json: {} });
  expect(response.status, await response.clone().text()).toBe(200);
}

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

describe("GET /v1/threads", () => {
  it("lists threads newest first with id, agent, status, createdAt, updatedAt, lastSeq matching the threads", async () => {
    const views: ThreadView[] = [];
    for (const kind of ["done", "waiting", "done", "waiting"] as const) views.push(await make("order", kind));
    const own = views.map((v) => v.id);

    const listed = await all();
    expectNewestFirst(listed);
    const ours = mine(listed, own);
    expect(ids(ours)).toEqual([...own].reverse());
    for (const view of views) expectRowOf(ours.find((t) => t.id === view.id), view);
    // A finished thread's last event is its status change, so its row is fully current.
    for (const view of views.filter((v) => v.status === "done")) {
      expect(ours.find((t) => t.id === view.id)).toMatchObject({ lastSeq: view.lastSeq, updatedAt: view.updatedAt });
    }
    // The first page of the default listing (limit 20) starts with the newest thread.
    const first = await list();
    expect(first.threads.length).toBeLessThanOrEqual(20);
    expect(first.threads[0]).toEqual(listed[0]);
  });

  it("filters by ?agent= and ?status=, alone and together", async () => {
    const done = await make("filter-done", "done");
    const waiting = await make("filter-waiting", "waiting");
    const deploy = await make("filter-deploy", "done", "deploybot");
    const cancelled = await make("filter-cancelled", "waiting");
    const paused = await make("filter-paused", "waiting");
    await post(`/v1/threads/${cancelled.id}/cancel`);
    await post(`/v1/threads/${paused.id}/pause`);
    expect((await settle(cancelled.id)).status).toBe("cancelled");
    expect((await settle(paused.id)).status).toBe("paused");
    const own = [done, waiting, deploy, cancelled, paused].map((v) => v.id);

    const check = async (query: string, expected: string[], where: (t: Summary) => boolean) => {
      const listed = await all(query);
      expectNewestFirst(listed);
      for (const t of listed) expect(where(t), `${query}: ${t.id} is ${t.agent}/${t.status}`).toBe(true);
      expect(ids(mine(listed, own)), query).toEqual([...expected].reverse());
    };

    await check("agent=deploybot", [deploy.id], (t) => t.agent === "deploybot");
    await check("agent=probe", [done.id, waiting.id, cancelled.id, paused.id], (t) => t.agent === "probe");
    await check("status=done", [done.id, deploy.id], (t) => t.status === "done");
    await check("status=waiting_for_human", [waiting.id], (t) => t.status === "waiting_for_human");
    await check("status=cancelled", [cancelled.id], (t) => t.status === "cancelled");
    await check("status=paused", [paused.id], (t) => t.status === "paused");
    await check("agent=probe&status=done", [done.id], (t) => t.agent === "probe" && t.status === "done");
    await check("agent=deploybot&status=waiting_for_human", [], (t) => t.agent === "deploybot" && t.status === "waiting_for_human");
    expect(await list("agent=nobody")).toEqual({ threads: [] });

    // The index follows the thread: after resume, the paused thread is waiting again.
    await post(`/v1/threads/${paused.id}/resume`);
    const resumed = await settle(paused.id);
    expect(resumed.status).toBe("waiting_for_human");
    await check("status=paused", [], (t) => t.status === "paused");
    await check("status=waiting_for_human", [waiting.id, paused.id], (t) => t.status === "waiting_for_human");
    expectRowOf((await all("agent=probe")).find((t) => t.id === paused.id), resumed);
  });

  it("?limit=2 pages through every thread exactly once, newest first; the last page has no next", async () => {
    const own: string[] = [];
    for (let i = 0; i < 5; i++) own.push((await make("page", i % 2 ? "waiting" : "done")).id);

    const truth = await all();
    const pages = await walk("", 2);
    const walked = pages.flatMap((p) => p.threads);

    expect(pages.length).toBe(Math.ceil(walked.length / 2));
    pages.forEach((page, i) => {
      const last = i === pages.length - 1;
      expect(page.threads.length, `page ${i}`).toBe(last ? walked.length - 2 * i : 2);
      expect(page.next === undefined, `page ${i} next`).toBe(last);
    });
    expect(new Set(ids(walked)).size).toBe(walked.length);
    expectNewestFirst(walked);
    expect(ids(walked)).toEqual(ids(truth));
    expect(ids(mine(walked, own))).toEqual([...own].reverse());
  });

  it("pagination composes with filters, and a cursor continues exactly after the last thread shown", async () => {
    const own: string[] = [];
    for (let i = 0; i < 3; i++) own.push((await make("page-filter", "done")).id);
    own.push((await make("page-filter-waiting", "waiting")).id);

    const pages = await walk("agent=probe&status=done", 1);
    const walked = pages.flatMap((p) => p.threads);
    for (const page of pages.slice(0, -1)) expect(page.threads).toHaveLength(1);
    expect(pages.at(-1)?.next).toBeUndefined();
    expect(new Set(ids(walked)).size).toBe(walked.length);
    expectNewestFirst(walked);
    for (const t of walked) expect([t.agent, t.status]).toEqual(["probe", "done"]);
    expect(ids(mine(walked, own))).toEqual(own.slice(0, 3).reverse());

    // The cursor after the newest of our three points at the next two, in order.
    const everything = await all("agent=probe&status=done");
    const at = everything.findIndex((t) => t.id === own[2]);
    const before = await walk("agent=probe&status=done", 1);
    const cursor = before[at]?.next;
    expect(cursor).toBeDefined();
    const rest = await list(`agent=probe&status=done&limit=2&cursor=${cursor}`);
    expect(ids(rest.threads)).toEqual(ids(everything.slice(at + 1, at + 3)));
  });

  it("a thread appears in the index as soon as it is launched and settled, with its current status", async () => {
    const view = await make("appear", "waiting");
    expectRowOf((await all("status=waiting_for_human")).find((t) => t.id === view.id), view);
    await post(`/v1/threads/${view.id}/cancel`);
    const cancelled = await settle(view.id);
    expect((await all("status=waiting_for_human")).some((t) => t.id === view.id)).toBe(false);
    const row = (await all("status=cancelled")).find((t) => t.id === view.id);
    expectRowOf(row, cancelled);
    expect(row?.lastSeq).toBeGreaterThan(view.lastSeq); // the cancel itself was pushed
  });
});

describe("GET /v1/agents", () => {
  type Tool = { name: string; description: string; needsApproval: string; parameters?: unknown };
  type Agent = { name: string; description: string; tools: Tool[] };

  it("lists deploybot and the probe with their tools and approval policies", async () => {
    const response = await api("/v1/agents");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
    const { agents } = (await response.json()) as { agents: Agent[] };
    expect(agents.map((a) => a.name).sort()).toEqual(["boss", "brittle", "deploybot", "digest", "mcp-down", "mcp-probe", "mcpbot", "probe", "releasebot", "scout", "slacker", "tight"]);

    for (const agent of agents) {
      expect(agent.description.length, agent.name).toBeGreaterThan(0);
      for (const tool of agent.tools) {
        expect(tool.name, agent.name).toMatch(/^[a-z_]+$/);
        expect(tool.description.length, tool.name).toBeGreaterThan(0);
        expect(["always", "never", "depends_on_arguments"], tool.name).toContain(tool.needsApproval);
        expect(tool.parameters, tool.name).toMatchObject({ type: "object" });
      }
    }

    const deploybot = agents.find((a) => a.name === "deploybot") as Agent;
    const policy = Object.fromEntries(deploybot.tools.map((t) => [t.name, t.needsApproval]));
    expect(policy).toEqual({
      list_git_tags: "never",
      deploy_backend: "depends_on_arguments",
      deploy_frontend: "depends_on_arguments",
      request_more_information: "never",
      done_for_now: "never",
    });
    const backend = deploybot.tools.find((t) => t.name === "deploy_backend");
    expect(backend?.parameters).toMatchObject({
      properties: { tag: { type: "string" }, environment: { enum: ["staging", "production"] } },
    });

    const probe = agents.find((a) => a.name === "probe") as Agent;
    const probePolicy = Object.fromEntries(probe.tools.map((t) => [t.name, t.needsApproval]));
    expect(probePolicy).toMatchObject({ echo: "never", side_effect: "never", guarded: "always", request_more_information: "never", done_for_now: "never" });
  });
});
