/**
 * Console sign-in through Cloudflare Access: the identity in Cf-Access-Jwt-Assertion,
 * verified by the API's own jose check against a locally generated key set (injected JWKS
 * fetch), is the console user. The real httpApp with the Access settings in its env.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { httpApp } from "../../src/app";
import { accessTeam } from "../support/access";
import { agents } from "../support/agents";
import { eventsOf, launch, settle } from "../support/api";
import { executions, model } from "../support/harness";

const ORIGIN = "https://agents.test";
const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let access: Awaited<ReturnType<typeof accessTeam>>;
let app: ReturnType<typeof httpApp>;

beforeAll(async () => {
  access = await accessTeam(`console-${run}.cloudflareaccess.com`, "aud-console");
  app = httpApp(agents, { fetch: access.jwks });
});

type Init = { method?: "GET" | "POST"; headers?: Record<string, string>; form?: Record<string, string>; withAccess?: boolean };
function send(path: string, init: Init = {}) {
  const post = init.method === "POST";
  const headers = { accept: "text/html", ...(post ? { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN } : {}), ...init.headers };
  const vars = init.withAccess === false ? {} : access.vars;
  const request = { method: init.method ?? "GET", headers, redirect: "manual" as const, ...(post ? { body: new URLSearchParams(init.form ?? {}).toString() } : {}) };
  return app.request(`${ORIGIN}${path}`, request, { ...env, ...vars }, createExecutionContext());
}
const as = async (email: string) => ({ "cf-access-jwt-assertion": await access.assertion({ email, sub: "u-1" }) });

describe("console behind Cloudflare Access", () => {
  it("a valid Access assertion signs the request in as its email, with no cookie of ours; without one the console is closed", async () => {
    const carol = await as("Carol@Example.com");
    const inbox = await send("/console/inbox", { headers: carol });
    expect(inbox.status).toBe(200);
    expect(inbox.headers.get("set-cookie")).toBeNull();
    expect(await inbox.text()).toContain("Signed in as <strong>carol@example.com</strong>");
    // The sign-in page has no form: with an assertion it forwards, without one it explains.
    const forward = await send("/console/sign-in?next=%2Fconsole%2Fthreads", { headers: carol });
    expect([forward.status, forward.headers.get("location")]).toEqual([303, "/console/threads"]);
    const explain = await send("/console/sign-in");
    expect(explain.status).toBe(401);
    const text = await explain.text();
    expect(text).toContain("Sign in through Cloudflare Access");
    expect(text).not.toContain('name="token"');

    const refused: [string, Record<string, string>][] = [
      ["no assertion", {}],
      ["another key", { "cf-access-jwt-assertion": await access.assertion({ email: "carol@example.com" }, { key: "stranger" }) }],
      ["another audience", { "cf-access-jwt-assertion": await access.assertion({ email: "carol@example.com" }, { aud: "other-app" }) }],
      ["expired", { "cf-access-jwt-assertion": await access.assertion({ email: "carol@example.com" }, { exp: Math.floor(Date.now() / 1000) - 600 }) }],
      ["garbage", { "cf-access-jwt-assertion": "not.a.jwt" }],
    ];
    for (const [name, headers] of refused) {
      const page = await send("/console/inbox", { headers });
      expect([page.status, page.headers.get("location")], name).toEqual([303, "/console/sign-in?next=%2Fconsole%2Finbox"]);
      const fragment = await send("/console/inbox/items", { headers: { ...headers, accept: "application/json" } });
      expect(fragment.status, name).toBe(401);
      expect(await fragment.json(), name).toMatchObject({ error: { code: "signed_out", message: expect.stringContaining("Cloudflare Access") } });
    }

    // A credential's session (valid without Access) counts for nothing once Access is the identity, and no new one is issued.
    const signIn = await send("/console/sign-in", { method: "POST", withAccess: false, form: { name: "default", token: "test-token" } });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect((await send("/console/inbox", { withAccess: false, headers: { cookie } })).status).toBe(200);
    expect((await send("/console/inbox", { headers: { cookie } })).status).toBe(303);
    const credentialSignIn = await send("/console/sign-in", { method: "POST", headers: { accept: "application/json" }, form: { name: "default", token: "test-token" } });
    expect(credentialSignIn.status).toBe(401);
    expect(credentialSignIn.headers.get("set-cookie")).toBeNull();
    expect(await credentialSignIn.json()).toMatchObject({ error: { code: "access_required" } });
    expect(access.fetched).toContain(`https://console-${run}.cloudflareaccess.com/cdn-cgi/access/certs`);
  });

  it("an approval records the Access identity as a console principal; a fork goes through the API as the same identity; sign-out ends Access", async () => {
    const id = `console-access-${run}`;
    const label = `ca-${run}`;
    await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label } }, { tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: id });
    const requestId = (await settle(id)).pending!.requestId;
    const carol = await as("carol@example.com");

    const crossSite = await send(`/console/threads/${id}/respond`, { method: "POST", headers: { ...carol, origin: "https://evil.example", accept: "application/json" }, form: { requestId, decision: "approve" } });
    expect(crossSite.status).toBe(403);
    expect(executions.get(label)).toBeUndefined();

    const answer = await send(`/console/threads/${id}/respond`, { method: "POST", headers: { ...carol, accept: "application/json" }, form: { requestId, decision: "approve", comment: "via Access" } });
    expect(answer.status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(label)).toBe(1);
    const responded = (await eventsOf(id)).find((e): e is Extract<Event, { type: "human_responded" }> => e.type === "human_responded");
    expect(responded?.data.by).toEqual({ kind: "console", id: "carol@example.com", verifiedBy: "cloudflare_access" });

    // The fork reuses POST /v1/threads/{id}/fork, which takes only the Access assertion under Access.
    const forked = await send(`/console/threads/${id}/fork`, { method: "POST", headers: carol, form: { atSeq: "2" } });
    expect(forked.status).toBe(303);
    expect(forked.headers.get("location")).toMatch(/^\/console\/threads\/t_[0-9a-f]{32}$/);

    const out = await send("/console/sign-out", { method: "POST", headers: carol });
    expect([out.status, out.headers.get("location")]).toEqual([303, "/cdn-cgi/access/logout"]);
    expect(out.headers.get("set-cookie")).toMatch(/console_session=;.*Max-Age=0/);
  });
});
