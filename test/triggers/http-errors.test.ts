import { beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { api, eventsOf, settle } from "../support/api";
import { model } from "../support/harness";

// Invariant 7: every bad input gets a clear JSON error with a 4xx status, and nothing
// is appended for a rejected request. Each test fires its bad requests at a real,
// settled thread and then compares the whole event log with the one recorded before.

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let counter = 0;
const freshId = (name: string) => `he-${run}-${name}-${++counter}`;

type Init = Parameters<typeof api>[1] & { method?: string };
type Route = { method: "GET" | "POST"; path: string; json?: unknown };

/** Every request goes through here: no status a client can cause is ever a 5xx. */
async function call(path: string, init: Init = {}): Promise<Response> {
  const response = await api(path, init);
  expect(response.status, `${init.method ?? "GET"} ${path}`).toBeLessThan(500);
  return response;
}

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

/** Asserts the API error shape, status and code; returns the error object. */
async function expectError(response: Response, status: number, code: string, what = ""): Promise<ErrorBody["error"]> {
  const text = await response.text();
  expect(response.status, `${what} -> ${text}`).toBe(status);
  expect(response.headers.get("content-type"), what).toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body), what).toEqual(["error"]);
  expect(Object.keys(body.error).every((k) => ["code", "message", "details"].includes(k)), what).toBe(true);
  expect(body.error.code, what).toBe(code);
  expect(body.error.code, what).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  expect(typeof body.error.message, what).toBe("string");
  expect(body.error.message.trim().length, what).toBeGreaterThan(0);
  return body.error;
}

type Detail = { path: string; message: string };
function expectDetails(error: ErrorBody["error"], what = ""): Detail[] {
  expect(Array.isArray(error.details), what).toBe(true);
  const details = error.details as Detail[];
  expect(details.length, what).toBeGreaterThan(0);
  for (const d of details) {
    expect(typeof d.path, what).toBe("string");
    expect(typeof d.message, what).toBe("string");
    expect(d.message.length, what).toBeGreaterThan(0);
  }
  return details;
}

/** A probe thread that asked the human a question and now waits (kind "input"). */
async function waitingThread(name: string): Promise<{ id: string; view: ThreadView; requestId: string }> {
  const id = freshId(name);
  const marker = model.script(id, [{ tool: "request_more_information", args: { message: "Which environment?" } }]);
  const response = await call("/v1/agents/probe/threads", {
    method: "POST",
    json: { message: `help me ${marker}`, threadId: id, humanTimeoutSeconds: 3600 },
  });
  expect(response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  expect(view.pending?.kind).toBe("input");
  return { id, view, requestId: view.pending?.requestId ?? "" };
}

async function finishedThread(name: string): Promise<string> {
  const id = freshId(name);
  const marker = model.script(id, [{ tool: "done_for_now", args: { message: "All done." } }]);
  const response = await call("/v1/agents/probe/threads", { method: "POST", json: { message: `finish ${marker}`, threadId: id } });
  expect(response.status).toBe(201);
  expect((await settle(id)).status).toBe("done");
  return id;
}

/** Records the log now; `unchanged()` asserts not one event was appended or altered since. */
async function snapshot(id: string) {
  const before: Event[] = await eventsOf(id);
  const view = await settle(id);
  return {
    before,
    async unchanged() {
      expect(await eventsOf(id)).toEqual(before);
      const after = await settle(id);
      expect(after.lastSeq).toBe(view.lastSeq);
      expect(after.status).toBe(view.status);
      expect(after.updatedAt).toBe(view.updatedAt);
    },
  };
}

async function expectNoThread(id: string) {
  await expectError(await call(`/v1/threads/${id}`), 404, "thread_not_found", `GET ${id}`);
}

const threadRoutes = (id: string, requestId = "req_whatever"): Route[] => [
  { method: "GET", path: `/v1/threads/${id}` },
  { method: "GET", path: `/v1/threads/${id}/events` },
  { method: "GET", path: `/v1/threads/${id}/context` },
  { method: "POST", path: `/v1/threads/${id}/messages`, json: { text: "hello" } },
  { method: "POST", path: `/v1/threads/${id}/responses`, json: { requestId, answer: "staging" } },
  { method: "POST", path: `/v1/threads/${id}/pause`, json: {} },
  { method: "POST", path: `/v1/threads/${id}/resume`, json: {} },
  { method: "POST", path: `/v1/threads/${id}/cancel`, json: {} },
];

const allRoutes = (id: string, launchId: string, requestId?: string): Route[] => [
  { method: "GET", path: "/v1/agents" },
  { method: "POST", path: "/v1/agents/probe/threads", json: { message: "hi", threadId: launchId } },
  { method: "GET", path: "/v1/threads" },
  ...threadRoutes(id, requestId),
];

const postRoutes = (id: string, launchId: string, requestId: string): Route[] =>
  allRoutes(id, launchId, requestId).filter((r) => r.method === "POST");

const send = (route: Route, init: Init = {}) =>
  call(route.path, { method: route.method, ...(route.json !== undefined ? { json: route.json } : {}), ...init });

beforeAll(async () => {
  // Pay the fresh-isolate start-up once, outside any single test's budget.
  expect((await api("/v1/agents")).status).toBe(200);
});

describe("authentication: every /v1 route answers 401 in the error shape", () => {
  const badAuth: { name: string; init: Init }[] = [
    { name: "missing token", init: { token: null } },
    { name: "wrong token", init: { token: "wrong-token" } },
    { name: "token with a suffix", init: { token: "test-token2" } },
    { name: "empty Authorization", init: { token: null, headers: { authorization: "" } } },
    { name: "no scheme", init: { token: null, headers: { authorization: "test-token" } } },
    { name: "Basic scheme", init: { token: null, headers: { authorization: "Basic dGVzdC10b2tlbg==" } } },
    { name: "Bearer without token", init: { token: null, headers: { authorization: "Bearer" } } },
    { name: "Bearer with a space inside the token", init: { token: null, headers: { authorization: "Bearer test token" } } },
    { name: "Bearer with a comma", init: { token: null, headers: { authorization: "Bearer test-token,x" } } },
  ];

  it("rejects every bad credential on every route and changes nothing", async () => {
    const { id, requestId } = await waitingThread("auth");
    const snap = await snapshot(id);
    const launchId = freshId("auth-launch");
    for (const route of allRoutes(id, launchId, requestId)) {
      for (const { name, init } of badAuth) {
        const what = `${route.method} ${route.path} with ${name}`;
        const response = await send(route, init);
        expect(response.headers.get("www-authenticate"), what).toMatch(/^Bearer/);
        await expectError(response, 401, "unauthorized", what);
      }
    }
    await snap.unchanged();
    await expectNoThread(launchId);
  });

  it("checks the token before anything else: a bad body or an unknown thread still gets 401", async () => {
    const launchId = freshId("auth-first");
    await expectError(
      await call("/v1/agents/probe/threads", { method: "POST", token: null, json: { message: "hi", threadId: launchId } }),
      401,
      "unauthorized",
    );
    await expectError(
      await call("/v1/agents/probe/threads", { method: "POST", token: null, body: "{not json", headers: { "content-type": "application/json" } }),
      401,
      "unauthorized",
    );
    await expectError(
      await call("/v1/agents/probe/threads", { method: "POST", token: "nope", body: "x".repeat(70_000), headers: { "content-type": "text/plain" } }),
      401,
      "unauthorized",
    );
    await expectError(await call(`/v1/threads/${launchId}`, { token: "nope" }), 401, "unauthorized");
    await expectNoThread(launchId);
  });

  it("accepts the right token under any case of the scheme name", async () => {
    const response = await call("/v1/agents", { token: null, headers: { authorization: "bearer test-token" } });
    expect(response.status).toBe(200);
  });
});

describe("request bodies", () => {
  it("malformed JSON -> 400 malformed_json on every POST route, nothing appended", async () => {
    const { id, requestId } = await waitingThread("malformed");
    const snap = await snapshot(id);
    const launchId = freshId("malformed-launch");
    for (const route of postRoutes(id, launchId, requestId)) {
      for (const body of ['{"text": "hello"', "{text: 'hello'}", "not json at all", '{"a":1}}', "{", "\u0000"]) {
        const what = `${route.path} with body ${JSON.stringify(body)}`;
        const response = await call(route.path, { method: "POST", body, headers: { "content-type": "application/json" } });
        await expectError(response, 400, "malformed_json", what);
      }
    }
    await snap.unchanged();
    await expectNoThread(launchId);
  });

  it("no body with a JSON Content-Type counts as {}: required fields are reported, optional-body routes work", async () => {
    const { id } = await waitingThread("no-body");
    const snap = await snapshot(id);
    const json = { "content-type": "application/json" };
    const cases: [string, string][] = [
      ["/v1/agents/probe/threads", "message"],
      [`/v1/threads/${id}/messages`, "text"],
      [`/v1/threads/${id}/responses`, "requestId"],
    ];
    for (const [path, field] of cases) {
      for (const init of [{ headers: json }, { headers: { ...json, "content-length": "0" }, body: "" }]) {
        const error = await expectError(await call(path, { method: "POST", ...init }), 400, "invalid_request", path);
        expect(expectDetails(error, path).map((d) => d.path), path).toContain(field);
      }
    }
    await snap.unchanged();
    // pause takes an optional body: a bodiless JSON POST is a plain pause, not a parse error.
    const paused = await call(`/v1/threads/${id}/pause`, { method: "POST", headers: json });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as ThreadView).status).toBe("paused");
    const resumed = await call(`/v1/threads/${id}/resume`, { method: "POST", headers: { ...json, "content-length": "0" }, body: "" });
    expect(resumed.status).toBe(200);
    expect((await settle(id)).status).toBe("waiting_for_human");
  });

  it("wrong Content-Type -> 415 unsupported_media_type, even when the body is valid JSON", async () => {
    const { id, requestId } = await waitingThread("media");
    const snap = await snapshot(id);
    const launchId = freshId("media-launch");
    for (const route of postRoutes(id, launchId, requestId)) {
      const body = JSON.stringify(route.json);
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", undefined]) {
        const what = `${route.path} as ${contentType ?? "(no content type)"}`;
        const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
        await expectError(await call(route.path, { method: "POST", body, headers }), 415, "unsupported_media_type", what);
      }
    }
    await snap.unchanged();
    await expectNoThread(launchId);
  });

  it("a body over MAX_BODY_BYTES (65536) -> 413 body_too_large, nothing appended", async () => {
    const { id, requestId } = await waitingThread("large");
    const snap = await snapshot(id);
    const launchId = freshId("large-launch");
    for (const route of postRoutes(id, launchId, requestId)) {
      const big = { ...(route.json as object), padding: "x".repeat(65_537) };
      await expectError(await send(route, { json: big }), 413, "body_too_large", `${route.path} (content-length)`);
      // Without a Content-Length (a stream), the limit still holds.
      const bytes = new TextEncoder().encode(JSON.stringify(big));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
          controller.close();
        },
      });
      const streamed = await call(route.path, { method: "POST", body: stream, headers: { "content-type": "application/json" }, duplex: "half" } as Init);
      await expectError(streamed, 413, "body_too_large", `${route.path} (streamed)`);
    }
    await snap.unchanged();
    await expectNoThread(launchId);
  });

  it("a body of exactly 65536 bytes is not refused for its size", async () => {
    const { id } = await waitingThread("exact-size");
    const snap = await snapshot(id);
    const prefix = '{"text":"hi","x":"';
    const body = `${prefix}${"x".repeat(65_536 - prefix.length - 2)}"}`;
    expect(new TextEncoder().encode(body).length).toBe(65_536);
    // It gets past the size limit and is then refused for its unknown field: still nothing appended.
    const error = await expectError(
      await call(`/v1/threads/${id}/messages`, { method: "POST", body, headers: { "content-type": "application/json" } }),
      400,
      "invalid_request",
    );
    expect(expectDetails(error).some((d) => d.message.includes("x"))).toBe(true);
    await snap.unchanged();
  });

  it("launch: wrong types, missing fields and unknown fields -> 400 invalid_request with details; no thread is created", async () => {
    const cases: { name: string; body: (threadId: string) => unknown; path: string }[] = [
      { name: "empty object", body: (threadId) => ({ threadId }), path: "message" },
      { name: "message is a number", body: (threadId) => ({ message: 42, threadId }), path: "message" },
      { name: "message is null", body: (threadId) => ({ message: null, threadId }), path: "message" },
      { name: "message is empty", body: (threadId) => ({ message: "", threadId }), path: "message" },
      { name: "message too long", body: (threadId) => ({ message: "m".repeat(32_001), threadId }), path: "message" },
      { name: "threadId is a number", body: () => ({ message: "hi", threadId: 7 }), path: "threadId" },
      { name: "metadata is a string", body: (threadId) => ({ message: "hi", threadId, metadata: "meta" }), path: "metadata" },
      { name: "metadata is an array", body: (threadId) => ({ message: "hi", threadId, metadata: [1, 2] }), path: "metadata" },
      { name: "humanTimeoutSeconds is 0", body: (threadId) => ({ message: "hi", threadId, humanTimeoutSeconds: 0 }), path: "humanTimeoutSeconds" },
      { name: "humanTimeoutSeconds negative", body: (threadId) => ({ message: "hi", threadId, humanTimeoutSeconds: -5 }), path: "humanTimeoutSeconds" },
      { name: "humanTimeoutSeconds fractional", body: (threadId) => ({ message: "hi", threadId, humanTimeoutSeconds: 1.5 }), path: "humanTimeoutSeconds" },
      { name: "humanTimeoutSeconds a string", body: (threadId) => ({ message: "hi", threadId, humanTimeoutSeconds: "60" }), path: "humanTimeoutSeconds" },
      { name: "humanTimeoutSeconds huge", body: (threadId) => ({ message: "hi", threadId, humanTimeoutSeconds: 1e12 }), path: "humanTimeoutSeconds" },
      { name: "unknown field", body: (threadId) => ({ message: "hi", threadId, colour: "red" }), path: "" },
      { name: "misspelled field", body: (threadId) => ({ message: "hi", threadID: threadId }), path: "" },
    ];
    for (const c of cases) {
      const threadId = freshId("launch-invalid");
      const response = await call("/v1/agents/probe/threads", { method: "POST", json: c.body(threadId) });
      const error = await expectError(response, 400, "invalid_request", c.name);
      const details = expectDetails(error, c.name);
      expect(details.map((d) => d.path), c.name).toContain(c.path);
      if (c.name === "unknown field") expect(details.some((d) => d.message.includes("colour")), c.name).toBe(true);
      await expectNoThread(threadId);
    }
    // Bodies that are JSON but not objects.
    for (const body of ["[]", '"a message"', "42", "true"]) {
      const response = await call("/v1/agents/probe/threads", { method: "POST", body, headers: { "content-type": "application/json" } });
      expectDetails(await expectError(response, 400, "invalid_request", body), body);
    }
  });

  it("deeply nested JSON -> 400 invalid_request, never a 500 (the recursive metadata schema would overflow the stack)", async () => {
    for (const depth of [100, 5_000, 30_000]) {
      const threadId = freshId("deep");
      const body = `{"message":"hi","threadId":"${threadId}","metadata":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
      expect(body.length).toBeLessThan(65_536);
      const response = await call("/v1/agents/probe/threads", { method: "POST", body, headers: { "content-type": "application/json" } });
      const details = expectDetails(await expectError(response, 400, "invalid_request", `depth ${depth}`));
      expect(details.some((d) => /nested/.test(d.message))).toBe(true);
      await expectNoThread(threadId);
    }
    // Ordinary nesting is fine: a launch with metadata a few levels deep is accepted as sent.
    const threadId = freshId("nested-ok");
    const metadata = { ticket: { id: 7, tags: ["a", { deep: [[1, 2], { deeper: true }] }] } };
    const marker = model.script(threadId, [{ tool: "done_for_now", args: { message: "ok" } }]);
    const response = await call("/v1/agents/probe/threads", { method: "POST", json: { message: `hi ${marker}`, threadId, metadata } });
    expect(response.status).toBe(201);
    expect(((await response.json()) as ThreadView).metadata).toEqual(metadata);
    await settle(threadId);
  });

  it("launch with an invalid client threadId -> 400 invalid_request naming threadId", async () => {
    for (const threadId of ["bad id!", "a".repeat(65), "-leading-dash", "", "dots.are.not.allowed", "naïve"]) {
      const response = await call("/v1/agents/probe/threads", { method: "POST", json: { message: "hi", threadId } });
      const details = expectDetails(await expectError(response, 400, "invalid_request", threadId), threadId);
      expect(details.map((d) => d.path), threadId).toContain("threadId");
    }
  });

  it("messages, responses, pause, resume, cancel: schema violations -> 400 invalid_request with details, nothing appended", async () => {
    const { id, requestId } = await waitingThread("schema");
    const snap = await snapshot(id);
    const cases: { route: string; body: unknown; path: string }[] = [
      { route: "messages", body: {}, path: "text" },
      { route: "messages", body: null, path: "text" },
      { route: "messages", body: { text: 1 }, path: "text" },
      { route: "messages", body: { text: "" }, path: "text" },
      { route: "messages", body: { text: ["a"] }, path: "text" },
      { route: "messages", body: { text: "t".repeat(32_001) }, path: "text" },
      { route: "messages", body: { text: "hi", urgent: true }, path: "" },
      { route: "messages", body: { message: "hi" }, path: "" },
      { route: "messages", body: [], path: "" },
      { route: "messages", body: "hello", path: "" },
      { route: "responses", body: {}, path: "requestId" },
      { route: "responses", body: { requestId: 5, answer: "x" }, path: "requestId" },
      { route: "responses", body: { requestId: "", answer: "x" }, path: "requestId" },
      { route: "responses", body: { requestId: "r".repeat(65), answer: "x" }, path: "requestId" },
      { route: "responses", body: { requestId, approved: "yes" }, path: "approved" },
      { route: "responses", body: { requestId, answer: 3 }, path: "answer" },
      { route: "responses", body: { requestId, answer: "" }, path: "answer" },
      { route: "responses", body: { requestId, comment: false }, path: "comment" },
      { route: "responses", body: { requestId, answer: "staging", by: "mallory" }, path: "" },
      { route: "pause", body: { reason: 5 }, path: "reason" },
      { route: "pause", body: { reason: "r".repeat(1001) }, path: "reason" },
      { route: "pause", body: { why: "lunch" }, path: "" },
      { route: "pause", body: [], path: "" },
      { route: "resume", body: { now: true }, path: "" },
      { route: "resume", body: "go", path: "" },
      { route: "cancel", body: { reason: ["x"] }, path: "reason" },
      { route: "cancel", body: { force: true }, path: "" },
    ];
    for (const c of cases) {
      const what = `${c.route} ${JSON.stringify(c.body).slice(0, 60)}`;
      const response = await call(`/v1/threads/${id}/${c.route}`, { method: "POST", json: c.body });
      const details = expectDetails(await expectError(response, 400, "invalid_request", what), what);
      expect(details.map((d) => d.path), what).toContain(c.path);
    }
    await snap.unchanged();
  });
});

describe("unknown things", () => {
  it("unknown agent -> 404 unknown_agent and no thread", async () => {
    for (const agent of ["nobody", "Deploybot", "constructor", "__proto__", "a".repeat(300)]) {
      const threadId = freshId("no-agent");
      const response = await call(`/v1/agents/${agent}/threads`, { method: "POST", json: { message: "hi", threadId } });
      await expectError(response, 404, "unknown_agent", agent.slice(0, 20));
      await expectNoThread(threadId);
    }
  });

  it("unknown thread -> 404 thread_not_found on every thread route, and the lookups create nothing", async () => {
    const id = freshId("ghost");
    for (const route of threadRoutes(id)) {
      await expectError(await send(route), 404, "thread_not_found", `${route.method} ${route.path}`);
    }
    await expectNoThread(id);
    const listed = (await (await call("/v1/threads?limit=100")).json()) as { threads: { id: string }[] };
    expect(listed.threads.map((t) => t.id)).not.toContain(id);
  });

  it("malformed thread id -> 400 invalid_thread_id on every thread route", async () => {
    const { id } = await waitingThread("bad-ids");
    const snap = await snapshot(id);
    const bad = [encodeURIComponent("bad id!"), "a".repeat(200), "a".repeat(65), "-dash", "_underscore", encodeURIComponent("naïve"), "t%ZZ", "dot.ted"];
    for (const badId of bad) {
      for (const route of threadRoutes(badId)) {
        await expectError(await send(route), 400, "invalid_thread_id", `${route.method} ${route.path}`);
      }
    }
    // A 64-character id is valid: it is simply not there.
    await expectError(await call(`/v1/threads/${"a".repeat(64)}`), 404, "thread_not_found");
    await snap.unchanged();
  });

  it("unknown routes and methods -> 404 not_found in the error shape", async () => {
    const { id } = await waitingThread("routes");
    const snap = await snapshot(id);
    const cases: [string, string][] = [
      ["GET", "/v1/nope"],
      ["GET", "/v1"],
      ["GET", "/v1/agents/probe"],
      ["GET", "/v1/agents/probe/threads"],
      ["POST", "/v1/agents"],
      ["PATCH", `/v1/threads/${id}`],
      ["DELETE", `/v1/threads/${id}/events`],
      ["PUT", `/v1/threads/${id}/messages`],
      ["GET", `/v1/threads/${id}/messages`],
      ["GET", `/v1/threads/${id}/pause`],
      ["POST", `/v1/threads/${id}/archive`],
      ["POST", `/v1/threads/${id}`],
      ["GET", `/v1/threads/${id}/events/1`],
      ["GET", "/nope"],
    ];
    for (const [method, path] of cases) {
      await expectError(await call(path, { method }), 404, "not_found", `${method} ${path}`);
    }
    await snap.unchanged();
  });
});

describe("query strings", () => {
  it("GET /v1/threads: bad limit, status, agent, unknown parameters -> 400 invalid_query with details", async () => {
    for (const query of ["limit=0", "limit=abc", "limit=-1", "limit=101", "limit=1.5", "limit=", "limit=2&limit=3", "status=bogus", "status=", "status=RUNNING", `agent=${"a".repeat(41)}`, "colour=red", `cursor=${"c".repeat(501)}`]) {
      const error = await expectError(await call(`/v1/threads?${query}`), 400, "invalid_query", query);
      expectDetails(error, query);
    }
  });

  it("GET /v1/threads: a cursor this API did not issue -> 400 invalid_cursor", async () => {
    const forged = [
      "garbage",
      "%25%25%25",
      "x",
      btoa("not json"),
      btoa(JSON.stringify({ createdAt: 1, id: "t" })),
      btoa(JSON.stringify({ id: "t" })),
      btoa("null"),
      encodeURIComponent("é✓"),
    ];
    for (const cursor of forged) {
      await expectError(await call(`/v1/threads?cursor=${cursor}`), 400, "invalid_cursor", cursor);
    }
  });

  it("GET /v1/threads/{id}/events: bad after/limit -> 400 invalid_query, on a real thread and nothing appended", async () => {
    const { id } = await waitingThread("events-query");
    const snap = await snapshot(id);
    for (const query of ["after=-1", "after=abc", "after=1.5", "limit=0", "limit=1001", "limit=x", "after=1&after=2", "cursor=1"]) {
      const error = await expectError(await call(`/v1/threads/${id}/events?${query}`), 400, "invalid_query", query);
      expectDetails(error, query);
    }
    await snap.unchanged();
  });

  it("good queries still work after the bad ones", async () => {
    const { id } = await waitingThread("events-ok");
    const page = (await (await call(`/v1/threads/${id}/events?after=1&limit=1`)).json()) as { events: Event[]; next?: number };
    expect(page.events.map((e) => e.seq)).toEqual([2]);
    expect(page.next).toBe(2);
  });
});

describe("Idempotency-Key header", () => {
  it("an invalid key -> 400 invalid_idempotency_key on launch, messages and responses; nothing appended", async () => {
    const { id, requestId } = await waitingThread("bad-key");
    const snap = await snapshot(id);
    const launchId = freshId("bad-key-launch");
    const routes: Route[] = [
      { method: "POST", path: "/v1/agents/probe/threads", json: { message: "hi", threadId: launchId } },
      { method: "POST", path: `/v1/threads/${id}/messages`, json: { text: "staging" } },
      { method: "POST", path: `/v1/threads/${id}/responses`, json: { requestId, answer: "staging" } },
    ];
    for (const route of routes) {
      for (const key of ["k".repeat(300), "k".repeat(201), "has space", "", "tab\there"]) {
        const what = `${route.path} with key ${JSON.stringify(key.slice(0, 20))}`;
        await expectError(await send(route, { headers: { "idempotency-key": key } }), 400, "invalid_idempotency_key", what);
      }
    }
    await snap.unchanged();
    await expectNoThread(launchId);
  });
});

describe("state conflicts (409) and unknown requests (404)", () => {
  it("a finished thread accepts no more input: 409 thread_closed, nothing appended", async () => {
    const id = await finishedThread("done");
    const snap = await snapshot(id);
    for (const [route, json] of [
      ["messages", { text: "one more thing" }],
      ["responses", { requestId: "req_anything", answer: "x" }],
      ["pause", {}],
      ["resume", {}],
      ["cancel", { reason: "too late" }],
    ] as const) {
      const error = await expectError(await call(`/v1/threads/${id}/${route}`, { method: "POST", json }), 409, "thread_closed", route);
      expect(error.details, route).toEqual({ status: "done" });
    }
    // Also with an Idempotency-Key never seen before.
    await expectError(
      await call(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "again" }, headers: { "idempotency-key": `k-${run}` } }),
      409,
      "thread_closed",
    );
    await snap.unchanged();
  });

  it("a cancelled thread accepts no more input: 409 thread_closed with status cancelled", async () => {
    const { id } = await waitingThread("cancelled");
    const cancelled = await call(`/v1/threads/${id}/cancel`, { method: "POST", json: { reason: "no longer needed" } });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as ThreadView).status).toBe("cancelled");
    const snap = await snapshot(id);
    for (const route of ["messages", "pause", "resume", "cancel"]) {
      const json = route === "messages" ? { text: "hello?" } : {};
      const error = await expectError(await call(`/v1/threads/${id}/${route}`, { method: "POST", json }), 409, "thread_closed", route);
      expect(error.details, route).toEqual({ status: "cancelled" });
    }
    await snap.unchanged();
  });

  it("pause twice -> 409 already_paused; resume when not paused -> 409 not_paused; neither appends", async () => {
    const { id } = await waitingThread("pause");

    let snap = await snapshot(id);
    await expectError(await call(`/v1/threads/${id}/resume`, { method: "POST" }), 409, "not_paused", "resume before pause");
    await snap.unchanged();

    const paused = await call(`/v1/threads/${id}/pause`, { method: "POST", json: { reason: "lunch" } });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as ThreadView).status).toBe("paused");
    expect((await settle(id)).status).toBe("paused");

    snap = await snapshot(id);
    await expectError(await call(`/v1/threads/${id}/pause`, { method: "POST" }), 409, "already_paused", "pause twice");
    await expectError(await call(`/v1/threads/${id}/pause`, { method: "POST", json: { reason: "again" } }), 409, "already_paused", "pause thrice");
    await snap.unchanged();

    const resumed = await call(`/v1/threads/${id}/resume`, { method: "POST", json: {} });
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as ThreadView).status).not.toBe("paused");
    expect((await settle(id)).status).toBe("waiting_for_human");

    snap = await snapshot(id);
    await expectError(await call(`/v1/threads/${id}/resume`, { method: "POST", json: {} }), 409, "not_paused", "resume twice");
    await snap.unchanged();
  });

  it("responses to an unknown requestId -> 404 unknown_request; a bad answer to the real one -> 400; nothing appended", async () => {
    const { id, requestId } = await waitingThread("unknown-request");
    const snap = await snapshot(id);
    for (const unknown of ["req_nope", `${requestId}x`, requestId.toUpperCase()]) {
      await expectError(
        await call(`/v1/threads/${id}/responses`, { method: "POST", json: { requestId: unknown, answer: "staging" } }),
        404,
        "unknown_request",
        unknown,
      );
    }
    // The pending request is a question ("input"): an approval flag alone is no answer.
    await expectError(
      await call(`/v1/threads/${id}/responses`, { method: "POST", json: { requestId, approved: true } }),
      400,
      "answer_required",
    );
    await snap.unchanged();
    const view = (await (await call(`/v1/threads/${id}`)).json()) as ThreadView;
    expect(view.pending?.requestId).toBe(requestId);
  });
});
