import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AgentRegistry } from "../../agents/types";
import type { Principal } from "../../core";
import { requireApiToken } from "../http/auth";
import { limitBody } from "../http/validate";
import { runtimeMcpServer } from "./server";

type McpEnv = { Bindings: Env; Variables: { principal: Principal; correlationId: string } };

/**
 * `/mcp`: the runtime as an MCP server over Streamable HTTP (docs/mcp.md). Authorised exactly
 * like /v1 (the same middleware: bearer credential or verified Access identity, 401 before any
 * MCP message is read, then the credential's rate limit on writes). Stateless: each POST gets
 * a fresh server and transport, so any isolate serves any request and nothing is kept between
 * them. Without sessions there is no standalone stream: GET answers 405 (the spec's way to say
 * so), and DELETE has no session to end.
 */
export function mcpRoutes(agents: AgentRegistry, outbound: typeof fetch) {
  const app = new Hono<McpEnv>();
  app.use("*", requireApiToken(outbound), limitBody);
  app.get("/", (c) => c.json({ jsonrpc: "2.0", error: { code: -32000, message: "This server is stateless: no standalone stream; POST requests instead." }, id: null }, 405, { allow: "POST, DELETE" }));
  app.on(["POST", "DELETE"], "/", async (c) => {
    // The answer's principal names the MCP path and how the caller was verified (invariant 10).
    const principal: Principal = { kind: "mcp", id: c.var.principal.id, verifiedBy: c.var.principal.verifiedBy };
    const server = runtimeMcpServer(agents, { env: c.env, principal, outbound, correlationId: c.var.correlationId });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
  return app;
}
