/// <reference types="node" />
/**
 * TEST ONLY: serves the scripted OpenAI-compatible model (test/support/scripted-model.ts)
 * from Node over real HTTP, so a `wrangler dev` Worker in another process can call it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ScriptedModel, type GateFactory } from "../../support/scripted-model";

/** Gates as in-memory deferreds: model and test share this one Node process. */
function memoryGates(): GateFactory {
  const gates = new Map<string, { opened: Promise<void>; open: () => void; reached: Promise<void>; reach: () => void }>();
  return (name) => {
    let gate = gates.get(name);
    if (!gate) {
      let open!: () => void;
      let reach!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      const reached = new Promise<void>((r) => (reach = r));
      gate = { opened, open, reached, reach };
      gates.set(name, gate);
    }
    const g = gate;
    return {
      pass: async () => {
        g.reach();
        await g.opened;
      },
      get reached() {
        return g.reached;
      },
      open: async () => g.open(),
    };
  };
}

export type ModelServer = { model: ScriptedModel; baseUrl: string; close(): Promise<void> };

export async function startModelServer(): Promise<ModelServer> {
  const model = new ScriptedModel(memoryGates());
  const server = createServer((req, res) => {
    handle(model, req, res).catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(`model server: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    model,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(model: ScriptedModel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return serveWith((request) => model.fetch(request), req, res);
}

/** Serves one Node request with a web-standard handler (the scripted model, the MCP ledger). */
export async function serveWith(handler: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(key, value);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const response = await handler(
    new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method ?? "GET", headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) }),
  );
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}
