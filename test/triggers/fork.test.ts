import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { promptVersion } from "../../src/agents/prompt";
import type { Event, ThreadView } from "../../src/core";
import { api, deadlineTimers, eventsOf, fireTimer, launch, respond, settle, types } from "../support/api";
import { clock, executions, gate, model } from "../support/harness";
import { scout } from "../support/scout-agent";

// Fork and replay: POST /v1/threads/{id}/fork copies events 1..atSeq into a new thread,
// appends a thread_forked marker and continues there. The original is only read.

afterEach(() => {
  clock.offsetMs = 0;
});

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `fork-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });
type ErrorBody = { error: { code: string; message: string } };

/** The original's rows exactly as stored, to prove it is untouched byte for byte. */
async function rawRows(id: string): Promise<unknown[]> {
  return runInDurableObject(env.THREADS.getByName(id), async (_instance, state) => state.storage.sql.exec("SELECT * FROM events ORDER BY seq").toArray());
}

function fork(id: string, body: unknown, headers?: HeadersInit) {
  return api(`/v1/threads/${id}/fork`, { method: "POST", json: body, ...(headers ? { headers } : {}) });
}

async function started(agent: string, name: string, steps: Parameters<typeof model.script>[1], extra: Record<string, unknown> = {}) {
  const id = freshId(name);
  const marker = model.script(id, steps);
  expect((await launch(agent, `work ${marker}`, { threadId: id, ...extra })).response.status).toBe(201);
  return { id, marker, view: await settle(id) };
}

const copyOf = (events: readonly Event[]) => events.map((e) => ({ seq: e.seq, type: e.type, data: e.data, at: e.at, key: e.key, source: e.source }));

describe("POST /v1/threads/{id}/fork", () => {
  it("copies exactly events 1..n, continues with another variant and model, and leaves the original untouched", async () => {
    const original = await started("scout", "source", [{ tool: "list_items" }, done("original done")], { variant: "default" });
    expect(original.view.status).toBe("done");
    const before = await eventsOf(original.id);
    const rowsBefore = await rawRows(original.id);
    const atSeq = before.findIndex((e) => e.type === "tool_succeeded" && e.data.callId !== "prefetch-1" && e.data.callId !== "prefetch-2") + 1;
    expect(before[atSeq - 1]?.type).toBe("tool_succeeded"); // the model's own list_items call has its result here

    // The launch message names the script: re-register it so the fork's model call gets its own answer.
    model.script(original.id, [done("fork done")]);
    const forkId = freshId("copy");
    const response = await fork(original.id, { atSeq, threadId: forkId, variant: "terse", model: "other-model" });
    expect(response.status).toBe(201);
    const created = (await response.json()) as ThreadView;
    expect(created).toMatchObject({ id: forkId, agent: "scout", forkedFrom: { threadId: original.id, atSeq }, variant: "terse", model: "other-model" });

    const view = await settle(forkId);
    expect(view).toMatchObject({ id: forkId, status: "done", result: { message: "fork done" }, forkedFrom: { threadId: original.id, atSeq } });
    const events = await eventsOf(forkId);
    expect(copyOf(events.slice(0, atSeq))).toEqual(copyOf(before.slice(0, atSeq)));
    expect(events[atSeq]).toMatchObject({
      seq: atSeq + 1,
      type: "thread_forked",
      data: { threadId: forkId, from: original.id, atSeq, variant: "terse", model: "other-model" },
      key: `fork:${forkId}`,
    });
    expect(types(events.slice(atSeq + 1))).toEqual(["model_decided", "thread_finished"]);
    const decided = events[atSeq + 1];
    const terse = scout.variants.find((v) => v.name === "terse")!;
    expect(decided?.type === "model_decided" && decided.data).toMatchObject({ model: "other-model", promptVersion: await promptVersion(terse.template) });
    // The original's model events show its own model and prompt.
    const originalDecided = before.find((e) => e.type === "model_decided");
    expect(originalDecided?.type === "model_decided" && originalDecided.data.model).toBe("scripted-model");
    // What the model received: the other model name, the terse prompt, and the copied context.
    const request = model.requests(original.id)[0];
    expect(request?.model).toBe("other-model");
    expect(request?.messages[0]?.content).toBe("scout: terse prompt.");
    expect(request?.messages[1]?.content).toContain("<list_items_result");

    expect(await eventsOf(original.id)).toEqual(before);
    expect(await rawRows(original.id)).toEqual(rowsBefore);
    const originalView = (await (await api(`/v1/threads/${original.id}`)).json()) as ThreadView;
    expect(originalView).not.toHaveProperty("forkedFrom");
    expect(originalView.lastSeq).toBe(before.length);

    // The fork is listed as its own thread, created now.
    const listed = (await (await api(`/v1/threads?agent=scout&limit=100`)).json()) as { threads: { id: string; createdAt: string }[] };
    const row = listed.threads.find((t) => t.id === forkId);
    expect(row?.createdAt).toBe(events[atSeq]?.at);
  });

  it("is idempotent: the same threadId again -> 200, nothing appended; another fork under that id -> 409", async () => {
    const original = await started("probe", "idem", [{ tool: "request_more_information", args: { message: "which env?" } }], { humanTimeoutSeconds: 3600 });
    const forkId = freshId("idem-fork");
    expect((await fork(original.id, { atSeq: 2, threadId: forkId })).status).toBe(201);
    await settle(forkId);
    const forkEvents = await eventsOf(forkId);

    const again = await fork(original.id, { atSeq: 2, threadId: forkId });
    expect(again.status).toBe(200);
    expect(((await again.json()) as ThreadView).id).toBe(forkId);
    for (const body of [{ atSeq: 1, threadId: forkId }, { atSeq: 2, threadId: forkId, model: "m2" }]) {
      const conflict = await fork(original.id, body);
      expect(conflict.status).toBe(409);
      expect(((await conflict.json()) as ErrorBody).error.code).toBe("thread_exists");
    }
    // An existing ordinary thread cannot be overwritten by a fork either.
    const other = await started("probe", "occupied", [done()]);
    const occupied = await fork(original.id, { atSeq: 2, threadId: other.id });
    expect(occupied.status).toBe(409);
    expect(await settle(forkId)).toMatchObject({ lastSeq: forkEvents.length });
    expect(await eventsOf(forkId)).toEqual(forkEvents);
  });

  it("supports Idempotency-Key like launch: the same key names the same fork; reused for another fork -> 409", async () => {
    const original = await started("probe", "key", [{ tool: "request_more_information", args: { message: "which env?" } }], { humanTimeoutSeconds: 3600 });
    const headers = { "idempotency-key": `fork-key-${run}` };
    const first = await fork(original.id, { atSeq: 2 }, headers);
    expect(first.status).toBe(201);
    const id = ((await first.json()) as ThreadView).id;
    expect(id).toMatch(/^t_[0-9a-f]{32}$/);
    await settle(id);
    const events = await eventsOf(id);
    const second = await fork(original.id, { atSeq: 2 }, headers);
    expect(second.status).toBe(200);
    expect(((await second.json()) as ThreadView).id).toBe(id);
    const reused = await fork(original.id, { atSeq: 1 }, headers);
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as ErrorBody).error.code).toBe("idempotency_key_reused");
    expect(await eventsOf(id)).toEqual(events);
    expect(events[0]?.source).toEqual((await eventsOf(original.id))[0]?.source);
    expect(events[2]?.source).toEqual({
      kind: "http",
      detail: { forkOf: original.id, idempotencyKey: headers["idempotency-key"] },
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("bad input gets a clear 4xx and appends nothing anywhere", async () => {
    const original = await started("scout", "bad", [done()]);
    const before = await eventsOf(original.id);
    const rows = await rawRows(original.id);
    const target = freshId("never");
    const cases: [string, () => Promise<Response>, number, string][] = [
      ["unknown thread", () => fork(freshId("ghost"), { atSeq: 1, threadId: target }), 404, "thread_not_found"],
      ["bad source id", () => fork("not%20an%20id", { atSeq: 1, threadId: target }), 400, "invalid_thread_id"],
      ["atSeq 0", () => fork(original.id, { atSeq: 0, threadId: target }), 400, "invalid_request"],
      ["atSeq negative", () => fork(original.id, { atSeq: -3, threadId: target }), 400, "invalid_request"],
      ["atSeq > lastSeq", () => fork(original.id, { atSeq: before.length + 1, threadId: target }), 400, "at_seq_out_of_range"],
      ["atSeq not an integer", () => fork(original.id, { atSeq: 1.5, threadId: target }), 400, "invalid_request"],
      ["atSeq a string", () => fork(original.id, { atSeq: "2", threadId: target }), 400, "invalid_request"],
      ["atSeq missing", () => fork(original.id, { threadId: target }), 400, "invalid_request"],
      ["unknown variant", () => fork(original.id, { atSeq: 1, threadId: target, variant: "nope" }), 400, "unknown_variant"],
      ["variant not a string", () => fork(original.id, { atSeq: 1, threadId: target, variant: 3 }), 400, "invalid_request"],
      ["model not a string", () => fork(original.id, { atSeq: 1, threadId: target, model: ["gpt"] }), 400, "invalid_request"],
      ["model with spaces", () => fork(original.id, { atSeq: 1, threadId: target, model: "a b" }), 400, "invalid_request"],
      ["bad target id", () => fork(original.id, { atSeq: 1, threadId: "has space" }), 400, "invalid_request"],
      ["unknown field", () => fork(original.id, { atSeq: 1, threadId: target, extra: true }), 400, "invalid_request"],
      ["the original's own id", () => fork(original.id, { atSeq: 1, threadId: original.id }), 409, "thread_exists"],
      ["a bad Idempotency-Key", () => fork(original.id, { atSeq: 1 }, { "idempotency-key": "" }), 400, "invalid_idempotency_key"],
      [
        "malformed JSON",
        () => api(`/v1/threads/${original.id}/fork`, { method: "POST", body: '{"atSeq": 1,', headers: { "content-type": "application/json" } }),
        400,
        "malformed_json",
      ],
      ["JSON array", () => fork(original.id, [1]), 400, "invalid_request"],
      [
        "wrong content type",
        () => api(`/v1/threads/${original.id}/fork`, { method: "POST", body: "atSeq=1", headers: { "content-type": "text/plain" } }),
        415,
        "unsupported_media_type",
      ],
      ["too large", () => fork(original.id, { atSeq: 1, threadId: target, model: "m".repeat(70_000) }), 413, "body_too_large"],
      ["no token", () => api(`/v1/threads/${original.id}/fork`, { method: "POST", json: { atSeq: 1 }, token: null }), 401, "unauthorized"],
    ];
    for (const [name, send, status, code] of cases) {
      const response = await send();
      const text = await response.text();
      expect(response.status, `${name}: ${text}`).toBe(status);
      expect((JSON.parse(text) as ErrorBody).error.code, name).toBe(code);
    }
    expect((await api(`/v1/threads/${target}`)).status).toBe(404);
    expect(await eventsOf(original.id)).toEqual(before);
    expect(await rawRows(original.id)).toEqual(rows);
  });

  it("copied open human requests get their own deadline timers and answers in the fork", async () => {
    const original = await started("probe", "pending", [{ tool: "guarded", args: { label: `fork-approve-${run}` } }, done("approved run")]);
    expect(original.view.status).toBe("waiting_for_human");
    const requestId = original.view.pending!.requestId;
    const before = await eventsOf(original.id);

    model.script(original.id, [done("fork finished")]);
    const forkId = freshId("pending-fork");
    expect((await fork(original.id, { atSeq: before.length, threadId: forkId })).status).toBe(201);
    const view = await settle(forkId);
    expect(view.status).toBe("waiting_for_human");
    expect(view.pending?.requestId).toBe(requestId);
    expect((await deadlineTimers(forkId)).map((t) => t.requestId)).toEqual([requestId]);

    // Approving in the fork runs the held call there, once; the original still waits.
    expect((await respond(forkId, { requestId, approved: true })).status).toBe(200);
    expect((await settle(forkId)).status).toBe("done");
    expect(executions.get(`fork-approve-${run}`)).toBe(1);
    expect((await settle(original.id)).status).toBe("waiting_for_human");

    // A second fork's deadline fires on its own: the fork times out, the original does not.
    const late = freshId("deadline-fork");
    expect((await fork(original.id, { atSeq: before.length, threadId: late })).status).toBe(201);
    await settle(late);
    clock.advance(61_000); // probe's deadline is 60 s
    await fireTimer(late, { type: "human_deadline", requestId });
    await settle(late);
    expect(types(await eventsOf(late))).toContain("human_timed_out");
    expect(await eventsOf(original.id)).toEqual(before);
  });

  it("a tool_started without outcome at atSeq follows the crash rule: not idempotent -> outcome_unknown", async () => {
    const label = `fork-side-${run}`;
    const original = await started("probe", "crash", [{ tool: "side_effect", args: { label } }, done()]);
    const before = await eventsOf(original.id);
    const startedAt = before.find((e) => e.type === "tool_started")!.seq;
    model.script(original.id, [done("checked")]);
    const forkId = freshId("crash-fork");
    expect((await fork(original.id, { atSeq: startedAt, threadId: forkId })).status).toBe(201);
    await settle(forkId);
    const events = await eventsOf(forkId);
    const failed = events[startedAt + 1];
    expect(failed?.type === "tool_failed" && failed.data).toMatchObject({ code: "outcome_unknown", tool: "side_effect" });
    expect(executions.get(label)).toBe(1); // never run again silently
    expect(model.requests(original.id)[0]?.messages[1]?.content).toContain('code="outcome_unknown"');
  });

  it("... and an idempotent tool is re-run as the next attempt", async () => {
    const gateName = `fork-idem-${run}`;
    await gate(gateName).open();
    const original = await started("probe", "idem-tool", [{ tool: "wait_on_gate_idempotent", args: { gate: gateName } }, done()]);
    const before = await eventsOf(original.id);
    const startedAt = before.find((e) => e.type === "tool_started")!.seq;
    model.script(original.id, [done("re-ran")]);
    const forkId = freshId("idem-fork");
    expect((await fork(original.id, { atSeq: startedAt, threadId: forkId })).status).toBe(201);
    expect((await settle(forkId)).status).toBe("done");
    const events = await eventsOf(forkId);
    expect(events.flatMap((e) => (e.type === "tool_started" ? [e.data.attempt] : []))).toEqual([1, 2]);
    expect(events.filter((e) => e.type === "tool_succeeded")).toHaveLength(1);
    expect(executions.get(gateName)).toBe(2); // once in the original, once in the fork
  });
});
