/// <reference types="node" />
/**
 * Decisions a change board would sign (invariant 13), end to end: the real Worker under
 * `wrangler dev` with DEPLOY_APPROVALS_REQUIRED=2 and DEPLOY_SELF_APPROVAL=false, the
 * scripted model and a deploy target over real HTTP, headless Chromium on the approval page
 * and the console. The witness for "deployed" is the target's own ledger.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { linkUrl, signLink } from "../../src/channels/links";
import type { Event, ThreadView } from "../../src/core";
import { apiClient, poll } from "./support/api";
import { startDeployTarget, type DeployTarget } from "./support/deploy-target";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "e2e-decisions-link-secret";
const TOKEN = "e2e-decisions-token";
const RM = "e2e-rm-token-1234";

let model: ModelServer | undefined;
let target: DeployTarget | undefined;
let dev: DevServer | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
  await model?.close();
  await target?.close();
});

const base = () => {
  if (!dev) throw new Error("wrangler dev is not running");
  return dev.url;
};
const api = apiClient(base, TOKEN);
const rm = apiClient(base, RM);

async function start(): Promise<{ model: ModelServer; target: DeployTarget; dev: DevServer; browser: Browser }> {
  if (dev && model && target && browser) return { model, target, dev, browser };
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
  model = await startModelServer();
  target = await startDeployTarget();
  const modelUrl = model.baseUrl;
  const targetUrl = target.url;
  dev = await startWranglerDev((url) =>
    e2eVars(
      { url, token: TOKEN, modelUrl },
      { HUMAN_LINK_SECRET: SECRET, DEPLOY_TARGET_URL: targetUrl, DEPLOY_APPROVALS_REQUIRED: "2", DEPLOY_SELF_APPROVAL: "false", API_TOKENS: `release-manager:${RM}` },
    ),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { model, target, dev, browser };
}

/** A production deploy launched by the default credential (the requester), held for two approvers. */
async function held(m: ModelServer, name: string, tag: string, extra: Record<string, unknown> = {}) {
  const marker = m.model.script(name, [
    { tool: "deploy_backend", args: { tag, environment: "production" } },
    { tool: "done_for_now", args: { message: "Done." } },
  ]);
  const launched = await api.ok<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy ${tag} ${marker}`, ...extra }) });
  const waiting = await api.until(launched.id, (t) => t.status === "waiting_for_human");
  const pending = waiting.pending;
  if (!pending) throw new Error("no pending request");
  expect(pending).toMatchObject({ approvals: { required: 2, given: [] }, editable: ["tag"], selfApproval: false });
  return { id: launched.id, pending };
}

async function link(threadId: string, requestId: string, deadline: string, to: string): Promise<string> {
  return linkUrl(base(), await signLink(SECRET, { threadId, requestId: requestId as never, exp: Math.floor(Date.parse(deadline) / 1000), to }));
}

/** A console session in its own browser context, on the inbox. */
async function signIn(b: Browser, name: string, token: string) {
  const context = await b.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base()}/console/sign-in`);
  await page.getByLabel("Credential name").fill(name);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base()}/console/inbox`);
  return { context, page };
}

const respond = (client: typeof api, id: string, body: Record<string, unknown>) => client.v1<{ error?: { code: string } }>(`/threads/${id}/responses`, { method: "POST", body: JSON.stringify(body) });
const deploys = (t: DeployTarget) => t.received.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body) as { tag?: string });

describe("decisions in the real runtime", () => {
  it("bad inputs append nothing; the requester is refused on the API and the console; the link page edits (1 of 2), the same person twice counts once, a second person on the API approves: the edited tag deploys once; the export lists both", async () => {
    const s = await start();
    const { id, pending } = await held(s.model, "e2e-dec-quorum", "v3.0.0");
    const requestId = pending.requestId;
    const before = await api.eventsOf(id);

    // Bad inputs: each its 4xx, nothing appended.
    for (const [body, status, code] of [
      [{ requestId, decision: "edit", args: { environment: "staging" } }, 400, "field_not_editable"],
      [{ requestId, decision: "edit", args: { tag: 5 } }, 400, "invalid_arguments"],
      [{ requestId, decision: "ship-it" }, 400, "invalid_request"],
      [{ requestId, approved: true }, 403, "self_approval_refused"],
      [{ requestId, decision: "edit", args: { tag: "v3.0.1" } }, 403, "self_approval_refused"],
    ] as const) {
      const answer = await respond(body.decision === "edit" && status === 400 ? rm : api, id, body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error?.code).toBe(code);
    }
    expect(await api.eventsOf(id)).toEqual(before);

    // The requester signed in to the console is the same principal ("default"): refused there too.
    const { context, page: consolePage } = await signIn(s.browser, "default", TOKEN);
    const card = consolePage.locator(`[data-request="${requestId}"]`);
    await expect(card.locator(".quorum").textContent()).resolves.toContain("0 of 2 approvals; 2 more needed.");
    await card.getByRole("button", { name: "Approve", exact: true }).click();
    await poll(() => card.locator(".form-status").textContent(), (t) => /launched this thread/.test(t ?? ""), 10_000, (t) => `console status: ${t}`);
    expect(await api.eventsOf(id)).toEqual(before);
    await context.close();

    // Alice edits on the approval page: her approval of tag v3.0.1, 1 of 2.
    const page = await s.browser.newPage({ viewport: { width: 414, height: 896 } });
    const url = await link(id, requestId, pending.deadline, "alice@example.com");
    expect((await page.goto(url))?.status()).toBe(200);
    await page.getByLabel("tag").fill("v3.0.1");
    await page.getByRole("button", { name: "Approve with my changes" }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approval recorded");
    expect(await page.getByRole("status").textContent()).toContain("1 of 2 approvals (alice@example.com); 1 more needed.");
    // Alice again: counts once.
    expect((await page.goto(url))?.status()).toBe(200);
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("You already approved this request");
    await page.close();
    expect(deploys(s.target)).toEqual([]);

    // release-manager approves on the API: 2 of 2, the edited tag deploys, once.
    const second = await respond(rm, id, { requestId, decision: "approve" });
    expect(second.status).toBe(200);
    await api.until(id, (t) => t.status === "done");
    expect(deploys(s.target)).toEqual([expect.objectContaining({ tag: "v3.0.1" })]);
    const events: Event[] = await api.eventsOf(id);
    const answers = events.flatMap((e) => (e.type === "human_responded" ? [[e.data.by.kind, e.data.by.id, e.data.decision ?? "approve"]] : []));
    expect(answers).toEqual([
      ["link", "alice@example.com", "edit"],
      ["api", "release-manager", "approve"],
    ]);

    // The audit export lists every decision of this thread, newest first.
    type Row = { threadId: string; decision: string; originalArgs: unknown; finalArgs: unknown; principal: { id: string }; channel: string };
    const rows = await poll(
      async () => (await api.ok<{ decisions: Row[] }>("/decisions?agent=deploybot&limit=500")).decisions.filter((r) => r.threadId === id),
      (r) => r.length === 2,
      10_000,
      (r) => `export has ${JSON.stringify(r)}`,
    );
    expect(rows.map((r) => [r.decision, r.principal.id, r.channel, r.finalArgs])).toEqual([
      ["approve", "release-manager", "api", { tag: "v3.0.1", environment: "production" }],
      ["edit", "alice@example.com", "link", { tag: "v3.0.1", environment: "production" }],
    ]);
    expect(rows[1]?.originalArgs).toEqual({ tag: "v3.0.0", environment: "production" });
    const ndjson = await fetch(`${base()}/v1/decisions?agent=deploybot`, { headers: { authorization: `Bearer ${TOKEN}`, accept: "application/x-ndjson" } });
    expect(ndjson.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await ndjson.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
    expect(lines.filter((r) => r.threadId === id)).toEqual(rows);
  });

  it("edits in the console (its approval, 1 of 2) and a second person approves on the link page: the edit deploys once", async () => {
    const s = await start();
    const { id, pending } = await held(s.model, "e2e-dec-console", "v4.0.0");
    const { context, page: consolePage } = await signIn(s.browser, "release-manager", RM);
    const card = consolePage.locator(`[data-request="${pending.requestId}"]`);
    await card.getByLabel("Change tag").fill("v4.0.1");
    await card.getByRole("button", { name: "Approve with changes" }).click();
    const waiting = await api.until(id, (t) => (t.pending?.approvals?.given.length ?? 0) === 1);
    expect(waiting.pending).toMatchObject({ tool: { args: { tag: "v4.0.1" } }, approvals: { given: [{ by: { kind: "console", id: "release-manager" } }] }, edited: { originalArgs: { tag: "v4.0.0" } } });
    await context.close();

    const page = await s.browser.newPage();
    expect((await page.goto(await link(id, pending.requestId, pending.deadline, "bob@example.com")))?.status()).toBe(200);
    expect(await page.locator(".quorum").textContent()).toContain("1 of 2 approvals (release-manager); 1 more needed.");
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approved");
    await page.close();
    await api.until(id, (t) => t.status === "done");
    expect(deploys(s.target).filter((d) => d.tag?.startsWith("v4"))).toEqual([expect.objectContaining({ tag: "v4.0.1" })]);
  });

  it("a deadline that passes with 1 of 2 approvals times out under the policy: nothing deploys", async () => {
    const s = await start();
    const { id, pending } = await held(s.model, "e2e-dec-deadline", "v5.0.0", { humanTimeoutSeconds: 3, onHumanTimeout: "deny" });
    expect((await respond(rm, id, { requestId: pending.requestId, approved: true })).status).toBe(200);
    // The real clock and the thread's own alarm: no answer, no poke.
    const done = await api.until(id, (t) => t.status === "done", 30_000);
    expect(done.result?.message).toBe("Done.");
    const events = await api.eventsOf(id);
    expect(events.map((e) => e.type)).toContain("human_timed_out");
    expect(events.some((e) => e.type === "tool_started")).toBe(false);
    expect(deploys(s.target).some((d) => d.tag === "v5.0.0")).toBe(false);
    const late = await respond(api, id, { requestId: pending.requestId, decision: "reject" });
    expect(late.status).toBe(409);
  });
});
