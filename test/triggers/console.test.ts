import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventsOf, launch, settle } from "../support/api";
import { clock, model } from "../support/harness";
import { get, ORIGIN, post, signIn } from "../support/console";

// The console through the Worker's fetch handler: sign-in and the cookie it sets, refusals
// (signed out, wrong credential, cross-site, expired session), and an answer recorded with
// the console principal. The real-browser run is test/e2e/console.test.ts.

describe("console", () => {
  it("signs in with the named credential; a wrong token, a signed-out visit and a cross-site post are refused", async () => {
    const wrong = await post("/console/sign-in", { name: "default", token: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();

    const signedOut = await get("/console/inbox");
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get("location")).toBe("/console/sign-in?next=%2Fconsole%2Finbox");
    const fragment = await get("/console/inbox/items", { accept: "*/*" });
    expect(fragment.status).toBe(401);
    expect(await fragment.json()).toMatchObject({ error: { code: "signed_out" } });

    const cookie = await signIn();
    const inbox = await get("/console/inbox", { cookie });
    expect(inbox.status).toBe(200);
    const csp = inbox.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await inbox.text();
    expect(html).toContain("Approvals inbox");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script

    const crossSite = await post("/console/threads/t_x/pause", {}, { cookie, origin: "https://evil.example", accept: "application/json" });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: { code: "cross_site_request" } });
    const noOrigin = await exports.default.fetch(
      new Request(`${ORIGIN}/console/threads/t_x/pause`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "" }),
    );
    expect(noOrigin.status).toBe(403);
    const loginCsrf = await post("/console/sign-in", { name: "default", token: "test-token" }, { origin: "https://evil.example" });
    expect(loginCsrf.status).toBe(403);

    const out = await post("/console/sign-out", {}, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/console_session=;.*Max-Age=0/);
  });

  it("a session expires; a forged or edited cookie counts for nothing", async () => {
    const cookie = await signIn();
    const [name, value] = cookie.split("=") as [string, string];
    const [payload, mac] = value.split(".") as [string, string];
    expect((await get("/console/inbox", { cookie: `${name}=${payload}.${mac.replace(/^./, mac[0] === "a" ? "b" : "a")}` })).status).toBe(303);
    const edited = btoa(JSON.stringify({ n: "default", exp: 9_999_999_999 })).replace(/=+$/, "");
    expect((await get("/console/inbox", { cookie: `${name}=${edited}.${mac}` })).status).toBe(303);
    clock.offsetMs = 43_201_000;
    try {
      expect((await get("/console/inbox", { cookie })).status).toBe(303);
    } finally {
      clock.offsetMs = 0;
    }
    expect((await get("/console/inbox", { cookie })).status).toBe(200);
  });

  it("an approval from the console records the signed-in principal; the thread page shows the whole timeline", async () => {
    const cookie = await signIn();
    const id = `console-${crypto.randomUUID().slice(0, 8)}`;
    const marker = model.script(id, [{ tool: "guarded", args: { label: `k-${id}` } }, { tool: "done_for_now", args: { message: "all done" } }]);
    await launch("probe", `go ${marker}`, { threadId: id });
    const view = await settle(id);
    const inbox = await (await get("/console/inbox/items", { cookie })).text();
    expect(inbox).toContain(`data-request="${view.pending!.requestId}"`);

    const answer = await post(`/console/threads/${id}/respond`, { requestId: view.pending!.requestId, decision: "approve", comment: "ok from console" }, { cookie, accept: "application/json" });
    expect(answer.status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    const responded = (await eventsOf(id)).find((e) => e.type === "human_responded");
    expect(responded?.data).toMatchObject({ approved: true, comment: "ok from console", by: { kind: "console", id: "default", verifiedBy: "session" } });

    const again = await post(`/console/threads/${id}/respond`, { requestId: view.pending!.requestId, decision: "approve" }, { cookie, accept: "application/json" });
    expect(again.status).toBe(409);

    const pageHtml = await (await get(`/console/threads/${id}`, { cookie })).text();
    for (const type of ["thread_launched", "model_decided", "human_requested", "human_responded", "tool_started", "tool_succeeded", "thread_finished"]) {
      expect(pageHtml).toMatch(new RegExp(`<span class="type label-[a-z]+">${type}</span>`));
    }
    // One line per event: the summary says who approved; the JSON is behind a closed <details>.
    expect(pageHtml).toContain("approved by default (console) · “ok from console”");
    expect(pageHtml).toMatch(/chose guarded label=k-[^·]+ · \d+ ms · /);
    expect(pageHtml).not.toContain("<details open");

    const forked = await post(`/console/threads/${id}/fork`, { atSeq: "2", model: "other-model" }, { cookie });
    expect(forked.status).toBe(303);
    expect(forked.headers.get("location")).toMatch(/^\/console\/threads\/t_[0-9a-f]{32}$/);
  });

  it("an approval card shows the arguments as a table against the last call of the same tool, who may answer and the timeout policy", async () => {
    const cookie = await signIn();
    const id = `console-card-${crypto.randomUUID().slice(0, 8)}`;
    const marker = model.script(id, [
      { tool: "guarded", args: { label: `first-${id}` } },
      { tool: "guarded", args: { label: `second-${id}` } },
    ]);
    await launch("probe", `go ${marker}`, { threadId: id });
    const first = (await settle(id)).pending!;
    const card1 = await (await get(`/console/threads/${id}/header`, { cookie })).text();
    expect(card1).toContain("First call of this tool in this thread");
    expect(card1).toMatch(/<th scope="row">label<\/th><td><code>first-console-card-[0-9a-f]+<\/code><\/td>/);
    expect(card1).toContain("any signed-in operator");
    expect(card1).toContain(`data-countdown="${first.deadline}"`);
    expect(card1).toMatch(/On timeout<\/dt><dd>(denied|escalated|the thread fails)/);
    expect((await post(`/console/threads/${id}/respond`, { requestId: first.requestId, decision: "approve" }, { cookie, accept: "application/json" })).status).toBe(200);
    const second = await settle(id);
    expect(second.pending?.requestId).not.toBe(first.requestId);
    const inbox = await (await get("/console/inbox/items", { cookie })).text();
    const card2 = inbox.slice(inbox.indexOf(`data-request="${second.pending!.requestId}"`));
    expect(card2).toContain("Compared with the last call of this tool in this thread");
    expect(card2).toMatch(new RegExp(`<tr class="arg-changed"><th scope="row">label</th><td><code>second-${id}</code></td><td class="muted">was first-${id}</td>`));
  });

  it("the timeline pages newest first; a bad page parameter is a clear 400", async () => {
    const cookie = await signIn();
    const id = `console-page-${crypto.randomUUID().slice(0, 8)}`;
    await launch("probe", `go ${model.script(id, [{ tool: "done_for_now", args: { message: "paged" } }])}`, { threadId: id });
    const view = await settle(id);
    const newest = await (await get(`/console/threads/${id}`, { cookie })).text();
    expect(newest).toContain(`Events #1–#${view.lastSeq} of ${view.lastSeq}.`);
    expect(newest).toContain('data-live="stream"');
    expect(newest).not.toContain('id="load-earlier"');
    const older = await (await get(`/console/threads/${id}?before=3`, { cookie })).text();
    expect(older).toContain(`Events #1–#2 of ${view.lastSeq}.`);
    expect([...older.matchAll(/<li class="ev /g)].length).toBe(2);
    expect(older).not.toContain('data-live="stream"'); // an older page does not follow the stream
    for (const bad of ["abc", "1", "-5", "2.5"]) {
      const res = await get(`/console/threads/${id}?before=${bad}`, { cookie, accept: "application/json" });
      expect(res.status, bad).toBe(400);
      expect(await res.json(), bad).toMatchObject({ error: { code: "invalid_query" } });
    }
  });

  it("the threads list filters by status and agent, searches by id prefix or launch text, counts per status, shows what each waits on; bad filters are a clear 400", async () => {
    const cookie = await signIn();
    const tag = `flt-${crypto.randomUUID().slice(0, 8)}`;
    await launch("probe", `go ${model.script(`${tag}-done`, [{ tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: `${tag}-done` });
    await launch("probe", `go ${model.script(`${tag}-wait`, [{ tool: "guarded", args: { label: tag } }])} bravo ${tag.slice(4)}`, { threadId: `${tag}-wait` });
    await settle(`${tag}-done`);
    await settle(`${tag}-wait`);
    const rows = (html: string) => [...html.matchAll(/<tr data-thread="([^"]+)"/g)].map((m) => m[1]);
    const all = await (await get(`/console/threads?q=${tag}`, { cookie })).text();
    expect(rows(all).sort()).toEqual([`${tag}-done`, `${tag}-wait`]);
    expect(all).toMatch(new RegExp(`data-thread="${tag}-wait".*?<td data-label="Waiting on">approval guarded</td>`));
    expect(all).toMatch(/<td data-label="Age"><time datetime="[^"]+" title="[^"]+" data-ago="[^"]+">\d+ s ago<\/time>/);
    const waiting = await (await get(`/console/threads?q=${tag}&status=waiting_for_human&agent=probe`, { cookie })).text();
    expect(rows(waiting)).toEqual([`${tag}-wait`]);
    expect(rows(await (await get(`/console/threads?q=${tag}&status=done`, { cookie })).text())).toEqual([`${tag}-done`]);
    expect(rows(await (await get(`/console/threads?q=${tag}&agent=deploybot`, { cookie })).text())).toEqual([]);
    expect(rows(await (await get(`/console/threads?q=${tag}_`, { cookie })).text())).toEqual([]); // _ is not a wildcard
    expect(rows(await (await get(`/console/threads?q=${tag.slice(0, -1)}%25`, { cookie })).text())).toEqual([]); // nor is %
    // Search by launch text: a word only one launch message holds, in any case; the row shows the launch and its newest event's type.
    const byText = await (await get(`/console/threads?q=${encodeURIComponent(`Bravo ${tag.slice(4).toUpperCase()}`)}`, { cookie })).text();
    expect(rows(byText)).toEqual([`${tag}-wait`]);
    expect(byText).toMatch(new RegExp(`data-thread="${tag}-wait".*?<span class="launch muted" title="go [^"]*bravo ${tag.slice(4)}[^"]*">`));
    expect(all).toMatch(new RegExp(`data-thread="${tag}-done".*?<td data-label="Last event">#\\d+<span class="type"> thread_finished</span>`));
    const newest = (await eventsOf(`${tag}-wait`)).at(-1)!;
    expect(all).toMatch(new RegExp(`data-thread="${tag}-wait".*?<td data-label="Last event">#${newest.seq}<span class="type"> ${newest.type}</span>`));
    // Counts per status, for the agent filter: at least ours, and the same as the filtered list can show.
    const counts = Object.fromEntries([...waiting.matchAll(/data-count-status="([a-z_]+)".*?<span class="count">(\d+)<\/span>/g)].map((m) => [m[1], Number(m[2])]));
    expect(counts["waiting_for_human"]).toBeGreaterThanOrEqual(1);
    expect(counts["done"]).toBeGreaterThanOrEqual(1);
    for (const [query, code] of [
      ["status=sleeping", "invalid_query"],
      [`q=${"x".repeat(101)}`, "invalid_query"],
      ["cursor=not-a-cursor", "invalid_cursor"],
    ] as const) {
      const res = await get(`/console/threads?${query}`, { cookie, accept: "application/json" });
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toMatchObject({ error: { code } });
      const page = await get(`/console/threads?${query}`, { cookie });
      expect(page.status, query).toBe(400);
      expect(await page.text(), query).toContain("<h1>Not done</h1>");
    }
  });

  it("bad console form posts get a clear 4xx and append nothing: wrong media type, bad fields, an unknown request, an unknown thread", async () => {
    const cookie = await signIn();
    const id = `console-bad-${crypto.randomUUID().slice(0, 8)}`;
    await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label: `bad-${id}` } }])}`, { threadId: id });
    const { requestId } = (await settle(id)).pending!;
    const before = await eventsOf(id);
    const json = { cookie, accept: "application/json" };
    const asJson = await exports.default.fetch(
      new Request(`${ORIGIN}/console/threads/${id}/respond`, {
        method: "POST",
        headers: { ...json, origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({ requestId, decision: "approve" }),
      }),
    );
    expect(asJson.status).toBe(415);
    expect(await asJson.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    const cases: [Record<string, string>, number, string][] = [
      [{ decision: "approve" }, 400, "invalid_form"],
      [{ requestId, decision: "maybe" }, 400, "invalid_form"],
      [{ requestId: "req_no_such_request", decision: "approve" }, 404, "unknown_request"],
    ];
    for (const [fields, status, code] of cases) {
      const answer = await post(`/console/threads/${id}/respond`, fields, json);
      expect(answer.status, JSON.stringify(fields)).toBe(status);
      expect(await answer.json(), JSON.stringify(fields)).toMatchObject({ error: { code } });
    }
    const unknown = await post(`/console/threads/console-never-${id}/respond`, { requestId, decision: "approve" }, json);
    expect(unknown.status).toBe(404);
    expect(await eventsOf(id)).toEqual(before);
    expect((await settle(id)).status).toBe("waiting_for_human");
  });

  it("the inbox lists requests oldest first by when they were asked, not by deadline, each with its countdown", async () => {
    const cookie = await signIn();
    const tag = crypto.randomUUID().slice(0, 8);
    const ask = async (name: string, timeout: number) => {
      const id = `inbox-${name}-${tag}`;
      await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label: `${name}-${tag}` } }])}`, { threadId: id, humanTimeoutSeconds: timeout });
      return (await settle(id)).pending!;
    };
    let older, newer;
    try {
      // The older request has the later deadline: ordering by deadline would put it second.
      older = await ask("older", 7200);
      clock.advance(60_000);
      newer = await ask("newer", 300);
    } finally {
      clock.offsetMs = 0;
    }
    expect(Date.parse(older.requestedAt)).toBeLessThan(Date.parse(newer.requestedAt));
    expect(Date.parse(older.deadline)).toBeGreaterThan(Date.parse(newer.deadline));
    for (const path of ["/console/inbox/items", "/console/inbox"]) {
      const html = await (await get(path, { cookie })).text();
      const order = [...html.matchAll(/data-request="([^"]+)"/g)].map((m) => m[1]).filter((r) => r === older.requestId || r === newer.requestId);
      expect(order, path).toEqual([older.requestId, newer.requestId]);
      expect(html, path).toContain(`data-countdown="${newer.deadline}"`);
      expect(html, path).toContain(`datetime="${older.requestedAt}"`);
    }
  });

  it("the agent page shows the index's token usage, the same totals as GET /v1/agents/{agent}/usage", async () => {
    const cookie = await signIn();
    const id = `usage-${crypto.randomUUID().slice(0, 8)}`;
    await launch("probe", `go ${model.script(id, [{ tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: id });
    await settle(id);
    const fromLog = (await eventsOf(id)).flatMap((e) => (e.type === "model_decided" && e.data.usage ? [e.data.usage.promptTokens + e.data.usage.completionTokens] : []));
    expect(fromLog.length).toBe(1);
    const html = await (await get("/console/agents/probe", { cookie })).text();
    const api = (await (await exports.default.fetch(new Request(`${ORIGIN}/v1/agents/probe/usage`, { headers: { authorization: "Bearer test-token" } }))).json()) as {
      total: { threads: number; steps: number; promptTokens: number; completionTokens: number; totalTokens: number };
    };
    expect(api.total.threads).toBeGreaterThanOrEqual(1);
    expect(api.total.totalTokens).toBeGreaterThanOrEqual(fromLog[0]!);
    const row = /<tr><td data-label="Variant">all variants<\/td>(.*?)<\/tr>/.exec(html)?.[1] ?? "";
    const cells = [...row.matchAll(/<td data-label="[^"]+">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    const t = api.total;
    expect(cells).toEqual([t.threads, t.steps, t.promptTokens, t.completionTokens, t.totalTokens]);
  });

  it("GET / gives browsers a page pointing to the console and docs, API clients JSON; /docs renders the reference offline", async () => {
    const browser = await get("/");
    expect(browser.status).toBe(200);
    const page = await browser.text();
    expect(page).toContain('href="/console"');
    expect(page).toContain('href="/docs"');
    const client = await exports.default.fetch(new Request(`${ORIGIN}/`, { headers: { accept: "*/*" } }));
    expect(await client.json()).toMatchObject({ name: "edge-agents", console: "/console", docs: "/docs" });
    const docs = await get("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-security-policy")).toContain("default-src 'none'");
    const text = await docs.text();
    expect(text).toContain("/v1/threads/{id}/stream");
    expect(text).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)\./);
  });
});

describe("named credentials", () => {
  it("the console reads the API's credentials by the API's rules: a malformed API_TOKENS is 503, not ignored", async () => {
    const { credentials, checkCredential } = await import("../../src/console/credentials");
    const all = credentials({ API_TOKEN: "the-default-token", API_TOKENS: " ops-alice:alice-token-123 , ci.bot:ci-token-456" });
    expect(all.map((c) => c.name)).toEqual(["default", "ops-alice", "ci.bot"]);
    expect(await checkCredential(all, "ops-alice", "alice-token-123")).toMatchObject({ name: "ops-alice" });
    expect(await checkCredential(all, "ops-alice", "ci-token-456")).toBeUndefined();
    expect(await checkCredential(all, "nobody", "alice-token-123")).toBeUndefined();
    for (const bad of [{ API_TOKEN: "" }, { API_TOKEN: "x-token-1234", API_TOKENS: "bad pair" }, { API_TOKEN: "x-token-1234", API_TOKENS: "short:abc" }]) {
      expect(() => credentials(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ status: 503, code: "server_misconfigured" }));
    }
  });
});
