/// <reference types="node" />
/**
 * The README's "5-minute tour" is a promise to a newcomer: this test keeps it true. It
 * starts `wrangler dev` with exactly the settings `npm run dev` copies from
 * .dev.vars.example (MODEL=demo, the DEMO deploy target), takes the tour's shell blocks
 * out of README.md, and runs them in bash against the server, as written (only the host
 * and port differ).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { apiClient } from "./support/api";
import { startWranglerDev, type DevServer } from "./support/wrangler";

const root = resolve(import.meta.dirname, "../..");

/** KEY=value lines of .dev.vars.example, as wrangler reads .dev.vars. */
function devVarsExample(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(resolve(root, ".dev.vars.example"), "utf8").split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) vars[match[1]] = match[2] ?? "";
  }
  return vars;
}

/** The ```sh blocks of the README section that starts with `heading`. */
function shellBlocks(heading: string): string[] {
  const readme = readFileSync(resolve(root, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

const vars = devVarsExample();
const token = vars["API_TOKEN"] ?? "";
let server: DevServer;
const api = apiClient(() => server.url, token);

/** Runs a README block in bash against the test server; returns what it printed. */
function run(block: string, prelude = "", timeout = 30_000): string {
  const host = new URL(server.url).host;
  const script = `set -euo pipefail\nT="authorization: Bearer ${token}"; J="content-type: application/json"\n${prelude}${block.replaceAll("localhost:8787", host)}`;
  // stderr is kept (a failure's error carries it) rather than printed into the suite's output.
  return execFileSync("bash", ["-c", script], { encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(async () => {
  server = await startWranglerDev((url) => ({ ...vars, PUBLIC_URL: url }));
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

describe("the README tour, as written, against npm run dev's settings", () => {
  it("uses the DEMO model and target: no key, no network", () => {
    expect(vars["MODEL"]).toBe("demo");
    expect(vars["DEPLOY_TARGET_URL"]).toBe("");
  });

  it("a staging deploy finishes; a production deploy waits with an approval link; approving it over the API finishes it", async () => {
    const [launch, answer] = shellBlocks("A 5-minute tour");
    expect(launch).toContain("tour-2");
    expect(answer).toContain("/responses");

    run(launch ?? "");
    const staging = await api.until("tour-1", (t) => t.status === "done", 20_000);
    expect(staging.result?.message).toMatch(/staging/);
    const production = await api.until("tour-2", (t) => t.status === "waiting_for_human", 20_000);
    expect(production.pending?.kind).toBe("approval");
    expect(production.pending?.tool).toEqual({ name: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } });

    // The link the README tells you to open serves the approval page.
    const link = production.pending?.link;
    expect(link).toMatch(new RegExp(`^${server.url}/h/`));
    const page = await fetch(link ?? "");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Approve");

    run(answer ?? "");
    const done = await api.until("tour-2", (t) => t.status === "done", 20_000);
    expect(done.result?.message).toMatch(/production/);
    const events = (await api.v1<{ events: Event[] }>("/threads/tour-2/events?limit=100")).body.events;
    expect(events.filter((e) => e.type === "tool_started" && e.data.tool === "deploy_backend")).toHaveLength(1);
    expect(events.some((e) => e.type === "human_responded" && e.data.approved === true)).toBe(true);
  }, 90_000);

  it("the Prompt variants section: variant stats, then `npm run eval` on the tour's threads, as written", () => {
    const [block] = shellBlocks("Prompt variants and evals");
    expect(block).toContain("npm run eval");
    // execFileSync throws on a non-zero exit: below --min-agreement, or a refused request.
    const printed = run(block ?? "", "", 90_000);
    expect(printed).toMatch(/"terse"/);
    const questions = /questions\s+(\d+) \(answered (\d+)\)/.exec(printed);
    expect(questions, printed).not.toBeNull();
    expect(Number(questions?.[1])).toBeGreaterThan(0);
    expect(questions?.[2]).toBe(questions?.[1]);
    expect(printed).toMatch(/agreement\s+\d+(\.\d+)?%/);
  }, 120_000);
});
