/**
 * TEST ONLY: an MCP server of ours on the official SDK (McpServer over the web-standard
 * Streamable HTTP transport, stateless: a fresh server per request). Web-standard Request and
 * Response only, so the same server runs in workerd (the Worker's outbound fetch routes to it)
 * and in Node (served over real HTTP for `wrangler dev`, test/e2e/support/mcp-servers.ts).
 *
 * Its tools count their calls (the side-effect ledger the tests check), and switches make it
 * misbehave: reject the token, forget a tool, hold a call until the test releases it.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

type Held = { reached: Promise<void>; reach: () => void; released: Promise<void>; release: () => void };

export class Ledger {
  /** Calls per tool that reached the tool's code, with their arguments. */
  readonly calls: { tool: string; args: Record<string, unknown> }[] = [];
  /** When set, requests must carry `authorization: Bearer <token>`. */
  token: string | undefined;
  /** Refuse every connection (the harness's fetch checks it; a Node server closes its port instead). */
  down = false;
  /** Tools this server no longer lists or runs. */
  readonly vanished = new Set<string>();
  readonly #held = new Map<string, Held>();
  #entries = 0;

  count(tool: string): number {
    return this.calls.filter((c) => c.tool === tool).length;
  }

  /** The next call of `tool` waits inside the tool until `release(tool)`; resolves once one is waiting. */
  hold(tool: string): Promise<void> {
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    const released = new Promise<void>((r) => (release = r));
    this.#held.set(tool, { reached, reach, released, release });
    return reached;
  }

  release(tool: string): void {
    this.#held.get(tool)?.release();
    this.#held.delete(tool);
  }

  async #ran(tool: string, args: Record<string, unknown>): Promise<void> {
    this.calls.push({ tool, args });
    const held = this.#held.get(tool);
    if (held) {
      held.reach();
      await held.released;
    }
  }

  server(): McpServer {
    const server = new McpServer({ name: "ledger", version: "1.0.0" });
    const tools: [string, () => void][] = [
      [
        "lookup",
        () =>
          server.registerTool(
            "lookup",
            { description: "How many entries the ledger holds.", inputSchema: { prefix: z.string().max(20).optional() }, annotations: { readOnlyHint: true } },
            async (args) => {
              await this.#ran("lookup", args);
              return { content: [{ type: "text", text: `The ledger holds ${this.#entries} entries.` }], structuredContent: { entries: this.#entries } };
            },
          ),
      ],
      [
        "record_entry",
        () =>
          server.registerTool(
            "record_entry",
            {
              description: "Record an entry in the ledger (not idempotent: every call adds one).",
              inputSchema: { note: z.string().min(1).max(200), amount: z.number().int().min(1).max(1000) },
              annotations: { destructiveHint: true, idempotentHint: false },
            },
            async (args) => {
              await this.#ran("record_entry", args);
              this.#entries += 1;
              return { content: [{ type: "text", text: `Recorded entry #${this.#entries}: ${args.note} (${args.amount}).` }] };
            },
          ),
      ],
      [
        "explode",
        () =>
          server.registerTool("explode", { description: "Always fails.", annotations: { readOnlyHint: true } }, async () => {
            await this.#ran("explode", {});
            return { isError: true, content: [{ type: "text", text: "The ledger is on fire." }] };
          }),
      ],
    ];
    for (const [name, register] of tools) if (!this.vanished.has(name)) register();
    return server;
  }

  /** One HTTP request to the server's endpoint (any path). */
  async fetch(request: Request): Promise<Response> {
    if (this.token !== undefined && request.headers.get("authorization") !== `Bearer ${this.token}`) {
      return new Response(JSON.stringify({ error: "invalid_token" }), { status: 401, headers: { "content-type": "application/json" } });
    }
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await this.server().connect(transport);
    return transport.handleRequest(request);
  }
}
