/**
 * 100 duplicate deliveries of the same launch, message and response, all at once:
 * exactly one event each, every duplicate answered with the original (invariant 4).
 */
import { describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { api, eventsOf, settle } from "../support/api";
import { executions, model } from "../support/harness";
import { assertConsistent, count, fresh } from "./consistency";

const N = 100;

const post = (path: string, json: unknown, key?: string) =>
  api(path, { method: "POST", json, ...(key ? { headers: { "idempotency-key": key } } : {}) });

async function all(n: number, send: () => Promise<Response>) {
  const responses = await Promise.all(Array.from({ length: n }, send));
  return Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })));
}

const statuses = (results: { status: number }[]) =>
  results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});

describe(`${N} duplicate deliveries at once`, () => {
  it("the same launch (same threadId and same Idempotency-Key): one 201, the rest 200, one thread_launched, one model call", async () => {
    const id = fresh("dup-launch");
    const marker = model.script(id, [{ tool: "request_more_information", args: { message: "which tag?" } }]);
    const key = fresh("dup-launch-key");
    const results = await all(N, () => post("/v1/agents/probe/threads", { message: `go ${marker}`, threadId: id }, key));
    expect(statuses(results)).toEqual({ 201: 1, 200: N - 1 });
    expect(new Set(results.map((r) => r.body["id"]))).toEqual(new Set([id]));
    expect((await settle(id)).status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(count(events, "thread_launched")).toBe(1);
    expect(model.consumed(id)).toBe(1);
  });

  it("the same launch by Idempotency-Key alone (no threadId): every answer names one thread", async () => {
    const script = fresh("dup-key-script");
    const marker = model.script(script, [{ tool: "done_for_now", args: { message: "ok" } }]);
    const key = fresh("dup-key-only");
    const results = await all(N, () => post("/v1/agents/probe/threads", { message: `go ${marker}` }, key));
    expect(statuses(results)).toEqual({ 201: 1, 200: N - 1 });
    const ids = new Set(results.map((r) => r.body["id"] as string));
    expect(ids.size).toBe(1);
    const [id = ""] = ids;
    await settle(id);
    expect(count(await eventsOf(id), "thread_launched")).toBe(1);
    expect(model.consumed(script)).toBe(1);
  });

  it("the same message (same Idempotency-Key): one 202, the rest 200 with the same event; one user_messaged", async () => {
    const id = fresh("dup-message");
    const ask = { tool: "request_more_information", args: { message: "and?" } };
    const marker = model.script(id, [ask, ask, ask]);
    await post("/v1/agents/probe/threads", { message: `go ${marker}`, threadId: id });
    await settle(id);
    const key = fresh("dup-message-key");
    const results = await all(N, () => post(`/v1/threads/${id}/messages`, { text: "the same message" }, key));
    expect(statuses(results)).toEqual({ 202: 1, 200: N - 1 });
    const seqs = new Set(results.map((r) => (r.body["event"] as Event).seq));
    expect(seqs.size).toBe(1);
    await settle(id);
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.filter((e) => e.type === "user_messaged").map((e) => e.seq)).toEqual([...seqs]);
    expect(model.consumed(id)).toBe(2); // the message woke the model once
  });

  it("the same approval (same Idempotency-Key): one human_responded, the approved tool runs once", async () => {
    const id = fresh("dup-response");
    const label = fresh("dup-response-run");
    const marker = model.script(id, [{ tool: "guarded", args: { label } }, { tool: "done_for_now", args: { message: "ran" } }]);
    await post("/v1/agents/probe/threads", { message: `go ${marker}`, threadId: id });
    const waiting: ThreadView = await settle(id);
    const requestId = waiting.pending?.requestId;
    const key = fresh("dup-response-key");
    const results = await all(N, () => post(`/v1/threads/${id}/responses`, { requestId, approved: true }, key));
    expect(statuses(results)).toEqual({ 200: N });
    expect(new Set(results.map((r) => (r.body["event"] as Event).seq)).size).toBe(1);
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(count(events, "human_responded")).toBe(1);
    expect(count(events, "tool_started")).toBe(1);
    expect(executions.get(label)).toBe(1);
  });

  it("the same approval WITHOUT a key, 100 times: one is recorded, 99 get 409 (already_answered, or thread_closed once it finished)", async () => {
    const id = fresh("dup-response-nokey");
    const label = fresh("dup-nokey-run");
    const marker = model.script(id, [{ tool: "guarded", args: { label } }, { tool: "done_for_now", args: { message: "ran" } }]);
    await post("/v1/agents/probe/threads", { message: `go ${marker}`, threadId: id });
    const requestId = (await settle(id)).pending?.requestId;
    const results = await all(N, () => post(`/v1/threads/${id}/responses`, { requestId, approved: true }));
    expect(statuses(results)).toEqual({ 200: 1, 409: N - 1 });
    expect(new Set(results.filter((r) => r.status === 409).map((r) => (r.body["error"] as { code: string }).code))).toSatisfy((codes: Set<string>) => [...codes].every((c) => c === "already_answered" || c === "thread_closed"));
    await settle(id);
    const events = await eventsOf(id);
    expect(count(events, "human_responded")).toBe(1);
    expect(executions.get(label)).toBe(1);
  });
});

describe(`${N} concurrent distinct messages to one thread`, () => {
  it("all accepted, each appended exactly once, dense seqs, and the model saw every one", async () => {
    const id = fresh("conc-100");
    const ask = { tool: "request_more_information", args: { message: "more?" } };
    const marker = model.script(id, Array.from({ length: 150 }, () => ask));
    await post("/v1/agents/probe/threads", { message: `go ${marker}`, threadId: id });
    await settle(id);
    const texts = Array.from({ length: N }, (_, i) => `concurrent message ${i}`);
    const results = await Promise.all(texts.map((text) => post(`/v1/threads/${id}/messages`, { text })));
    expect(results.map((r) => r.status)).toEqual(texts.map(() => 202));
    await settle(id);
    const events = await eventsOf(id);
    assertConsistent(events);
    const messages = events.flatMap((e) => (e.type === "user_messaged" ? [e.data.text] : []));
    expect([...messages].sort()).toEqual([...texts].sort());
    const last = model.requests(id).at(-1)?.messages[1]?.content ?? "";
    for (const text of texts) expect(last).toContain(`${text}\n`);
  });
});
