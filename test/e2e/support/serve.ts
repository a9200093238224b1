/// <reference types="node" />
/**
 * TEST ONLY: serves a fetch-style handler (`Request -> Response`) from Node over real HTTP,
 * so a `wrangler dev` Worker in another process can call it (Slack's stand-in).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serveWith } from "./model-server";

export type Served = { origin: string; close(): Promise<void> };

export async function serveFetch(handler: (request: Request) => Promise<Response>, name: string): Promise<Served> {
  const server = createServer((req, res) => {
    serveWith(handler, req, res).catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${name}: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
