/// <reference types="node" />
/**
 * TEST ONLY: real MCP servers for `wrangler dev` to call, on 127.0.0.1: the reference server
 * `@modelcontextprotocol/server-everything` in its Streamable HTTP mode (its own process), and
 * our ledger (test/support/mcp-ledger.ts, official SDK) served from this Node process, so the
 * test reads its call counts and flips its switches directly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { Ledger } from "../../support/mcp-ledger";
import { serveWith } from "./model-server";
import { freePort } from "./wrangler";

export type LedgerServer = {
  readonly ledger: Ledger;
  readonly url: string;
  /** Closes the port: connections are refused, as for a server that is down. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
};

export async function startLedgerServer(token: string): Promise<LedgerServer> {
  const ledger = new Ledger();
  ledger.token = token;
  const port = await freePort();
  let server: Server | undefined;
  const up = async () => {
    const s = createServer((req, res) => {
      serveWith((request) => ledger.fetch(request), req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
    });
    await new Promise<void>((done) => s.listen(port, "127.0.0.1", done));
    server = s;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((done) => s.close(() => done()));
  };
  await up();
  return { ledger, url: `http://127.0.0.1:${port}/mcp`, down, up, close: down };
}

export type EverythingServer = { readonly url: string; stop(): Promise<void> };

/** `mcp-server-everything streamableHttp` on a free port (its README: PORT sets the port; it serves /mcp). */
export async function startEverything(): Promise<EverythingServer> {
  const root = resolve(import.meta.dirname, "../../..");
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", resolve(import.meta.dirname, "loopback-only.mjs"), resolve(root, "node_modules/@modelcontextprotocol/server-everything/dist/index.js"), "streamableHttp"],
    { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const giveUp = Date.now() + 30_000;
  while (!log.includes("listening on port")) {
    if (child.exitCode !== null) throw new Error(`server-everything exited with ${child.exitCode}:\n${log}`);
    if (Date.now() > giveUp) throw new Error(`server-everything did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once("exit", () => done()));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
