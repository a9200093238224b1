/// <reference types="node" />
/**
 * The operator console end to end: the real Worker under `wrangler dev`, the scripted model
 * over real HTTP, headless Chromium signing in, watching the inbox and a timeline update live,
 * approving, forking; and the stream read by `curl -N`. Screenshots of every page go to
 * test-results/console/.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import type { EvalView } from "../../src/evals/schemas";
import { deployRule } from "../support/eval-rules";
import { apiClient } from "./support/api";
import { shot, useConsoleStack } from "./support/console-stack";

const TOKEN = "e2e-console-token";

const stack = useConsoleStack(TOKEN);

// The threads live in the wrangler dev process: requests that must succeed, and polling.
const api = apiClient(() => stack.dev.url, TOKEN);
const v1 = api.ok;
const until = (id: string, done: (t: ThreadView) => boolean) => api.until(id, done, 20_000);

async function deployThread(name: string): Promise<ThreadView> {
  const marker = stack.model.model.script(name, [
    { tool: "deploy_backend", args: { tag: "v2.0.0", environment: "production" } },
    { tool: "done_for_now", args: { message: "Deployed v2.0.0 to production." } },
  ]);
  return v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy v2.0.0 to production ${marker}` }) });
}


describe("operator console in a real browser", () => {
  it("sign in, a thread appears in the inbox live, approve it there, watch its timeline reach done live, fork it; refusals", async () => {
    const context = await stack.browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // Signed out: the console sends the browser to sign in.
    await page.goto(`${stack.dev.url}/console/inbox`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await shot(page, "01-sign-in");
    // With only API_TOKEN configured, the credential is named "default" (API_TOKENS adds named ones;
    // wrangler dev loads only declared secrets, so that path is covered in test/triggers/console.test.ts).
    await page.getByLabel("Credential name").fill("default");
    await page.getByLabel("Token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${stack.dev.url}/console/inbox`);
    const cookie = (await context.cookies()).find((c) => c.name === "console_session");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict" });
    await shot(page, "02-inbox-empty");

    // A thread launched over the API appears in the open inbox without a reload.
    const launched = await deployThread("console-e2e");
    await until(launched.id, (t) => t.status === "waiting_for_human");
    const entry = page.locator("#inbox li", { hasText: launched.id });
    await entry.waitFor({ timeout: 10_000 });
    await expect(entry.getByRole("heading").textContent()).resolves.toContain("Approve deploy_backend?");
    await expect(entry.locator("[data-countdown]").textContent()).resolves.toMatch(/^\(in /);
    await shot(page, "03-inbox-pending");

    // The thread page, open in a second tab, follows the stream.
    const watcher = await context.newPage();
    watcher.on("pageerror", (e) => pageErrors.push(e.message));
    await watcher.goto(`${stack.dev.url}/console/threads/${launched.id}`);
    await watcher.locator('#thread-header[data-status="waiting_for_human"]').waitFor();
    const before = await watcher.locator("#timeline > li").count();

    // Approve from the inbox, without leaving it.
    await entry.getByLabel("Comment (optional)").fill("Ship it from the console.");
    await entry.getByRole("button", { name: "Approve", exact: true }).click();
    await entry.waitFor({ state: "detached", timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe("/console/inbox");

    await watcher.locator('#thread-header[data-status="done"]').waitFor({ timeout: 15_000 });
    await watcher.locator("#timeline .type", { hasText: "thread_finished" }).waitFor();
    const after = await watcher.locator("#timeline > li").count();
    expect(after).toBeGreaterThan(before);
    const { events } = await v1<{ events: Event[] }>(`/threads/${launched.id}/events?limit=1000`);
    expect(after).toBe(events.length); // every event rendered once, live
    expect(events.find((e) => e.type === "human_responded")).toMatchObject({
      data: { approved: true, comment: "Ship it from the console.", by: { kind: "console", id: "default", verifiedBy: "session" } },
    });
    await expect(watcher.locator("#timeline").textContent()).resolves.toContain("approved by default (console) · “Ship it from the console.”");
    await shot(watcher, "04-thread-done");

    // Fork at the first model decision, with another stack.model.
    const decided = events.find((e) => e.type === "model_decided");
    if (!decided) throw new Error("no model decision");
    const item = watcher.locator(`#e${decided.seq}`);
    await item.locator("summary").click();
    stack.model.model.script(launched.id, [{ tool: "done_for_now", args: { message: "Fork: nothing to deploy." } }]);
    await item.getByLabel("Model").fill("fork-model");
    await item.getByRole("button", { name: `Fork at #${decided.seq}` }).click();
    await watcher.waitForURL(/\/console\/threads\/t_[0-9a-f]{32}$/);
    const forkId = new URL(watcher.url()).pathname.split("/").pop() as string;
    await expect(watcher.locator("#thread-header").textContent()).resolves.toContain(`Forked from${launched.id} at #${decided.seq}`);
    const fork = await v1<ThreadView>(`/threads/${forkId}`);
    expect(fork).toMatchObject({ forkedFrom: { threadId: launched.id, atSeq: decided.seq }, model: "fork-model" });
    await shot(watcher, "05-fork");

    // The other pages.
    await page.goto(`${stack.dev.url}/console/threads?agent=deploybot`);
    await expect(page.locator("#threads tbody").textContent()).resolves.toContain(launched.id);
    await shot(page, "06-threads");
    await page.goto(`${stack.dev.url}/console/agents/deploybot`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Agent deploybot");
    await shot(page, "07-agent");
    await page.goto(`${stack.dev.url}/docs`);
    await page.locator("details.op").first().click();
    await shot(page, "08-docs");
    const phone = await stack.browser.newPage({ viewport: { width: 390, height: 844 } });
    await deployThread("console-e2e-phone");
    await phone.context().addCookies([{ ...cookie!, sameSite: "Strict" }]);
    await phone.goto(`${stack.dev.url}/console/inbox`);
    await phone.locator("#inbox li").first().waitFor({ timeout: 10_000 });
    await shot(phone, "09-inbox-phone");
    // Keyboard: the skip link is the first stop and is visible when focused.
    await phone.keyboard.press("Tab");
    await expect(phone.evaluate("document.activeElement && document.activeElement.textContent")).resolves.toBe("Skip to content");
    await phone.close();

    // A cross-site form post: the browser withholds the SameSite=Strict cookie, and the server refuses.
    const other = await context.newPage();
    const crossOrigin = stack.dev.url.replace("127.0.0.1", "localhost");
    await other.goto(`${crossOrigin}/`);
    const target = await deployThread("console-e2e-csrf");
    await until(target.id, (t) => t.status === "waiting_for_human");
    const [response] = await Promise.all([
      other.waitForResponse((r) => r.url().includes(`/console/threads/${target.id}/cancel`)),
      // A page on another site posts a form to the console (the DOM code runs in the browser).
      other.evaluate(
        `(() => { const f = document.createElement("form"); f.method = "POST"; f.action = ${JSON.stringify(`${stack.dev.url}/console/threads/${target.id}/cancel`)}; document.body.append(f); f.submit(); })()`,
      ),
    ]);
    expect([401, 403]).toContain(response.status());
    // With the cookie but from another origin (a browser that ignores SameSite): the Origin check refuses.
    const forged = await fetch(`${stack.dev.url}/console/threads/${target.id}/cancel`, {
      method: "POST",
      headers: { cookie: `console_session=${cookie!.value}`, origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: "",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect((await v1<ThreadView>(`/threads/${target.id}`)).status).toBe("waiting_for_human");

    // Sign out: the console is closed again.
    await page.goto(`${stack.dev.url}/console/inbox`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${stack.dev.url}/console/sign-in`);
    await page.goto(`${stack.dev.url}/console/threads`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");

    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("the inbox lists oldest first; an eval started from the agent page shows its progress live and the differing case side by side", async () => {
    const context = await stack.browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const cspViolations: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${stack.dev.url}/console/sign-in`);
    await page.getByLabel("Credential name").fill("default");
    await page.getByLabel("Token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${stack.dev.url}/console/inbox`);

    // Oldest first by when each was asked: the older request has the later deadline.
    const ask = async (name: string, humanTimeoutSeconds: number) => {
      const marker = stack.model.model.script(name, [{ tool: "deploy_backend", args: { tag: "v3.0.0", environment: "production" } }]);
      const launched = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy ${marker}`, humanTimeoutSeconds }) });
      return until(launched.id, (t) => t.status === "waiting_for_human");
    };
    const older = await ask("console-e2e-older", 7200);
    const newer = await ask("console-e2e-newer", 600);
    expect(Date.parse(older.pending!.deadline)).toBeGreaterThan(Date.parse(newer.pending!.deadline));
    await page.locator(`#inbox li[data-request="${newer.pending!.requestId}"]`).waitFor({ timeout: 10_000 });
    await page.reload();
    const order = await page.locator("#inbox > li").evaluateAll((items) => items.map((li) => li.getAttribute("data-request")));
    expect(order.filter((r) => r === older.pending!.requestId || r === newer.pending!.requestId)).toEqual([older.pending!.requestId, newer.pending!.requestId]);
    await shot(page, "10-inbox-oldest-first");

    // History: one deploybot thread under the default prompt; the terse prompt would deploy to production instead.
    const gate = "console-e2e-eval-gate";
    const marker = stack.model.model.script("console-e2e-eval", deployRule(gate));
    const history = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy the backend ${marker}`, variant: "default" }) });
    await until(history.id, (t) => t.status === "done");
    const asked = stack.model.model.requests("console-e2e-eval").length;

    await page.goto(`${stack.dev.url}/console/agents/deploybot`);
    await page.getByLabel("Candidate variant").selectOption("terse");
    await page.getByLabel("… or these thread ids").fill(history.id);
    await shot(page, "11-agent-evals");
    await page.getByRole("button", { name: "Start eval" }).click();
    await page.waitForURL(/\/console\/evals\/ev_[0-9a-f]{32}$/);
    const evalId = new URL(page.url()).pathname.split("/").pop() as string;
    // The deploy question is held at the model: the page shows the eval running, then follows it without a reload.
    await stack.model.model.arrived(gate);
    await expect(page.locator("#eval").getAttribute("data-status")).resolves.toBe("running");
    await page.locator("#eval-status-h", { hasText: "2 of 3 questions answered" }).waitFor({ timeout: 10_000 });
    await shot(page, "12-eval-running");
    await stack.model.model.release(gate);
    await page.locator('#eval[data-status="done"]').waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe(`/console/evals/${evalId}`);
    await expect(page.locator("#eval-summary").textContent()).resolves.toContain("66.7%");
    const differing = page.locator("#eval-cases tbody tr");
    await expect(differing.count()).resolves.toBe(1);
    await expect(differing.locator('td[data-label="Baseline"]').textContent()).resolves.toMatch(/deploy_backend[\s\S]*"environment": "staging"/);
    await expect(differing.locator('td[data-label="Candidate"]').textContent()).resolves.toMatch(/deploy_backend[\s\S]*"environment": "production"/);
    await shot(page, "13-eval-done");
    expect(stack.model.model.requests("console-e2e-eval").length).toBe(asked + 3);
    const report = await v1<EvalView>(`/evals/${evalId}`);
    expect(report.summary).toMatchObject({ questions: 3, sameArgs: 2 });

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${stack.dev.url}/console/evals/${evalId}`);
    await shot(phone, "14-eval-phone");
    const overflow = await phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).toBeLessThanOrEqual(0);

    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("the stream works with curl -N: frames with id and event, and heartbeats", async () => {
    const launched = await deployThread("console-e2e-curl");
    const waiting = await until(launched.id, (t) => t.status === "waiting_for_human");
    // curl exits at --max-time with code 28; the output so far is what an operator would see.
    const result = await promisify(execFile)("curl", ["-sN", "--max-time", "2.5", "-H", `Authorization: Bearer ${TOKEN}`, `${stack.dev.url}/v1/threads/${launched.id}/stream`]).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? "", code: error.code }),
    );
    const out = result.stdout;
    expect(out).toContain("id: 1\nevent: thread_launched\ndata: {");
    expect(out).toContain(`id: ${waiting.lastSeq}\n`);
    expect(out).toMatch(/: heartbeat\n/);
  });
});
