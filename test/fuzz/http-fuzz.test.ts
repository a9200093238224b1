/**
 * Seeded HTTP fuzzer: thousands of invalid requests across every route in routes.ts.
 * Each must get a 4xx in the error shape (never a 5xx), and no seeded thread may change
 * by a single byte. A failure prints the seed and the offending cases; rerun with the
 * same seed (FUZZ_SEED below) to reproduce exactly.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { signLink } from "../../src/channels/links";
import { api, eventsOf, launch, listedThreads, settle, thread } from "../support/api";
import { clock, model } from "../support/harness";
import { FAULTS, fuzzCase, prng, type FuzzRequest, type Targets } from "./generate";
import { ROUTES } from "./routes";
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
  const go = (id: string, steps: Parameters<typeof model.script>[1]) => launch("probe", `fuzz ${model.script(id, steps)}`, { threadId: id });
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
  // A genuine, valid link to the open approval: only the injected fault may stop it.
  const token = await signLink((env.HUMAN_LINK_SECRET ?? ""), { threadId: "fz-waiting", requestId: pending.requestId, exp: Math.floor(Date.parse(pending.deadline) / 1000) });
  targets = {
    seeds: { requestId: pending.requestId, freshId: FRESH, target: "fz-waiting", deliveryId: DELIVERY },
    threads: SEEDED,
    unknownIds: UNKNOWN,
    agents: ["probe", "deploybot"],
    token,
  };
});

async function snapshot(): Promise<string> {
  const all = await Promise.all(SEEDED.map(async (id) => ({ id, view: await thread(id).thread(), events: await eventsOf(id) })));
  return JSON.stringify(all);
}

type Finding = { case: number; fault: string; method: string; path: string; status: number; body: string };

async function send(unsigned: FuzzRequest): Promise<Response> {
  const request = await signed(unsigned, clock.now());
  return api(request.path, { method: request.method, headers: request.headers, token: null, ...(request.body !== undefined ? { body: request.body } : {}) });
}


/** A 4xx must carry `{"error":{"code","message"}}`; the human-link page answers with an HTML page instead. */
async function problem(request: FuzzRequest, response: Response): Promise<string | undefined> {
  if (response.status >= 500) return "5xx";
  if (response.status < 400) return "accepted an invalid request";
  if (request.expect && !request.expect.includes(response.status)) return `expected ${request.expect.join(" or ")}: ${(await response.text()).slice(0, 200)}`;
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  if (request.path.startsWith("/h/") && type.startsWith("text/html")) return /<h1/.test(text) ? undefined : "HTML error page without a heading";
  if (!type.startsWith("application/json")) return `4xx with content-type ${type}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const ok = typeof body.error?.code === "string" && /^[a-z][a-z0-9_]*$/.test(body.error.code) && typeof body.error.message === "string";
    return ok ? undefined : `bad error shape: ${text.slice(0, 200)}`;
  } catch {
    return `4xx body is not JSON: ${text.slice(0, 200)}`;
  }
}

describe(`HTTP fuzz (seed ${FUZZ_SEED}, ${CASES} cases)`, () => {
  it("every invalid request gets a 4xx in the error shape, never a 5xx, and no thread changes by a byte", { timeout: 120_000 }, async () => {
    const before = await snapshot();
    const listedBefore = await listedThreads();
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
    expect(findings, `seed ${FUZZ_SEED}: ${findings.length} bad answers, first: ${JSON.stringify(findings.slice(0, 5))}`).toEqual([]);
    expect(after === before, `seed ${FUZZ_SEED}: a seeded thread changed`).toBe(true);
    for (const id of [...UNKNOWN, FRESH, `github-${DELIVERY}`, `slack-${DELIVERY}`]) {
      expect(await thread(id).thread(), `seed ${FUZZ_SEED}: ${id} was created`).toBeNull();
    }
    expect(await listedThreads(), `seed ${FUZZ_SEED}: a rejected request created a thread`).toEqual(listedBefore);
    const webhooks = cases.filter((c) => c.path.startsWith("/v1/webhooks/")).length;
    console.log(`fuzz seed ${FUZZ_SEED}: ${CASES} cases (${webhooks} webhook), statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    // The running thread was only held by its gate: release it and it finishes normally.
    await model.release("fz-running-gate");
    expect((await settle("fz-running")).status).toBe("done");
  });
});
