/**
 * Rate limits (the Workers Rate Limiting binding, through Cloudflare's Vitest integration)
 * and Cloudflare Access identities verified with jose against a locally generated key
 * set whose JWKS fetch is injected. Each builds the real httpApp with another env.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Event } from "../../src/core";
import { signHmacSha256 } from "../../src/hmac";
import { httpApp } from "../../src/app";
import { accessTeam } from "../support/access";
import { agents } from "../support/agents";
import { api, eventsOf, launch, settle, thread } from "../support/api";
import { executions, model } from "../support/harness";
import { awaitFreshRateWindow } from "../support/rate-window";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `lim-${run}-${name}-${++n}`;
/** vitest.config.ts: limit 3 per key per 60 s (a wall-clock window: see awaitFreshRateWindow). */
const TIGHT_PERIOD_SECONDS = 60;
const tight = (env as unknown as { TEST_TIGHT_RATE_LIMIT: RateLimit }).TEST_TIGHT_RATE_LIMIT;

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

function send(app: ReturnType<typeof httpApp>, vars: Partial<Env>, path: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const body = init.json !== undefined ? JSON.stringify(init.json) : (init.body ?? null);
  return app.request(`https://agents.test${path}`, { ...init, headers, body }, { ...env, ...vars }, createExecutionContext());
}

describe("rate limits (Workers Rate Limiting binding)", () => {
  it("past the limit a credential's writes get 429 rate_limited with Retry-After; nothing launched; other credentials and reads go on", async () => {
    const app = httpApp(agents);
    const vars = { API_RATE_LIMIT: tight };
    const launchAs = (token: string, threadId: string) => send(app, vars, "/v1/agents/probe/threads", { method: "POST", token, json: { message: "hi", threadId } });
    await awaitFreshRateWindow(TIGHT_PERIOD_SECONDS);
    for (let i = 0; i < 3; i++) expect((await launchAs("intern-token-1234", freshId("ok"))).status).toBe(201);
    const refusedId = freshId("refused");
    const refused = await launchAs("intern-token-1234", refusedId);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(await refused.json()).toEqual({
      error: { code: "rate_limited", message: expect.stringContaining("api:intern"), details: { retryAfterSeconds: 60 } },
    });
    expect(await thread(refusedId).thread()).toBeNull();
    // Per credential: another name has its own budget. Reads are never limited.
    expect((await launchAs("rm-token-1234", freshId("other"))).status).toBe(201);
    expect((await send(app, vars, "/v1/agents", { token: "intern-token-1234" })).status).toBe(200);
  });

  it("webhooks are limited per source, after the signature: the 4th signed GitHub delivery gets 429 and launches nothing", async () => {
    const app = httpApp(agents);
    const vars = { WEBHOOK_RATE_LIMIT: tight };
    const delivery = async (i: number) => {
      const raw = JSON.stringify({ zen: `ping ${run} ${i}`, hook_id: i });
      const signature = `sha256=${await signHmacSha256("github-test-secret", raw)}`;
      const headers = { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": crypto.randomUUID(), "x-hub-signature-256": signature };
      return send(app, vars, "/v1/webhooks/github", { method: "POST", headers, body: raw });
    };
    // A forged delivery is refused before it counts (in the same window as the three below).
    await awaitFreshRateWindow(TIGHT_PERIOD_SECONDS);
    const forged = await send(app, vars, "/v1/webhooks/github", { method: "POST", headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "x", "x-hub-signature-256": "sha256=00" }, body: "{}" });
    expect(forged.status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await delivery(i)).status).toBe(200);
    const limited = await delivery(3);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
  });

  it("without a binding there is no limit, and one log line says so", async () => {
    const app = httpApp(agents);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      for (let i = 0; i < 5; i++) {
        expect((await send(app, { API_RATE_LIMIT: undefined }, "/v1/agents/probe/threads", { method: "POST", token: "intern-token-1234", json: { message: "hi", threadId: freshId("unbound") } })).status).toBe(201);
      }
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"binding":"API_RATE_LIMIT"'));
      expect(lines).toEqual(['{"rateLimit":{"binding":"API_RATE_LIMIT","state":"missing","effect":"no limit"}}']);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("Cloudflare Access (Cf-Access-Jwt-Assertion, verified with jose)", () => {
  const team = `team-${run}.cloudflareaccess.com`;
  let access: Awaited<ReturnType<typeof accessTeam>>;
  let vars: Partial<Env>;
  let app: ReturnType<typeof httpApp>;

  beforeAll(async () => {
    access = await accessTeam(team, "aud-edge-agents");
    vars = access.vars;
    app = httpApp(agents, { fetch: access.jwks });
  });

  const assertion: Awaited<ReturnType<typeof accessTeam>>["assertion"] = (claims, options) => access.assertion(claims, options);
  const audience = "aud-edge-agents";

  it("a valid assertion is the principal: its email is recorded as the approver; the JWKS came from the team domain", async () => {
    const label = `access-${run}`;
    const id = freshId("access");
    const marker = model.script(id, [{ tool: "guarded", args: { label } }, { tool: "done_for_now", args: { message: "ok" } }]);
    expect((await launch("probe", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    const requestId = (await settle(id)).pending?.requestId;
    const jwt = await assertion({ email: "Carol@Example.com", sub: "u-1" });
    const response = await send(app, vars, `/v1/threads/${id}/responses`, { method: "POST", json: { requestId, approved: true }, headers: { "cf-access-jwt-assertion": jwt } });
    expect(response.status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(label)).toBe(1);
    const answer = (await eventsOf(id)).find((e): e is Extract<Event, { type: "human_responded" }> => e.type === "human_responded");
    expect(answer?.data.by).toEqual({ kind: "api", id: "carol@example.com", verifiedBy: "cloudflare_access" });
    expect(access.fetched).toContain(`https://${team}/cdn-cgi/access/certs`);
  });

  it("a bad assertion, or a bearer token instead of one, gets 401 and appends nothing", async () => {
    const id = freshId("access-bad");
    const marker = model.script(id, [{ tool: "guarded", args: { label: `access-bad-${run}` } }]);
    expect((await launch("probe", `work ${marker}`, { threadId: id })).response.status).toBe(201);
    const requestId = (await settle(id)).pending?.requestId;
    const before = await eventsOf(id);
    const claims = { email: "carol@example.com" };
    const cases: [string, Record<string, string>][] = [
      ["no assertion, a valid bearer token", { authorization: "Bearer test-token" }],
      ["another key", { "cf-access-jwt-assertion": await assertion(claims, { key: "stranger" }) }],
      ["another audience", { "cf-access-jwt-assertion": await assertion(claims, { aud: "someone-else" }) }],
      ["another issuer", { "cf-access-jwt-assertion": await assertion(claims, { iss: "https://evil.cloudflareaccess.com" }) }],
      ["expired", { "cf-access-jwt-assertion": await assertion(claims, { exp: Math.floor(Date.now() / 1000) - 600 }) }],
      ["unsigned (alg none)", { "cf-access-jwt-assertion": `${btoa(JSON.stringify({ alg: "none" }))}.${btoa(JSON.stringify({ ...claims, aud: audience, iss: `https://${team}` }))}.` }],
      ["no identity claim", { "cf-access-jwt-assertion": await assertion({ sub: "u-2" }) }],
      ["garbage", { "cf-access-jwt-assertion": "not.a.jwt" }],
    ];
    for (const [name, headers] of cases) {
      const response = await send(app, vars, `/v1/threads/${id}/responses`, { method: "POST", json: { requestId, approved: true }, headers });
      expect(response.status, name).toBe(401);
      expect(response.headers.get("www-authenticate"), name).toMatch(/^Bearer/);
      expect(((await response.json()) as { error: { code: string } }).error.code, name).toBe("unauthorized");
    }
    expect(await eventsOf(id)).toEqual(before);
  });
});
