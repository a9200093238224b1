/**
 * Invariant 10 through the real runtime: named approvers over HTTP (403 not_an_approver,
 * recorded as refused, never acted on), a fork never replaying an approval, and the
 * per-thread cap on open requests (the cap on events: thread-full.test.ts). The witness for "ran" is the probe's execution count.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settle, thread } from "../support/api";
import { executions, model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `appr-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

async function started(name: string, steps: Parameters<typeof model.script>[1]) {
  const id = freshId(name);
  const marker = model.script(id, steps);
  expect((await launch("probe", `work ${marker}`, { threadId: id })).response.status).toBe(201);
  return { id, view: await settle(id) };
}

function answer(id: string, body: Record<string, unknown>, token?: string) {
  return api(`/v1/threads/${id}/responses`, { method: "POST", json: body, ...(token ? { token } : {}) });
}

const ofType = <T extends Event["type"]>(events: readonly Event[], type: T) => events.filter((e): e is Extract<Event, { type: T }> => e.type === type);

describe("named approvers over HTTP", () => {
  it("an answer from a credential that is not named gets 403 not_an_approver, is recorded as refused and never acted on", async () => {
    const label = `named-${run}`;
    const { id, view } = await started("named", [{ tool: "guarded_named", args: { label } }, done("ran")]);
    expect(view.status).toBe("waiting_for_human");
    // The pending request lists who may answer.
    expect(view.pending).toMatchObject({ kind: "approval", approvers: ["release-manager", "alice@example.com"] });
    const requestId = view.pending?.requestId;
    const before = await eventsOf(id);

    for (const [token, name] of [[undefined, "default"], ["intern-token-1234", "intern"]] as const) {
      const refused = await answer(id, { requestId, approved: true }, token);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({
        error: { code: "not_an_approver", message: expect.stringContaining(`api ${name} may not answer`), details: { approvers: ["release-manager", "alice@example.com"] } },
      });
    }
    const after = await eventsOf(id);
    // Two refused attempts on record, with who tried; nothing else appended, nothing ran.
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((e) => e.type)).toEqual(["human_response_refused", "human_response_refused"]);
    expect(ofType(after, "human_response_refused").map((e) => e.data)).toEqual([
      { requestId, by: { kind: "api", id: "default", verifiedBy: "api_token" }, code: "not_an_approver", approved: true },
      { requestId, by: { kind: "api", id: "intern", verifiedBy: "api_token" }, code: "not_an_approver", approved: true },
    ]);
    expect(await settle(id)).toMatchObject({ status: "waiting_for_human", pending: { requestId } });
    expect(executions.get(label)).toBeUndefined();

    // The named credential's answer is the one acted on, and it is on record.
    const accepted = await answer(id, { requestId, approved: true }, "rm-token-1234");
    expect(accepted.status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(label)).toBe(1);
    expect(ofType(await eventsOf(id), "human_responded").map((e) => e.data.by)).toEqual([{ kind: "api", id: "release-manager", verifiedBy: "api_token" }]);
  });
});

describe("a fork never replays an approval", () => {
  it("a fork taken right after human_responded waits for a new answer; the tool ran once until that answer comes", async () => {
    const label = `fork-replay-${run}`;
    // The original: approve, run once, finish. Then two forks (one step each) and one more for the answered fork.
    const { id, view } = await started("fork-replay", [{ tool: "guarded", args: { label } }, done("original ran")]);
    const requestId = view.pending?.requestId;
    expect((await answer(id, { requestId, approved: true })).status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(label)).toBe(1);
    const original = await eventsOf(id);
    const responded = ofType(original, "human_responded")[0];
    if (!responded) throw new Error("no human_responded");
    // The tool started after the answer: atSeq = the answer's seq copies the approval, not the start.
    expect(original[responded.seq]?.type).toBe("tool_started");

    model.script(id, [done("fork A ran")]);
    const forks = [freshId("fork-a"), freshId("fork-b")];
    for (const forkId of forks) {
      expect((await api(`/v1/threads/${id}/fork`, { method: "POST", json: { atSeq: responded.seq, threadId: forkId } })).status).toBe(201);
      const forked = await settle(forkId);
      // Asks again, for the same held call, under a new request id.
      expect(forked.status).toBe("waiting_for_human");
      expect(forked.pending).toMatchObject({ kind: "approval", tool: { name: "guarded", args: { label } } });
      expect(forked.pending?.requestId).not.toBe(requestId);
      expect(ofType(await eventsOf(forkId), "tool_started")).toEqual([]);
    }
    // Two forks of one approval: still exactly one execution.
    expect(executions.get(label)).toBe(1);
    expect(await eventsOf(id)).toEqual(original);

    // The copied request id answers nothing in the fork; only the new request does.
    const [forkA] = forks as [string, string];
    const stale = await answer(forkA, { requestId, approved: true });
    expect(stale.status).toBeGreaterThanOrEqual(400);
    expect(stale.status).toBeLessThan(500);
    expect(executions.get(label)).toBe(1);
    const fresh = (await thread(forkA).thread())?.pending?.requestId;
    expect((await answer(forkA, { requestId: fresh, approved: true })).status).toBe(200);
    expect((await settle(forkA)).status).toBe("done");
    expect(executions.get(label)).toBe(2);
  });
});

describe("per-thread caps", () => {
  it("past MAX_OPEN_REQUESTS (10) open requests, the next held call fails as a tool error the model sees", async () => {
    const label = `cap-${run}`;
    // One held call per model turn; a message while a request is open gives the model another
    // turn. Calls 11 and 12 hit the cap: each failure is a tool error, and the model takes
    // its next turn seeing it (call 12 answers call 11's error, then done_for_now).
    const steps = [...Array.from({ length: 12 }, (_, i) => ({ tool: "guarded", args: { label: `${label}-${i}` } })), done("waiting for answers")];
    const { id } = await started("open-cap", steps);
    for (let i = 1; i <= 10; i++) {
      expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: `and another ${i}` } })).status).toBe(202);
      await settle(id);
    }
    const events = await eventsOf(id);
    expect(ofType(events, "human_requested")).toHaveLength(10);
    const failed = ofType(events, "tool_failed");
    expect(failed.map((e) => [e.data.tool, e.data.code])).toEqual([["guarded", "too_many_open_requests"], ["guarded", "too_many_open_requests"]]);
    expect(failed[0]?.data.message).toMatch(/already has 10 open human requests \(the cap is 10\)/);
    const decided = ofType(events, "model_decided");
    expect(decided.some((e) => e.data.seenSeq >= (failed[0]?.seq ?? Infinity))).toBe(true);
    expect([...executions.keys()].filter((k) => k.startsWith(label))).toEqual([]);
  });
});
