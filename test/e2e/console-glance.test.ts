/// <reference types="node" />
/**
 * The console read at a glance (issue 26), in headless Chromium against `wrangler dev`:
 * a finished thread's timeline fits one screen with every JSON block closed, live events
 * append as one line each, the keyboard approves exactly the focused card, and axe finds no
 * serious or critical violation on any page. Screenshots go to test-results/console/.
 */
import { AxeBuilder } from "@axe-core/playwright";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { apiClient } from "./support/api";
import { shot, useConsoleStack } from "./support/console-stack";

const TOKEN = "e2e-glance-token";

const stack = useConsoleStack(TOKEN);

const api = apiClient(() => stack.dev.url, TOKEN);
const v1 = api.ok;
const until = (id: string, done: (t: ThreadView) => boolean) => api.until(id, done, 20_000);

async function deployThread(name: string, tag: string, look = false): Promise<ThreadView> {
  const marker = stack.model.model.script(name, [
    ...(look ? [{ tool: "list_git_tags", args: {} }] : []),
    { tool: "deploy_backend", args: { tag, environment: "production" } },
    { tool: "done_for_now", args: { message: `Deployed ${tag} to production.` } },
  ]);
  const launched = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy ${tag} to production ${marker}` }) });
  return until(launched.id, (t) => t.status === "waiting_for_human");
}

async function signedIn(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await stack.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(`${stack.dev.url}/console/sign-in`);
  await page.getByLabel("Credential name").fill("default");
  await page.getByLabel("Token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.dev.url}/console/inbox`);
  return { context, page, errors };
}

/** axe-core's serious and critical findings on the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

describe("the console at a glance", () => {
  it("a live timeline appends each event as one line; the finished thread fits one screen with no JSON open", async () => {
    const { context, page, errors } = await signedIn();
    const waiting = await deployThread("glance-live", "v1.2.3", true);
    await page.goto(`${stack.dev.url}/console/threads/${waiting.id}`);
    const before = await page.locator("#timeline > li").count();
    await v1(`/threads/${waiting.id}/responses`, { method: "POST", body: JSON.stringify({ requestId: waiting.pending!.requestId, approved: true }) });
    await page.locator('#thread-header[data-status="done"]').waitFor({ timeout: 15_000 });
    await page.locator("#timeline .type", { hasText: "thread_finished" }).waitFor();
    const { events } = await v1<{ events: Event[] }>(`/threads/${waiting.id}/events?limit=1000`);
    expect(events.length).toBeGreaterThanOrEqual(9);
    const items = page.locator("#timeline > li");
    await expect(items.count()).resolves.toBe(events.length);
    expect(events.length).toBeGreaterThan(before);

    // Every line, the live ones too: one row of text (no block, no JSON) with its summary.
    const lineHeight = await page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)");
    const heights = await items.evaluateAll((lis) => lis.map((li) => li.getBoundingClientRect().height));
    for (const [i, h] of heights.entries()) expect(h, `event #${i + 1}`).toBeLessThan(2 * (lineHeight as number));
    const appended = items.nth(events.length - 1);
    await expect(appended.locator(".summary").textContent()).resolves.toBe("done: “Deployed v1.2.3 to production.”");
    await expect(page.locator("#timeline li", { hasText: "chose deploy_backend" }).first().locator(".summary").textContent()).resolves.toMatch(
      /^chose deploy_backend tag=v1\.2\.3 environment=production · \d+ ms · \d+\+\d+ tokens$/,
    );
    await expect(page.locator("#timeline time").first().getAttribute("title")).resolves.toBe(events[0]!.at);
    await expect(page.locator("#timeline time").first().textContent()).resolves.toMatch(/^\d+ s ago$/);

    // Reloaded, the whole finished thread fits one 900 px screen with no JSON block open.
    await page.reload();
    await expect(page.locator("details[open]").count()).resolves.toBe(0);
    const bottom = await page.locator("#timeline").evaluate((ol) => ol.getBoundingClientRect().bottom);
    expect(bottom).toBeLessThanOrEqual(900);
    await shot(page, "20-thread-one-screen");
    expect(await violations(page)).toEqual([]);
    // The JSON is one click away.
    await items.nth(1).locator("summary").click();
    await expect(items.nth(1).locator("pre").textContent()).resolves.toContain('"type": "model_decided"');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keyboard: j/k move between cards, a approves the focused card once, r rejects after a confirm; focus stays in the list", async () => {
    const { context, page, errors } = await signedIn();
    const first = await deployThread("glance-key-1", "v1.0.0");
    const second = await deployThread("glance-key-2", "v1.0.1");
    // The inbox reads the thread index (about a second behind): wait until both cards are in.
    await page.locator(`li[data-request="${second.pending!.requestId}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`li[data-request="${first.pending!.requestId}"]`).waitFor({ timeout: 10_000 });
    await page.reload();
    const cards = page.locator("#inbox > li[data-request]");
    const order = await cards.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-request")));
    const mine = [first.pending!.requestId, second.pending!.requestId];
    expect(order.filter((r) => mine.includes(r!))).toEqual(mine);
    // The card reads as a table: the arguments, who may answer, the deadline, the policy.
    const card = page.locator(`li[data-request="${second.pending!.requestId}"]`);
    await expect(card.locator("table.kv th").allTextContents()).resolves.toEqual(["tag", "environment"]);
    await expect(card.locator("dl.facts").textContent()).resolves.toMatch(/Who may answer.*Deadline\(in .*On timeout/);
    expect(await violations(page)).toEqual([]);
    await shot(page, "21-inbox-cards");

    // Move to the second of mine and approve it with `a`.
    for (let i = 0; i <= order.indexOf(second.pending!.requestId); i++) await page.keyboard.press("j");
    await expect(page.evaluate("document.activeElement.getAttribute('data-request')")).resolves.toBe(second.pending!.requestId);
    await page.keyboard.press("k");
    await expect(page.evaluate("document.activeElement.getAttribute('data-request')")).resolves.toBe(order[order.indexOf(second.pending!.requestId) - 1]);
    await page.keyboard.press("j");
    await page.keyboard.press("a");
    await card.waitFor({ state: "detached", timeout: 10_000 }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; the card says: ${await card.locator(".form-status").textContent()}; focus: ${await page.evaluate("document.activeElement && document.activeElement.outerHTML.slice(0, 120)")}`);
    });
    await card.waitFor({ state: "detached", timeout: 10_000 });
    await until(second.id, (t) => t.status === "done");
    await expect(page.evaluate("document.activeElement.getAttribute('data-request')")).resolves.toBe(first.pending!.requestId);
    // Pressed again, `a` does not reach the answered card: only the focused one is ever answered.
    const answers = async (id: string) => (await v1<{ events: Event[] }>(`/threads/${id}/events?limit=1000`)).events.filter((e) => e.type === "human_responded");
    expect(await answers(second.id)).toHaveLength(1);
    expect((await v1<ThreadView>(`/threads/${first.id}`)).status).toBe("waiting_for_human");

    // `r` asks first: dismissed, nothing happens; accepted, the focused card is rejected.
    page.once("dialog", (d) => void d.dismiss());
    await page.keyboard.press("r");
    await expect(page.locator(`li[data-request="${first.pending!.requestId}"]`).count()).resolves.toBe(1);
    expect(await answers(first.id)).toHaveLength(0);
    page.once("dialog", (d) => void d.accept());
    await page.keyboard.press("r");
    await page.locator(`li[data-request="${first.pending!.requestId}"]`).waitFor({ state: "detached", timeout: 10_000 });
    const rejected = await answers(first.id);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ data: { approved: false } });
    expect(await answers(second.id)).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the threads list: search by launch text (any case) or id start, filter by status; each row shows the launch, the newest event and what it waits on", async () => {
    const { context, page, errors } = await signedIn();
    const run = Math.random().toString(36).slice(2, 8);
    const first = await deployThread(`glance-find-${run}-a`, `v7.${run}.1`);
    const second = await deployThread(`glance-find-${run}-b`, `v7.${run}.2`);
    const rows = () => page.locator("#threads tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-thread")));
    const search = async (q: string, status = "") => {
      await page.goto(`${stack.dev.url}/console/threads`);
      await page.getByLabel("Thread id or launch text").fill(q);
      await page.getByLabel("Status", { exact: true }).selectOption(status);
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL(/\/console\/threads\?/);
    };
    // The index is about a second behind its threads: wait until both rows are there as waiting (the push that carries what they wait on).
    await expect.poll(async () => (await search(`GLANCE-FIND-${run.toUpperCase()}`, "waiting_for_human"), (await rows()).sort()), { timeout: 10_000 }).toEqual([first.id, second.id].sort());
    await search(`GLANCE-FIND-${run.toUpperCase()}`);
    await expect(rows().then((r) => r.sort())).resolves.toEqual([first.id, second.id].sort());
    await search(`V7.${run}.2`);
    await expect(rows()).resolves.toEqual([second.id]);
    const row = page.locator(`tr[data-thread="${second.id}"]`);
    await expect(row.locator(".launch").textContent()).resolves.toBe(`deploy v7.${run}.2 to production [script:glance-find-${run}-b]`);
    await expect(row.locator('td[data-label="Waiting on"]').textContent()).resolves.toBe("approval deploy_backend");
    await expect(row.locator('td[data-label="Last event"] .type').textContent()).resolves.toMatch(/^ (human_requested|notification_sent)$/);
    await search(second.id.slice(0, 10));
    await expect(rows()).resolves.toContain(second.id);
    await search(`glance-find-${run}`, "done");
    await expect(rows()).resolves.toEqual([]);
    await expect(page.getByText("No threads match.").count()).resolves.toBe(1);
    await search(`glance-find-${run}`, "waiting_for_human");
    await expect(rows().then((r) => r.sort())).resolves.toEqual([first.id, second.id].sort());
    await shot(page, "24-threads-search");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("no serious or critical accessibility violation on any page, in light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { context, page } = await signedIn();
      await page.emulateMedia({ colorScheme });
      const waiting = await deployThread(`glance-axe-${colorScheme}`, "v9.9.9");
      const pages = ["/console/inbox", "/console/threads", `/console/threads/${waiting.id}`, "/console/agents", "/console/agents/deploybot"];
      for (const path of pages) {
        await page.goto(`${stack.dev.url}${path}`);
        expect(await violations(page), `${colorScheme} ${path}`).toEqual([]);
      }
      if (colorScheme === "dark") await shot(page, "22-agent-dark");
      await page.goto(`${stack.dev.url}/console/threads/${waiting.id}`);
      if (colorScheme === "dark") await shot(page, "23-thread-dark");
      await context.close();
      const signedOut = await stack.browser.newContext({ colorScheme });
      const signIn = await signedOut.newPage();
      await signIn.goto(`${stack.dev.url}/console/sign-in`);
      expect(await violations(signIn), `${colorScheme} sign-in`).toEqual([]);
      await signedOut.close();
    }
  });
});
