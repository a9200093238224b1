/// <reference types="node" />
/**
 * TEST ONLY: runs the real Worker under `wrangler dev` in its own process, with its own
 * port, fresh persistence and an env file of ours: never the developer's .dev.vars.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export type DevServer = {
  url: string;
  stop(): Promise<void>;
  output(): string;
  /** The directory holding this server's persisted state (pass it to a restart). */
  readonly stateDir: string;
  /** SIGKILLs wrangler and workerd (the whole process group) and keeps the state for a restart. */
  kill(): Promise<void>;
};

/** Options for startWranglerDev: reuse the state of a killed server to prove a restart. */
export type DevOptions = { readyWithinMs?: number; stateDir?: string; /** Another Worker entry than wrangler.toml's `main` (same bindings). */ main?: string };

export async function freePort(): Promise<number> {
  // Below Linux's ephemeral range (32768-60999): a port the OS handed out for `listen(0)` and
  // took back can be handed to someone else's `listen(0)` (wrangler's own helpers, another
  // server starting) before ours binds it, and `wrangler dev` then exits with "Address already
  // in use" (seen once in the bench). The OS hands out no port from this range by itself.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error("no free port in 20000-31999 after 100 tries");
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((done) => {
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => done(true));
  });
  if (listening) await new Promise<void>((done) => server.close(() => done()));
  return listening;
}

/** Starts `wrangler dev` with `vars` (secrets and var overrides) and waits until it answers. */
export async function startWranglerDev(vars: (url: string) => Record<string, string>, options: number | DevOptions = 60_000): Promise<DevServer> {
  const { readyWithinMs = 60_000, stateDir, main } = typeof options === "number" ? { readyWithinMs: options } : options;
  const root = resolve(import.meta.dirname, "../../..");
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), "edge-agents-e2e-"));
  const [port, inspector] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const values = vars(url);
  const envFile = join(dir, "e2e.env");
  writeFileSync(envFile, Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n"));
  const args = ["dev", ...(main ? [main] : []), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector)];
  args.push("--persist-to", join(dir, "state"), "--env-file", envFile, "--show-interactive-dev-session=false");
  const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    // Own process group, so stop() ends wrangler and its workerd child, and nothing else.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // wrangler lets process.env win over the env file: set the same values here too.
      ...values,
      PATH: `${join(root, "node_modules/.bin")}:${process.env["PATH"] ?? ""}`,
      WRANGLER_SEND_METRICS: "false",
      // The tests read the Worker's console lines from this output (vitest.config.ts quiets wrangler for itself).
      WRANGLER_LOG: "log",
      CI: "true",
    },
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const server: DevServer = { url, output: () => log, stop: () => stop(child, dir), stateDir: dir, kill: () => kill(child) };
  try {
    await waitUntilUp(child, url, readyWithinMs, () => log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilUp(child: ChildProcess, url: string, withinMs: number, log: () => string): Promise<void> {
  const giveUp = Date.now() + withinMs;
  while (Date.now() < giveUp) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log()}`);
    const up = await fetch(`${url}/`).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${withinMs} ms:\n${log()}`);
}

/** A crash, not a shutdown: no SIGTERM first, and the persisted state stays on disk. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  process.kill(-child.pid, "SIGKILL");
  await exited;
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!killed) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The env every e2e server starts from: the scripted model, no human channels, no deploy
 * target, no link secret; each test overrides what it exercises (e.g. HUMAN_LINK_SECRET).
 */
export function e2eVars(base: { url: string; token: string; modelUrl: string }, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    API_TOKEN: base.token,
    PUBLIC_URL: base.url,
    MODEL: "scripted-model",
    OPENAI_BASE_URL: base.modelUrl,
    OPENAI_API_KEY: "sk-e2e",
    DEPLOY_TARGET_URL: "",
    DEPLOY_TARGET_TOKEN: "",
    HUMAN_LINK_SECRET: "",
    HUMAN_WEBHOOK_URL: "",
    HUMAN_WEBHOOK_SECRET: "",
    ...overrides,
  };
}
