/// <reference types="node" />
/**
 * Console sign-in through Cloudflare Access in the real runtime: `wrangler dev` verifies the
 * Cf-Access-Jwt-Assertion that Access would add to every request (here Chromium adds it, as
 * Access does at the edge) against the team's keys, fetched over real HTTP from a Node server.
 */
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { accessTeam } from "../support/access";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = resolve(import.meta.dirname, "../../test-results/console");
const TEAM = "e2e-team.cloudflareaccess.com";

let model: ModelServer;
let dev: DevServer;
let browser: Browser;
let certs: Server;
let team: Awaited<ReturnType<typeof accessTeam>>;
let certsFetched = 0;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  team = await accessTeam(TEAM, "aud-e2e-console");
  // The team's signing keys, as https://<team>/cdn-cgi/access/certs serves them.
  certs = createServer((req, res) => {
    if (req.url !== "/cdn-cgi/access/certs") return void res.writeHead(404).end();
    certsFetched++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [team.jwk] }));
  });
  await new Promise<void>((r) => certs.listen(0, "127.0.0.1", r));
  const jwksUrl = `http://127.0.0.1:${(certs.address() as AddressInfo).port}/cdn-cgi/access/certs`;
  model = await startModelServer();
  const modelUrl = model.baseUrl;
  dev = await startWranglerDev((url) => e2eVars({ url, token: "e2e-access-unused-token", modelUrl }, { ...team.vars, ACCESS_JWKS_URL: jwksUrl }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
  await model?.close();
  await new Promise((r) => certs?.close(r));
});

describe("console behind Cloudflare Access, under wrangler dev", () => {
  it("the Access identity signs Chromium in, its approval records that identity, a visit without it is turned away, sign-out goes to Access", async () => {
    const assertion = await team.assertion({ email: "Dana@Example.com", sub: "u-dana" });
    const v1 = async <T,>(path: string, init: RequestInit = {}): Promise<T> => {
      const response = await fetch(`${dev.url}/v1${path}`, { ...init, headers: { "cf-access-jwt-assertion": assertion, "content-type": "application/json", ...init.headers } });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const marker = model.model.script("console-access-e2e", [
      { tool: "deploy_backend", args: { tag: "v4.0.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed v4.0.0." } },
    ]);
    const launched = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy v4.0.0 ${marker}` }) });

    // Behind Access, the browser's every request carries the assertion (Access adds it at the edge).
    const context = await browser.newContext({ extraHTTPHeaders: { "cf-access-jwt-assertion": assertion } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${dev.url}/console/inbox`);
    expect(new URL(page.url()).pathname).toBe("/console/inbox");
    await expect(page.locator("header .who").textContent()).resolves.toContain("Signed in as dana@example.com");
    expect((await context.cookies()).map((c) => c.name)).not.toContain("console_session");
    const entry = page.locator("#inbox li", { hasText: launched.id });
    await entry.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/15-access-inbox.png`, fullPage: true });
    await entry.getByRole("button", { name: "Approve", exact: true }).click();
    await entry.waitFor({ state: "detached", timeout: 10_000 });
    const giveUp = Date.now() + 15_000;
    while ((await v1<ThreadView>(`/threads/${launched.id}`)).status !== "done") {
      if (Date.now() > giveUp) throw new Error("not done");
      await new Promise((r) => setTimeout(r, 200));
    }
    const { events } = await v1<{ events: Event[] }>(`/threads/${launched.id}/events?limit=1000`);
    expect(events.find((e) => e.type === "human_responded")?.data).toMatchObject({ approved: true, by: { kind: "console", id: "dana@example.com", verifiedBy: "cloudflare_access" } });
    expect(certsFetched).toBeGreaterThan(0);

    // Sign-out: to Access's own logout on this host (Access ends its session there).
    const [signOut] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/console/sign-out")),
      page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    expect([signOut.status(), signOut.headers()["location"]]).toEqual([303, "/cdn-cgi/access/logout"]);

    // Without Access's assertion (or with a forged one) the console is closed: no credential form to fall back on.
    const outsider = await browser.newPage();
    await outsider.goto(`${dev.url}/console/inbox`);
    expect(new URL(outsider.url()).pathname).toBe("/console/sign-in");
    await expect(outsider.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Sign in through Cloudflare Access");
    await expect(outsider.locator('input[name="token"]').count()).resolves.toBe(0);
    await outsider.screenshot({ path: `${SHOTS}/16-access-sign-in.png`, fullPage: true });
    await outsider.close();
    const forged = await fetch(`${dev.url}/console/inbox/items`, { headers: { "cf-access-jwt-assertion": await team.assertion({ email: "dana@example.com" }, { key: "stranger" }) } });
    expect(forged.status).toBe(401);
    const bearer = await fetch(`${dev.url}/v1/threads/${launched.id}`, { headers: { authorization: "Bearer e2e-access-unused-token" } });
    expect(bearer.status).toBe(401);

    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
