import { beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { api, eventsOf, launch, settle, types } from "../support/api";
import { model } from "../support/harness";

// Invariant 4: every inbound event is idempotent. A retried launch, message or response
// returns the original result and appends nothing.

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let counter = 0;
const freshId = (name: string) => `idem-${run}-${name}-${++counter}`;
const freshKey = (name: string) => `key-${run}-${name}-${++counter}`;

type Posted = { thread: ThreadView; event: Event };

async function call(path: string, init: Parameters<typeof api>[1] = {}): Promise<Response> {
  const response = await api(path, init);
  expect(response.status, `${init.method ?? "GET"} ${path}`).toBeLessThan(500);
  return response;
}

async function expectError(response: Response, status: number, code: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

const ask = (n = 1) =>
  Array.from({ length: n }, (_, i) => ({ tool: "request_more_information", args: { message: `Question ${i + 1}?` } }));

/** A probe thread waiting for an answer; the script asks `questions` questions in turn. */
async function waitingThread(name: string, questions = 1): Promise<{ id: string; view: ThreadView }> {
  const id = freshId(name);
  const marker = model.script(id, ask(questions));
  const { response } = await launch("probe", `help ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 });
  expect(response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  return { id, view };
}

function message(id: string, text: string, key?: string) {
  return call(`/v1/threads/${id}/messages`, { method: "POST", json: { text }, ...(key !== undefined ? { headers: { "idempotency-key": key } } : {}) });
}

/** The parts of a thread view that say "same thread, same state" (links and other extras aside). */
const essence = (v: ThreadView) => ({
  id: v.id,
  agent: v.agent,
  status: v.status,
  createdAt: v.createdAt,
  updatedAt: v.updatedAt,
  lastSeq: v.lastSeq,
  pending: v.pendingRequests.map((r) => r.requestId),
  result: v.result,
});

const count = (events: readonly Event[], type: Event["type"]) => events.filter((e) => e.type === type).length;

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

describe("launch", () => {
  it("the same threadId again -> 200 with the existing thread and nothing appended", async () => {
    const id = freshId("same-id");
    const marker = model.script(id, ask());
    const first = await launch("probe", `deploy please ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 });
    expect(first.response.status).toBe(201);
    expect(first.thread).toMatchObject({ id, agent: "probe", status: "running", lastSeq: 1 });
    const settled = await settle(id);
    expect(settled.status).toBe("waiting_for_human");
    const before = await eventsOf(id);

    const again = await launch("probe", `deploy please ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 });
    expect(again.response.status).toBe(200);
    expect(essence(again.thread)).toEqual(essence(settled));

    // A retry that differs (message, metadata) still finds the thread and changes nothing.
    const different = await launch("probe", "something else entirely", { threadId: id, metadata: { retry: true } });
    expect(different.response.status).toBe(200);
    expect(essence(different.thread)).toEqual(essence(settled));

    expect((await settle(id)).lastSeq).toBe(settled.lastSeq);
    const after = await eventsOf(id);
    expect(after).toEqual(before);
    expect(count(after, "thread_launched")).toBe(1);
    expect(after[0]?.type === "thread_launched" && after[0].data.message).toBe(`deploy please ${marker}`);
    expect(model.consumed(id)).toBe(1); // the model was not asked again
  });

  it("the same threadId after the thread finished -> 200 with the finished thread, nothing appended", async () => {
    const id = freshId("same-id-done");
    const marker = model.script(id, [{ tool: "done_for_now", args: { message: "Finished." } }]);
    expect((await launch("probe", `go ${marker}`, { threadId: id })).response.status).toBe(201);
    const done = await settle(id);
    expect(done.status).toBe("done");
    const before = await eventsOf(id);
    const again = await launch("probe", `go ${marker}`, { threadId: id });
    expect(again.response.status).toBe(200);
    expect(again.thread).toMatchObject({ id, status: "done", result: { message: "Finished." }, lastSeq: done.lastSeq });
    expect(await eventsOf(id)).toEqual(before);
  });

  it("concurrent launches with one threadId: exactly one 201, the rest 200, one thread_launched", async () => {
    const id = freshId("race");
    const marker = model.script(id, ask());
    const results = await Promise.all(
      Array.from({ length: 4 }, () => launch("probe", `race ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 })),
    );
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.thread.id))).toEqual(new Set([id]));
    await settle(id);
    const events = await eventsOf(id);
    expect(count(events, "thread_launched")).toBe(1);
    expect(model.consumed(id)).toBe(1);
  });

  it("the same Idempotency-Key without threadId -> the same thread, 200, nothing appended", async () => {
    const key = freshKey("launch");
    const script = freshId("key-script");
    const marker = model.script(script, ask());
    const headers = { "idempotency-key": key };

    const first = await launch("probe", `once ${marker}`, { humanTimeoutSeconds: 3600 }, headers);
    expect(first.response.status).toBe(201);
    const id = first.thread.id;
    expect(id).toMatch(/^t_[0-9a-f]{32}$/);
    const settled = await settle(id);
    expect(settled.status).toBe("waiting_for_human");
    const before = await eventsOf(id);
    expect(before[0]?.source).toEqual({ kind: "http", detail: { idempotencyKey: key }, correlationId: expect.any(String) });

    const again = await launch("probe", `once ${marker}`, { humanTimeoutSeconds: 3600 }, headers);
    expect(again.response.status).toBe(200);
    expect(essence(again.thread)).toEqual(essence(settled));

    const changed = await launch("probe", "a retry with another body", {}, headers);
    expect(changed.response.status).toBe(200);
    expect(changed.thread.id).toBe(id);

    expect(await eventsOf(id)).toEqual(before);
    expect(model.consumed(script)).toBe(1);

    // The key names a thread per agent: other agents and other keys get their own threads.
    const done = model.script(freshId("key-other"), [{ tool: "done_for_now", args: { message: "ok" } }]);
    const otherAgent = await launch("deploybot", `hello ${done}`, {}, headers);
    expect(otherAgent.response.status).toBe(201);
    expect(otherAgent.thread.id).not.toBe(id);
    await settle(otherAgent.thread.id);
    const otherKey = await launch("probe", `hello ${done}`, {}, { "idempotency-key": freshKey("other") });
    expect(otherKey.response.status).toBe(201);
    expect(otherKey.thread.id).not.toBe(id);
    await settle(otherKey.thread.id);
    // Without a key, every launch is a new thread.
    const a = await launch("probe", `no key ${done}`);
    const b = await launch("probe", `no key ${done}`);
    expect([a.response.status, b.response.status]).toEqual([201, 201]);
    expect(a.thread.id).not.toBe(b.thread.id);
    await Promise.all([settle(a.thread.id), settle(b.thread.id)]);
  });

  it("the same threadId for a different agent -> 409 thread_exists, nothing appended", async () => {
    const { id, view } = await waitingThread("other-agent");
    const before = await eventsOf(id);
    await expectError(
      await call("/v1/agents/deploybot/threads", { method: "POST", json: { message: "deploy", threadId: id } }),
      409,
      "thread_exists",
    );
    expect(await eventsOf(id)).toEqual(before);
    const now = (await (await call(`/v1/threads/${id}`)).json()) as ThreadView;
    expect(essence(now)).toEqual(essence(view));
    expect(now.agent).toBe("probe");
  });
});

describe("messages", () => {
  it("the same Idempotency-Key twice -> 202 then 200 with the same event; one user_messaged", async () => {
    const { id } = await waitingThread("message-twice", 2);
    const key = freshKey("message");

    const first = await message(id, "staging, please", key);
    expect(first.status).toBe(202);
    const original = (await first.json()) as Posted;
    expect(original.event).toMatchObject({ type: "user_messaged", data: { text: "staging, please" }, key: `message:${key}` });
    expect(original.thread.id).toBe(id);

    const settled = await settle(id);
    expect(settled.status).toBe("waiting_for_human"); // the model read the message and asked again
    const before = await eventsOf(id);
    expect(model.consumed(id)).toBe(2);

    const second = await message(id, "staging, please", key);
    expect(second.status).toBe(200);
    const duplicate = (await second.json()) as Posted;
    expect(duplicate.event).toEqual(original.event);
    expect(duplicate.event.seq).toBe(original.event.seq);
    expect(duplicate.thread.lastSeq).toBe(settled.lastSeq);

    const after = await eventsOf(id);
    expect(after).toEqual(before);
    expect(count(after, "user_messaged")).toBe(1);
    expect((await settle(id)).lastSeq).toBe(settled.lastSeq);
    expect(model.consumed(id)).toBe(2); // the retry did not wake the model
  });

  it("the same key sent concurrently -> one 202 and one 200 naming the same event", async () => {
    const { id } = await waitingThread("message-race", 2);
    const key = freshKey("race");
    const [a, b] = await Promise.all([message(id, "production", key), message(id, "production", key)]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    const [ea, eb] = (await Promise.all([a.json(), b.json()])) as Posted[];
    expect(ea?.event.seq).toBe(eb?.event.seq);
    await settle(id);
    expect(count(await eventsOf(id), "user_messaged")).toBe(1);
  });

  it("the same key with a different text -> 409 idempotency_key_reused, nothing appended", async () => {
    const { id } = await waitingThread("message-reused", 2);
    const key = freshKey("reused");
    expect((await message(id, "first text", key)).status).toBe(202);
    await settle(id);
    const before = await eventsOf(id);

    await expectError(await message(id, "second text", key), 409, "idempotency_key_reused");
    expect(await eventsOf(id)).toEqual(before);
    const texts = before.flatMap((e) => (e.type === "user_messaged" ? [e.data.text] : []));
    expect(texts).toEqual(["first text"]);
  });

  it("keys are scoped to their thread, and messages without a key are never deduplicated", async () => {
    const one = await waitingThread("scope-a", 3);
    const two = await waitingThread("scope-b", 3);
    const key = freshKey("shared");
    expect((await message(one.id, "same words", key)).status).toBe(202);
    expect((await message(two.id, "same words", key)).status).toBe(202);
    await Promise.all([settle(one.id), settle(two.id)]);

    expect((await message(one.id, "again")).status).toBe(202);
    await settle(one.id);
    expect((await message(one.id, "again")).status).toBe(202);
    await settle(one.id);
    const events = await eventsOf(one.id);
    expect(events.flatMap((e) => (e.type === "user_messaged" ? [e.data.text] : []))).toEqual(["same words", "again", "again"]);
    expect(count(await eventsOf(two.id), "user_messaged")).toBe(1);
  });

  // Regression: a retry must find its original even after that original closed the thread.
  it("a retried message whose original closed the thread -> 200 with the original event", async () => {
    const id = freshId("retry-after-done");
    const marker = model.script(id, [...ask(), { tool: "done_for_now", args: { message: "Deployed." } }]);
    expect((await launch("probe", `help ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 })).response.status).toBe(201);
    expect((await settle(id)).status).toBe("waiting_for_human");
    const key = freshKey("after-done");
    const first = await message(id, "staging", key);
    expect(first.status).toBe(202);
    const original = (await first.json()) as Posted;
    expect((await settle(id)).status).toBe("done");
    const before = await eventsOf(id);

    const retry = await message(id, "staging", key);
    expect(await eventsOf(id)).toEqual(before);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as Posted).event).toEqual(original.event);
  });
});

describe("responses", () => {
  it("the same Idempotency-Key twice -> the same event, one human_responded; a changed answer -> 409", async () => {
    const { id, view } = await waitingThread("respond-twice", 2);
    const requestId = view.pending?.requestId ?? "";
    expect(requestId).not.toBe("");
    const key = freshKey("respond");
    const body = { requestId, answer: "staging" };
    const respond = (json: unknown, k?: string) =>
      call(`/v1/threads/${id}/responses`, { method: "POST", json, ...(k ? { headers: { "idempotency-key": k } } : {}) });

    const first = await respond(body, key);
    expect(first.status).toBe(200);
    const original = (await first.json()) as Posted;
    expect(original.event).toMatchObject({ type: "human_responded", data: { requestId, answer: "staging" } });
    await settle(id);
    const before = await eventsOf(id);

    const second = await respond(body, key);
    expect(second.status).toBe(200);
    expect(((await second.json()) as Posted).event).toEqual(original.event);

    await expectError(await respond({ requestId, answer: "production" }, key), 409, "idempotency_key_reused");
    // Without the key, answering the same request again is a conflict, not a second answer.
    await expectError(await respond(body), 409, "already_answered");

    const after = await eventsOf(id);
    expect(after).toEqual(before);
    expect(count(after, "human_responded")).toBe(1);
    expect(types(after)).toContain("human_responded");
  });
});
