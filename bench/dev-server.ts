/// <reference types="node" />
/**
 * BENCH ONLY: starts the bench Worker (bench/wrangler.toml) under `wrangler dev` on a
 * random port with fresh persistence, the way test/e2e/support/wrangler.ts starts the
 * real one, and stops it (its own process group only) when the run ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import { freePort } from "../test/e2e/support/wrangler";

export type BenchServer = { readonly url: string; /** The inspector (Chrome DevTools protocol) port: bench/profile.ts takes CPU profiles through it. */ readonly inspector: number; stop(): Promise<void>; output(): string };

const SECRETS = {
  API_TOKEN: "bench-token",
  OPENAI_API_KEY: "sk-bench",
  DEPLOY_TARGET_TOKEN: "",
  HUMAN_WEBHOOK_SECRET: "",
  HUMAN_LINK_SECRET: "bench-link-secret",
};
export const BENCH_TOKEN = SECRETS.API_TOKEN;

/** `vars` override bench/wrangler.toml's [vars] for this server (e.g. LOG_LEVEL). */
export async function startBenchServer(root: string, vars: Record<string, string> = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), "edge-agents-bench-"));
  const [port, inspector] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const envFile = writeEnvFile(dir, vars);
  const args = ["dev", "--config", join(root, "bench/wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspector), "--persist-to", join(dir, "state"), "--env-file", envFile);
  args.push("--show-interactive-dev-session=false", "--log-level", "warn");
  const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    detached: true, // own process group: stop() ends wrangler and workerd, nothing else
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...SECRETS, PATH: `${join(root, "node_modules/.bin")}:${process.env["PATH"] ?? ""}`, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const server: BenchServer = { url, inspector, output: () => log, stop: () => stop(child, dir) };
  try {
    await waitUntilUp(child, url, () => log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** The bench's secrets, then `vars`, as an env file in `dir` (never the developer's .dev.vars). */
function writeEnvFile(dir: string, vars: Record<string, string>): string {
  const envFile = join(dir, "bench.env");
  writeFileSync(envFile, Object.entries({ ...SECRETS, ...vars }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n"));
  return envFile;
}

async function waitUntilUp(child: ChildProcess, url: string, log: () => string): Promise<void> {
  const giveUp = Date.now() + 90_000;
  while (Date.now() < giveUp) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log()}`);
    if (await fetch(`${url}/bench/noop/warmup`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url}:\n${log()}`);
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // already gone
      }
    };
    kill("SIGTERM");
    const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!gone) kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The same Worker and configuration on wrangler's runtime with **no DevTools inspector
 * attached**, through wrangler's own API (`unstable_startWorker` with `dev.inspector: false`,
 * in this process). `wrangler dev` always attaches one and carries every console line over
 * it to be printed; here the lines take the way they take without one, workerd's structured
 * stdout, and are counted, not printed. A deployed Worker has no inspector either: this is
 * the nearer figure for what console lines cost there. No CPU profile can be taken of it.
 */
export async function startBenchServerWithoutDevtools(root: string, vars: Record<string, string> = {}): Promise<BenchServer & { lines(): number }> {
  const dir = mkdtempSync(join(tmpdir(), "edge-agents-bench-"));
  const envFile = writeEnvFile(dir, vars);
  let lines = 0;
  let log = "";
  const worker = await unstable_startWorker({
    config: join(root, "bench/wrangler.toml"),
    envFiles: [envFile],
    dev: {
      server: { hostname: "127.0.0.1", port: await freePort() },
      inspector: false,
      persist: join(dir, "state"),
      logLevel: "warn",
      watch: false,
      structuredLogsHandler: (line: { level: string; message: string }) => {
        lines++;
        if (line.level !== "log" && line.level !== "info") log = `${log}${line.message}\n`.slice(-100_000);
      },
    },
  });
  await worker.ready;
  const url = (await worker.url).toString().replace(/\/$/, "");
  return {
    url,
    inspector: 0,
    lines: () => lines,
    output: () => log,
    stop: async () => {
      await worker.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
