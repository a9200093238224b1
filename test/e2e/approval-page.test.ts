/// <reference types="node" />
/**
 * End to end, as a person would: the real Worker under `wrangler dev`, the scripted model
 * over real HTTP, and headless Chromium opening the approval link and pressing Approve.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { linkUrl, signLink } from "../../src/channels/links";
import type { Event, ThreadView } from "../../src/core";
import { apiClient } from "./support/api";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "e2e-link-secret";
const TOKEN = "e2e-api-token";
const SCREENSHOT = "/tmp/approval-page.png";

let model: ModelServer | undefined;
let dev: DevServer | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
  await model?.close();
});

// The thread lives in the wrangler dev process: requests that must succeed, and polling.
const api = apiClient(() => {
  if (!dev) throw new Error("wrangler dev is not running");
  return dev.url;
}, TOKEN);
const v1 = api.ok;
const until = api.until;

describe("approval link in a real browser", () => {
  it("shows the held deploy, and pressing Approve runs it", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    }
    model = await startModelServer();
    const modelUrl = model.baseUrl;
    dev = await startWranglerDev((url) => e2eVars({ url, token: TOKEN, modelUrl }, { HUMAN_LINK_SECRET: SECRET }));

    const marker = model.model.script("e2e-approve", [
      { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed v1.2.3 to production." } },
    ]);
    const launched = await v1<ThreadView>("/agents/deploybot/threads", {
      method: "POST",
      body: JSON.stringify({ message: `deploy v1.2.3 to production ${marker}` }),
    });
    const waiting = await until(launched.id, (t) => t.status === "waiting_for_human");
    const pending = waiting.pending;
    expect(pending).toMatchObject({ kind: "approval", tool: { name: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } } });
    if (!pending) throw new Error("no pending request");
    const exp = Math.floor(Date.parse(pending.deadline) / 1000);
    const url = linkUrl(dev.url, await signLink(SECRET, { threadId: launched.id, requestId: pending.requestId, exp, to: "alice@example.com" }));

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage({ viewport: { width: 414, height: 896 } }); // a phone-sized window
    const cspViolations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const opened = await page.goto(url);
    expect(opened?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approval needed: deploy_backend");
    const table = page.getByRole("table");
    expect(await table.getByRole("row", { name: /tag/ }).textContent()).toContain("v1.2.3");
    expect(await table.getByRole("row", { name: /environment/ }).textContent()).toContain("production");
    await page.getByLabel("Comment for the agent (optional)").fill("Ship it.");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.waitForURL(url); // the form posts back to the link itself
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approved");
    await page.screenshot({ path: SCREENSHOT.replace(".png", "-result.png"), fullPage: true });
    expect(cspViolations).toEqual([]);

    const done = await until(launched.id, (t) => t.status === "done" || t.status === "failed");
    expect(done).toMatchObject({ status: "done", result: { message: "Deployed v1.2.3 to production." } });
    const { events } = await v1<{ events: Event[] }>(`/threads/${launched.id}/events?limit=1000`);
    expect(events.find((e) => e.type === "human_responded")).toMatchObject({
      // Links are issued per recipient: the recipient is on record as the approver (invariant 10).
      data: { approved: true, comment: "Ship it.", by: { kind: "link", id: "alice@example.com", verifiedBy: "signed_link" } },
    });
    const succeeded = events.find((e) => e.type === "tool_succeeded" && e.data.tool === "deploy_backend");
    expect(succeeded).toMatchObject({ data: { result: { demo: true, tag: "v1.2.3", environment: "production" } } });
  });
});
