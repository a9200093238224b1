/// <reference types="node" />
/**
 * TEST ONLY: a deploy target (DEPLOY_TARGET_URL) served from Node, outside the Worker's
 * process, so it keeps counting while `wrangler dev` is killed and restarted. It records
 * every request it receives and can hold requests until the test releases them: the
 * place to SIGKILL the Worker while a side effect is in flight.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Received = { method: string; path: string; body: string };

export type DeployTarget = {
  readonly url: string;
  /** Every request received, in arrival order (never cleared: the side-effect ledger). */
  readonly received: Received[];
  /** Holds matching requests (e.g. "POST /deployments") until release(); returns a promise of the first arrival. */
  hold(route: string): Promise<void>;
  /** Answers every held request of a route and stops holding it. */
  release(route: string): void;
  count(route: string): number;
  close(): Promise<void>;
};

export async function startDeployTarget(): Promise<DeployTarget> {
  const received: Received[] = [];
  const holds = new Map<string, { arrived: () => void; waiting: (() => void)[] }>();
  const answer = (res: ServerResponse, route: string) => {
    const body = route.startsWith("GET /tags")
      ? { tags: [{ name: "v2.0.0", commit: "f00dfee" }] }
      : { status: "deployed", id: `dep-${received.length}` };
    // A client killed mid-request leaves a dead socket: writing to it must not throw.
    if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const route = `${req.method ?? "GET"} ${path}`;
      received.push({ method: req.method ?? "GET", path, body: Buffer.concat(chunks).toString() });
      const hold = holds.get(route);
      if (!hold) return answer(res, route);
      hold.arrived();
      hold.waiting.push(() => answer(res, route));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hold(route) {
      let arrived!: () => void;
      const first = new Promise<void>((r) => (arrived = r));
      holds.set(route, { arrived, waiting: [] });
      return first;
    },
    release(route) {
      const hold = holds.get(route);
      holds.delete(route);
      for (const go of hold?.waiting ?? []) go();
    },
    count: (route) => received.filter((r) => `${r.method} ${r.path}` === route).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
