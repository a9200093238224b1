import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import type { Event, ThreadView } from "../../src/core";
import { httpApp } from "../../src/app";
import { signHmacSha256 } from "../../src/hmac";
import { sha256Hex } from "../../src/hmac";
import { api, eventsOf, launch, settle, thread } from "../support/api";
import { clock, model } from "../support/harness";

// POST /v1/webhooks/{source}: the signature over the raw body is the only credential;
// the delivery id is the idempotency key; every refusal appends nothing.

const GITHUB_SECRET = "github-test-secret"; // vitest.config.ts
const SLACK_SECRET = "slack-test-secret";
const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const fresh = (name: string) => `${name}-${run}-${++n}`;
const bytes = (text: string) => new Uint8Array(new TextEncoder().encode(text)); // backed by an ArrayBuffer, as WebCrypto wants

afterEach(() => {
  clock.offsetMs = 0;
});

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

type Sent = { status: number; body: Record<string, unknown> & { error?: { code: string; message: string }; thread?: ThreadView; event?: Event } };

async function post(source: string, raw: string, headers: Record<string, string>): Promise<Sent> {
  // No bearer token: webhooks are authorised by their signature alone.
  const response = await api(`/v1/webhooks/${source}`, { method: "POST", body: raw, token: null, headers: { "content-type": "application/json", ...headers } });
  expect(response.headers.get("content-type")).toMatch(/^application\/json\b/);
  return { status: response.status, body: (await response.json()) as Sent["body"] };
}

async function github(event: string, payload: unknown, options: { delivery?: string | null; secret?: string; raw?: string } = {}) {
  const raw = options.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = {
    "x-github-event": event,
    "x-hub-signature-256": `sha256=${await signHmacSha256(options.secret ?? GITHUB_SECRET, bytes(raw))}`,
  };
  if (options.delivery !== null) headers["x-github-delivery"] = options.delivery ?? crypto.randomUUID();
  return post("github", raw, headers);
}

async function slack(payload: unknown, options: { timestamp?: number; secret?: string } = {}) {
  const raw = JSON.stringify(payload);
  const ts = String(options.timestamp ?? Math.floor(clock.now() / 1000));
  const signature = `v0=${await signHmacSha256(options.secret ?? SLACK_SECRET, bytes(`v0:${ts}:${raw}`))}`;
  return post("slack", raw, { "x-slack-signature": signature, "x-slack-request-timestamp": ts });
}

const failedRun = (name: string) => ({
  action: "completed",
  workflow_run: { id: 42, name, conclusion: "failure", head_branch: "main", head_sha: "0123456789abcdef0123", html_url: "https://github.com/acme/app/actions/runs/42" },
  repository: { full_name: "acme/app" },
  sender: { login: "octocat" },
});

const comment = (body: string) => ({
  action: "created",
  // A collaborator: other authors are acknowledged and ignored (GITHUB_TRUSTED_ASSOCIATIONS).
  comment: { body, user: { login: "octocat", type: "User" }, author_association: "MEMBER" },
  issue: { number: 7, html_url: "https://github.com/acme/app/issues/7" },
  repository: { full_name: "acme/app" },
});

/** GitHub threads are named by the signed body's hash (src/triggers/webhooks/routes.ts). */
async function githubThreadId(raw: string): Promise<string> {
  return `github-b${(await sha256Hex(raw)).slice(0, 40)}`;
}

function expectError(sent: Sent, status: number, code: string) {
  expect(sent.status, JSON.stringify(sent.body)).toBe(status);
  expect(sent.body.error?.code).toBe(code);
  expect(sent.body.error?.message.length).toBeGreaterThan(0);
}

/** A probe thread waiting for an answer, to receive webhook messages. */
async function waitingThread(): Promise<string> {
  const id = fresh("target");
  const marker = model.script(id, [{ tool: "request_more_information", args: { message: "Which tag?" } }, { tool: "done_for_now", args: { message: "ok" } }]);
  expect((await launch("probe", `help ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 })).response.status).toBe(201);
  expect((await settle(id)).status).toBe("waiting_for_human");
  return id;
}

describe("GitHub", () => {
  it("a signed workflow_run failure launches deploybot, with the same event shape as HTTP and a webhook source", async () => {
    const delivery = crypto.randomUUID();
    const script = fresh("gh");
    const marker = model.script(script, [{ tool: "done_for_now", args: { message: "Investigated." } }]);
    const sent = await github("workflow_run", failedRun(`CI ${marker}`), { delivery });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    // GitHub threads are named by a hash of the signed body: a replay under a new delivery id finds the same one.
    expect(sent.body).toMatchObject({ action: "launched", thread: { id: expect.stringMatching(/^github-b[0-9a-f]{40}$/), agent: "deploybot" } });

    const id = (sent.body.thread as ThreadView).id;
    expect(await settle(id)).toMatchObject({ status: "done", result: { message: "Investigated." } });
    const [first] = await eventsOf(id);
    expect(first).toMatchObject({
      type: "thread_launched",
      key: "launch",
      data: { threadId: id, agent: "deploybot", metadata: { repository: "acme/app", runUrl: "https://github.com/acme/app/actions/runs/42" } },
      source: { kind: "webhook", detail: { source: "github", senderDeliveryId: delivery, event: "workflow_run", repository: "acme/app" } },
    });
    expect(first?.type === "thread_launched" && first.data.message).toContain("failed in acme/app on branch main at commit 0123456789ab");
  });

  it("a forged signature -> 401 and nothing launched; a missing one -> 401", async () => {
    const delivery = crypto.randomUUID();
    expectError(await github("workflow_run", failedRun("CI"), { delivery, secret: "not the secret" }), 401, "bad_signature");
    expect(await thread(await githubThreadId(JSON.stringify(failedRun("CI")))).thread()).toBeNull();

    const raw = JSON.stringify(failedRun("CI"));
    expectError(await post("github", raw, { "x-github-event": "workflow_run", "x-github-delivery": delivery }), 401, "missing_signature");
    // Signed, then tampered with in transit.
    const signature = `sha256=${await signHmacSha256(GITHUB_SECRET, bytes(raw))}`;
    const tampered = raw.replace("failure", "success");
    expectError(await post("github", tampered, { "x-github-event": "workflow_run", "x-github-delivery": delivery, "x-hub-signature-256": signature }), 401, "bad_signature");
    expect(await thread(await githubThreadId(tampered)).thread()).toBeNull();
  });

  it("a redelivery -> 200 with the thread, one thread_launched; 20 concurrent redeliveries too", async () => {
    const delivery = crypto.randomUUID();
    const marker = model.script(fresh("gh-dup"), [{ tool: "request_more_information", args: { message: "Redeploy v1?" } }]);
    const payload = failedRun(`CI ${marker}`);
    const first = await github("workflow_run", payload, { delivery });
    expect(first.status).toBe(201);
    const id = await githubThreadId(JSON.stringify(payload));
    expect(first.body).toMatchObject({ thread: { id } });
    await settle(id);
    const before = await eventsOf(id);

    const again = await github("workflow_run", payload, { delivery });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ action: "duplicate", thread: { id } });
    const burst = await Promise.all(Array.from({ length: 20 }, () => github("workflow_run", payload, { delivery })));
    expect(burst.map((s) => s.status)).toEqual(Array(20).fill(200));
    await settle(id);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("20 concurrent deliveries of one launch -> exactly one 201 and one thread_launched", async () => {
    const delivery = crypto.randomUUID();
    const marker = model.script(fresh("gh-race"), [{ tool: "done_for_now", args: { message: "ok" } }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => github("workflow_run", failedRun(`CI ${marker}`), { delivery })));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const id = await githubThreadId(JSON.stringify(failedRun(`CI ${marker}`)));
    await settle(id);
    expect((await eventsOf(id)).filter((e) => e.type === "thread_launched")).toHaveLength(1);
  });

  it("a comment naming a thread is a user message to it; a redelivery (or 20) appends nothing more", async () => {
    const id = await waitingThread();
    const delivery = crypto.randomUUID();
    const sent = await github("issue_comment", comment(`thread:${id} use v1.2.3`), { delivery });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ action: "messaged", thread: { id } });
    expect(sent.body.event).toMatchObject({
      type: "user_messaged",
      data: { text: "octocat on https://github.com/acme/app/issues/7: use v1.2.3" },
      source: { kind: "webhook", detail: { source: "github", senderDeliveryId: delivery, event: "issue_comment" } },
    });
    await settle(id);
    const before = await eventsOf(id);
    const burst = await Promise.all(Array.from({ length: 20 }, () => github("issue_comment", comment(`thread:${id} use v1.2.3`), { delivery })));
    expect(burst.map((s) => s.status)).toEqual(Array(20).fill(200));
    expect(burst[0]?.body).toMatchObject({ action: "duplicate" });
    await settle(id);
    const after = await eventsOf(id);
    expect(after).toEqual(before);
    expect(after.filter((e) => e.type === "user_messaged")).toHaveLength(1);
  });

  it("a message to an unknown thread -> 404; an event we do not map -> 200 ignored; nothing appended", async () => {
    expectError(await github("issue_comment", comment(`thread:${fresh("nobody")} hello`)), 404, "thread_not_found");
    const ping = await github("ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(ping.status).toBe(200);
    expect(ping.body).toMatchObject({ action: "ignored" });
    const delivery = crypto.randomUUID();
    const success = await github("workflow_run", { ...failedRun("CI"), workflow_run: { ...failedRun("CI").workflow_run, conclusion: "success" } }, { delivery });
    expect(success.body).toMatchObject({ action: "ignored" });
    const successRaw = JSON.stringify({ ...failedRun("CI"), workflow_run: { ...failedRun("CI").workflow_run, conclusion: "success" } });
    expect(await thread(await githubThreadId(successRaw)).thread()).toBeNull();
  });

  it("bad input after a good signature: malformed JSON 400, wrong types 400, no delivery id 400", async () => {
    const delivery = crypto.randomUUID();
    expectError(await github("workflow_run", null, { delivery, raw: '{"action": "completed", ' }), 400, "malformed_json");
    const wrong = { ...failedRun("CI"), workflow_run: { ...failedRun("CI").workflow_run, conclusion: 5 } };
    const typed = await github("workflow_run", wrong, { delivery });
    expectError(typed, 400, "invalid_request");
    expect(JSON.stringify(typed.body.error)).toContain("workflow_run.conclusion");
    expectError(await github("workflow_run", failedRun("CI"), { delivery: null }), 400, "invalid_delivery_id");
    expectError(await github("workflow_run", failedRun("CI"), { delivery: "../../etc" }), 400, "invalid_delivery_id");
    expect(await thread(await githubThreadId(JSON.stringify(failedRun("CI")))).thread()).toBeNull();
  });

  it("an oversized body -> 413 before the signature is even checked", async () => {
    const raw = JSON.stringify({ ...failedRun("CI"), padding: "x".repeat(70_000) });
    expectError(await github("workflow_run", null, { raw }), 413, "body_too_large");
  });
});

describe("Slack", () => {
  it("answers the url_verification challenge", async () => {
    const sent = await slack({ token: "x", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    expect(sent).toEqual({ status: 200, body: { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" } });
  });

  it("an app_mention launches deploybot; the event_id is the idempotency key", async () => {
    const eventId = `Ev${run}${++n}`;
    const marker = model.script(fresh("slack"), [{ tool: "done_for_now", args: { message: "On it." } }]);
    const payload = { type: "event_callback", team_id: "T1", event_id: eventId, event: { type: "app_mention", text: `<@U0BOT> deploy latest to staging ${marker}`, user: "U1", channel: "C1" } };
    const sent = await slack(payload);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const id = `slack-${eventId}`;
    expect(await settle(id)).toMatchObject({ agent: "deploybot", status: "done" });
    const again = await slack(payload); // Slack retries with the same event_id
    expect(again.status).toBe(200);
    expect((await eventsOf(id)).filter((e) => e.type === "thread_launched")).toHaveLength(1);
  });

  it("a message naming a thread is a user message to it", async () => {
    const id = await waitingThread();
    const sent = await slack({ type: "event_callback", event_id: `Ev${run}${++n}`, event: { type: "message", text: `thread:${id} v1.2.3 please`, user: "U1", channel: "C1" } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body.event).toMatchObject({ type: "user_messaged", data: { text: "v1.2.3 please" }, source: { kind: "webhook", detail: { source: "slack" } } });
  });

  it("a stale timestamp -> 401 even with a valid signature (clock driven, no sleeping)", async () => {
    const id = await waitingThread();
    const before = await eventsOf(id);
    const signedAt = Math.floor(clock.now() / 1000);
    clock.advance(6 * 60_000);
    const sent = await slack({ type: "event_callback", event_id: `Ev${run}${++n}`, event: { type: "message", text: `thread:${id} replayed`, user: "U1" } }, { timestamp: signedAt });
    expectError(sent, 401, "stale_timestamp");
    expect(await eventsOf(id)).toEqual(before);
  });

  it("a forged signature -> 401, a bot's own message is ignored", async () => {
    const eventId = `Ev${run}${++n}`;
    const payload = { type: "event_callback", event_id: eventId, event: { type: "app_mention", text: "<@U0BOT> deploy", user: "U1" } };
    expectError(await slack(payload, { secret: "wrong" }), 401, "bad_signature");
    expect(await thread(`slack-${eventId}`).thread()).toBeNull();
    const bot = await slack({ ...payload, event: { ...payload.event, bot_id: "B1" } });
    expect(bot.body).toMatchObject({ action: "ignored" });
    expect(await thread(`slack-${eventId}`).thread()).toBeNull();
  });
});

describe("sources", () => {
  it("an unknown source -> 404; a GET -> 405", async () => {
    expectError(await post("gitlab", "{}", {}), 404, "unknown_source");
    const get = await api("/v1/webhooks/github", { token: null });
    expect(get.status).toBe(405);
  });

  it("a source with no secret configured refuses every delivery, signed or not", async () => {
    const app = httpApp(agentRegistry([deploybot]));
    const raw = JSON.stringify(failedRun("CI"));
    const response = await app.request(
      "/v1/webhooks/github",
      { method: "POST", body: raw, headers: { "x-github-event": "workflow_run", "x-github-delivery": crypto.randomUUID(), "x-hub-signature-256": `sha256=${await signHmacSha256("a guess", bytes(raw))}` } },
      { ...env, WEBHOOK_SECRET_GITHUB: "" },
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "webhook_not_configured" } });
  });

  it("setup checks mappings: a source launching an agent that is not deployed throws", () => {
    expect(() => httpApp(agentRegistry([]))).toThrow(/unknown agent "deploybot"/);
  });
});
