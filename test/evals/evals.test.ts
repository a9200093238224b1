import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import type { EvalView } from "../../src/evals/schemas";
import { evalStub } from "../../src/evals/stubs";
import { api, eventsOf, launch, settle } from "../support/api";
import { model } from "../support/harness";
import type { ChatRequest } from "../support/scripted-model";
import { deployHistory } from "../support/eval-history";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const fresh = (name: string) => `ev-${run}-${name}-${++n}`;

/** `count` deploybot threads of deployRule on one script. */
async function history(script: string, count: number, gate?: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => fresh(script));
  await deployHistory(script, ids, gate);
  return ids;
}

async function startEval(agent: string, body: Record<string, unknown>, headers?: Record<string, string>) {
  const response = await api(`/v1/agents/${agent}/evals`, { method: "POST", json: body, ...(headers ? { headers } : {}) });
  return { status: response.status, body: (await response.json()) as { id: string; status: string; total: number; error?: { code: string } } };
}

async function finished(id: string, query = ""): Promise<EvalView> {
  await evalStub(env, id).settled();
  const response = await api(`/v1/evals/${id}${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as EvalView;
}

const decidedSeqs = (events: readonly Event[]) => events.filter((e) => e.type === "model_decided").map((e) => e.seq);

describe("evals: past model steps asked again", () => {
  it("with the baseline's own prompt and a deterministic model, agrees 100% and sends exactly the recorded context", async () => {
    const script = fresh("replay");
    const threads = await history(script, 2);
    const recorded = model.requests(script).slice();
    expect(recorded).toHaveLength(6);

    const started = await startEval("deploybot", { threads, variant: "default" });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: "running", total: 6 });
    const view = await finished(started.body.id);

    expect(view.status).toBe("done");
    expect(view.progress).toEqual({ done: 6, total: 6 });
    expect(view.summary).toMatchObject({ questions: 6, answered: 6, sameTool: 6, sameArgs: 6, errors: 0, agreement: 1 });
    expect(view.cases.every((c) => c.same)).toBe(true);
    expect(view.candidate.variant).toBe("default");
    expect(view.baseline).toEqual([expect.objectContaining({ variant: "default", promptVersion: view.candidate.promptVersion, questions: 6 })]);
    // Each question went out once, and as the very same messages and tools the thread sent then.
    const asked = model.requests(script).slice(6);
    expect(asked).toHaveLength(6);
    const key = (r: ChatRequest) => JSON.stringify([r.messages, r.tools]);
    expect(asked.map(key).sort()).toEqual(recorded.map(key).sort());
  });

  it("with a candidate prompt that decides otherwise, reports exactly the differing cases; the logs stay byte-identical", async () => {
    const script = fresh("terse");
    const threads = await history(script, 2);
    const before = await Promise.all(threads.map(async (id) => JSON.stringify(await eventsOf(id))));

    const started = await startEval("deploybot", { threads, variant: "terse" });
    expect(started.status).toBe(202);
    const view = await finished(started.body.id);

    expect(view.summary).toMatchObject({ questions: 6, answered: 6, sameTool: 6, sameArgs: 4, errors: 0 });
    expect(view.summary.agreement).toBeCloseTo(4 / 6);
    const differing = await finished(started.body.id, "?only=differing");
    const expected = await Promise.all(
      threads.map(async (id) => ({ threadId: id, seq: decidedSeqs(await eventsOf(id))[1] as number })),
    );
    expect(differing.cases.map((c) => ({ threadId: c.threadId, seq: c.seq })).sort((a, b) => a.threadId.localeCompare(b.threadId))).toEqual(
      expected.sort((a, b) => a.threadId.localeCompare(b.threadId)),
    );
    for (const c of differing.cases) {
      expect(c.baseline).toEqual({ tool: "deploy_backend", args: { tag: "v1.2.3", environment: "staging" } });
      expect(c.candidate).toEqual({ tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } });
      expect(c.same).toBe(false);
    }
    // Nothing ran: not one event appended, not one byte changed.
    const after = await Promise.all(threads.map(async (id) => JSON.stringify(await eventsOf(id))));
    expect(after).toEqual(before);

    // Cases page.
    const first = (await (await api(`/v1/evals/${started.body.id}?limit=4`)).json()) as EvalView;
    expect(first.cases).toHaveLength(4);
    const second = (await (await api(`/v1/evals/${started.body.id}?limit=4&cursor=${first.next}`)).json()) as EvalView;
    expect(second.cases).toHaveLength(2);
    expect(second.next).toBeUndefined();

    // The agent's list shows it; DELETE erases it.
    const list = (await (await api("/v1/agents/deploybot/evals")).json()) as { evals: { id: string; agreement: number }[] };
    expect(list.evals.find((e) => e.id === started.body.id)?.agreement).toBeCloseTo(4 / 6);
    expect((await api(`/v1/evals/${started.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/v1/evals/${started.body.id}`)).status).toBe(404);
    const listAfter = (await (await api("/v1/agents/deploybot/evals")).json()) as { evals: { id: string }[] };
    expect(listAfter.evals.some((e) => e.id === started.body.id)).toBe(false);
  });

  it("evaluates with `steps: first` and a filter on the agent's recent threads", async () => {
    const script = fresh("filter");
    const threads = await history(script, 2);
    const started = await startEval("deploybot", { filter: { since: "1h", variant: "default", limit: 2 }, steps: "first", variant: "terse" });
    expect(started.status).toBe(202);
    const view = await finished(started.body.id);
    expect(view.threads).toBe(2);
    expect(view.summary.questions).toBe(2);
    // The two newest default-variant threads are the two just launched; each first step is list_git_tags.
    expect(view.cases.map((c) => c.threadId).sort()).toEqual([...threads].sort());
    expect(view.cases.every((c) => c.baseline.tool === "list_git_tags" && c.same)).toBe(true);
  });

  it("survives eviction mid-eval and never asks a question twice", async () => {
    const script = fresh("evict");
    const gate = `gate-${script}`;
    const threads = await history(script, 1, gate);
    expect(model.requests(script)).toHaveLength(3);

    const started = await startEval("deploybot", { threads, variant: "terse" });
    expect(started.status).toBe(202);
    await model.arrived(gate); // the deploy question is in flight
    await evictDurableObject(env.EVALS.getByName(started.body.id));
    await model.release(gate);
    const view = await finished(started.body.id);

    expect(view.progress).toEqual({ done: 3, total: 3 });
    expect(view.summary).toMatchObject({ answered: 3, sameArgs: 2, errors: 0 });
    expect(model.requests(script)).toHaveLength(3 + 3);
  });

  it("with an Idempotency-Key a retried start (even a concurrent one) gets the same eval back, and no question is asked twice", async () => {
    const script = fresh("idem");
    const threads = await history(script, 1);
    const key = { "idempotency-key": `start-${script}` };
    const listBefore = ((await (await api("/v1/agents/deploybot/evals")).json()) as { evals: { id: string }[] }).evals.length;
    const [a, b] = await Promise.all([startEval("deploybot", { threads, variant: "terse" }, key), startEval("deploybot", { threads, variant: "terse" }, key)]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body.id).toBe(b.body.id);
    expect(a.body.id).toMatch(/^ev_[0-9a-f]{32}$/);
    const view = await finished(a.body.id);
    const again = await startEval("deploybot", { threads, variant: "terse" }, key);
    expect(again).toEqual({ status: 200, body: { id: a.body.id, status: "done", total: 3, threads: 1 } });
    expect(view.progress).toEqual({ done: 3, total: 3 });
    expect(model.requests(script)).toHaveLength(3 + 3);
    const listed = ((await (await api("/v1/agents/deploybot/evals")).json()) as { evals: { id: string }[] }).evals;
    expect(listed.length).toBe(listBefore + 1);
    // The same key with another request is refused; a malformed key too. Neither starts anything.
    const other = await startEval("deploybot", { threads, variant: "default" }, key);
    expect([other.status, other.body.error?.code]).toEqual([409, "idempotency_key_reused"]);
    const bad = await startEval("deploybot", { threads }, { "idempotency-key": "has space" });
    expect([bad.status, bad.body.error?.code]).toEqual([400, "invalid_idempotency_key"]);
    expect(((await (await api("/v1/agents/deploybot/evals")).json()) as { evals: unknown[] }).evals.length).toBe(listBefore + 1);
    expect(model.requests(script)).toHaveLength(3 + 3);
  });
});

describe("evals: bad input gets a clear 4xx and starts nothing", () => {
  it("refuses unknown agents, variants, threads, other agents' threads, empty and oversized selections", async () => {
    const script = fresh("bad");
    const [mine] = await history(script, 1);
    const other = fresh("other");
    const marker = model.script(other, [{ tool: "done_for_now", args: { message: "ok" } }]);
    expect((await launch("releasebot", `hello ${marker}`, { threadId: other })).response.status).toBe(201);
    await settle(other);
    const listBefore = await (await api("/v1/agents/deploybot/evals")).text();

    const cases: [string, Record<string, unknown>, number, string][] = [
      ["nobody", { threads: [mine] }, 404, "unknown_agent"],
      ["deploybot", { threads: [mine], variant: "shouty" }, 400, "unknown_variant"],
      ["deploybot", { filter: { variant: "shouty" } }, 400, "unknown_variant"],
      ["deploybot", { threads: [fresh("missing")] }, 404, "thread_not_found"],
      ["deploybot", { threads: ["not a thread id!"] }, 400, "invalid_thread_id"],
      ["deploybot", { threads: [mine, other] }, 400, "thread_of_other_agent"],
      ["deploybot", { filter: { since: "2999-01-01T00:00:00Z" } }, 400, "empty_selection"],
      ["deploybot", { threads: Array.from({ length: 101 }, (_, i) => `t-${i}`) }, 413, "selection_too_large"],
      ["deploybot", { filter: { limit: 101 } }, 413, "selection_too_large"],
      ["deploybot", { threads: [] }, 400, "invalid_request"],
      ["deploybot", { threads: [mine], filter: {} }, 400, "invalid_request"],
      ["deploybot", { threads: [mine], steps: "some" }, 400, "invalid_request"],
      ["deploybot", { filter: { since: "last week" } }, 400, "invalid_request"],
      ["deploybot", { threads: [mine], extra: 1 }, 400, "invalid_request"],
    ];
    for (const [agent, body, status, code] of cases) {
      const { status: got, body: answer } = await startEval(agent, body);
      expect({ body, got, code: answer.error?.code }).toEqual({ body, got: status, code });
    }
    expect(await (await api("/v1/agents/deploybot/evals")).text()).toBe(listBefore);
    expect((await api("/v1/evals/nope")).status).toBe(400);
    expect((await api(`/v1/evals/ev_${"0".repeat(32)}`)).status).toBe(404);
    expect((await api(`/v1/evals/ev_${"0".repeat(32)}`, { method: "DELETE" })).status).toBe(404);
    expect((await api("/v1/agents/nobody/evals")).status).toBe(404);
  });
});
