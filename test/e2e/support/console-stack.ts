/// <reference types="node" />
/**
 * TEST ONLY: what a console test in a real browser runs against: the scripted model over real
 * HTTP, `wrangler dev` with one API token, and headless Chromium (Debian's). Screenshots go
 * to test-results/console/.
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startModelServer, type ModelServer } from "./model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./wrangler";

const CHROMIUM = "/usr/bin/chromium";
export const SHOTS = resolve(import.meta.dirname, "../../../test-results/console");

export type ConsoleStack = { model: ModelServer; dev: DevServer; browser: Browser; stop(): Promise<void> };

export async function startConsoleStack(token: string): Promise<ConsoleStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\`.`);
  mkdirSync(SHOTS, { recursive: true });
  const model = await startModelServer();
  const modelUrl = model.baseUrl;
  const dev = await startWranglerDev((url) => e2eVars({ url, token, modelUrl }, { STREAM_HEARTBEAT_SECONDS: "1" }));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    model,
    dev,
    browser,
    async stop() {
      await browser.close();
      await dev.stop();
      await model.close();
    },
  };
}

/** Starts the stack before the file's tests and stops it after; read its parts once it runs. */
export function useConsoleStack(token: string): Omit<ConsoleStack, "stop"> {
  let stack: ConsoleStack | undefined;
  beforeAll(async () => {
    stack = await startConsoleStack(token);
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });
  const running = () => {
    if (!stack) throw new Error("the console stack is not running (beforeAll failed?)");
    return stack;
  };
  return {
    get model() {
      return running().model;
    },
    get dev() {
      return running().dev;
    },
    get browser() {
      return running().browser;
    },
  };
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
