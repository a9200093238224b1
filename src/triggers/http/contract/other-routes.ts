import { createRoute } from "@hono/zod-openapi";
import { z } from "./zod";
import { errors, html, json } from "./responses";
import { Root, WebhookAccepted } from "./schemas";

// Routes whose handlers are plain Hono (HTML pages, raw-body webhooks, the document itself):
// documented here with `registerPath`, so the document still lists every route the app serves.

export const root = createRoute({
  method: "get",
  path: "/",
  tags: ["meta"],
  summary: "Service index: JSON for API clients; browsers (Accept: text/html) get a page linking the console and the docs",
  responses: { 200: { description: "The index.", content: { "application/json": { schema: Root }, "text/html": { schema: z.string() } } } },
});

export const openapiDocument = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["meta"],
  summary: "This OpenAPI 3.1 document",
  responses: { 200: json(z.record(z.string(), z.unknown()), "The document.") },
});

export const docsPage = createRoute({
  method: "get",
  path: "/docs",
  tags: ["meta"],
  summary: "Interactive API reference (rendered from /openapi.json, works offline)",
  responses: { 200: html("The reference page.") },
});

const token = z.object({ token: z.string().openapi({ param: { name: "token", in: "path" } }) });

export const humanLinkPage = createRoute({
  method: "get",
  path: "/h/{token}",
  tags: ["humans"],
  summary: "The approval/answer page behind a signed, expiring link",
  request: { params: token },
  responses: { 200: html("The request page."), 403: html("Invalid link."), 404: html("Unknown thread."), 409: html("No longer open."), 410: html("Expired link.") },
});

export const humanLinkAnswer = createRoute({
  method: "post",
  path: "/h/{token}",
  tags: ["humans"],
  summary: "Submit the approval/answer form (recorded with by.kind = link)",
  request: {
    params: token,
    body: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: z.object({ decision: z.enum(["approve", "reject"]).optional(), comment: z.string().optional(), answer: z.string().optional() }),
        },
      },
    },
  },
  responses: {
    200: html("Recorded."),
    400: html("Invalid form."),
    403: html("Invalid link."),
    409: html("Already answered or expired."),
    410: html("Expired link."),
    413: html("Too large."),
    415: html("Not a form."),
  },
});

export const webhook = createRoute({
  method: "post",
  path: "/v1/webhooks/{source}",
  tags: ["webhooks"],
  summary: "Inbound signed webhook (github, slack): launches or feeds a thread; authorised by the source's signature",
  request: {
    params: z.object({ source: z.string().openapi({ param: { name: "source", in: "path" }, example: "github" }) }),
    body: { content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
  responses: {
    200: json(WebhookAccepted, "Ignored, duplicate, or a source handshake reply."),
    201: json(WebhookAccepted, "Launched a thread."),
    202: json(WebhookAccepted, "Messaged a thread."),
    ...errors(400, 401, 404, 405, 409, 413),
  },
});

// The console (src/console): HTML pages and fragments behind a session cookie (or a Cloudflare Access identity). State changes
// also need a same-origin request (Origin check); they answer 303 to the next page, or JSON
// when the client script asks for it.
const consoleRoute = (method: "get" | "post", path: string, summary: string) =>
  createRoute({
    method,
    path,
    tags: ["console"],
    summary,
    ...(path.includes("{") ? { request: { params: z.object(Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] as string, z.string()]))) } } : {}),
    responses:
      method === "get"
        ? { 200: html("The page or fragment."), 303: { description: "Signed out: to the sign-in page." }, ...errors(400, 401, 404) }
        : { 303: { description: "Done: to the next page." }, 200: json(z.record(z.string(), z.unknown()), "Done (client script)."), ...errors(400, 401, 403, 404, 409, 415) },
  });

export const consoleRoutesDoc = [
  consoleRoute("get", "/console/static/console.js", "The console's client script"),
  consoleRoute("get", "/console/static/console.css", "The console's and the reference's stylesheet"),
  consoleRoute("get", "/console/sign-in", "Sign-in form; behind Cloudflare Access, a forward (valid assertion) or 401 (none)"),
  consoleRoute("post", "/console/sign-in", "Exchange a named credential for a session cookie (HttpOnly; Secure; SameSite=Strict); 401 access_required behind Cloudflare Access"),
  consoleRoute("post", "/console/sign-out", "End the session in this browser (behind Cloudflare Access: to Access's logout)"),
  consoleRoute("get", "/console", "To the inbox"),
  consoleRoute("get", "/console/inbox", "Every pending human request across threads, oldest first"),
  consoleRoute("get", "/console/inbox/items", "The inbox entries (fragment, polled by the client)"),
  consoleRoute("get", "/console/threads", "Threads with filters and pagination"),
  consoleRoute("get", "/console/threads/{id}", "A thread's live timeline and controls"),
  consoleRoute("get", "/console/threads/{id}/timeline", "Timeline items after ?after= (fragment)"),
  consoleRoute("get", "/console/threads/{id}/header", "Status, controls and open requests (fragment)"),
  consoleRoute("get", "/console/threads/{id}/context", "What the next model step sees: tokens against the budget, each range of the log shown, summarised or omitted and why, the messages"),
  consoleRoute("get", "/console/threads/{id}/stream", "The thread's SSE stream, behind the session"),
  consoleRoute("post", "/console/threads/{id}/respond", "Approve, reject or answer (recorded as by.kind = console)"),
  consoleRoute("post", "/console/threads/{id}/pause", "Pause"),
  consoleRoute("post", "/console/threads/{id}/resume", "Resume"),
  consoleRoute("post", "/console/threads/{id}/cancel", "Cancel"),
  consoleRoute("post", "/console/threads/{id}/fork", "Fork at an event with a variant or model"),
  consoleRoute("get", "/console/agents", "Agents"),
  consoleRoute("get", "/console/agents/{agent}", "Variants with their stats, token usage totals, evals and the form to start one"),
  consoleRoute("post", "/console/agents/{agent}/evals", "Start an eval (through POST /v1/agents/{agent}/evals, with the form's Idempotency-Key)"),
  consoleRoute("get", "/console/evals/{id}", "An eval's progress, summary and cases side by side"),
  consoleRoute("get", "/console/evals/{id}/report", "The eval's live part (fragment, polled by the client while it runs)"),
];

/** The runtime as an MCP server (docs/mcp.md): JSON-RPC messages of the Model Context Protocol over Streamable HTTP, stateless. */
const mcpMessage = z.record(z.string(), z.unknown()).openapi("McpMessage");
const mcpDescription = "MCP over Streamable HTTP (stateless). Tools: list_agents, launch_thread, get_thread, list_pending, respond, send_message. Authorised like /v1.";

export const mcpRoutesDoc = [
  createRoute({
    method: "post",
    path: "/mcp",
    tags: ["mcp"],
    summary: "The runtime as an MCP server: one JSON-RPC message (or batch) per request",
    description: mcpDescription,
    security: [{ bearer: [] }],
    request: { body: { content: { "application/json": { schema: mcpMessage } }, required: true } },
    responses: { 200: json(mcpMessage, "The JSON-RPC response."), 202: { description: "A notification or response was accepted." }, ...errors(400, 401, 413, 415, 429) },
  }),
  createRoute({
    method: "get",
    path: "/mcp",
    tags: ["mcp"],
    summary: "The standalone stream: not offered (stateless server), always 405",
    security: [{ bearer: [] }],
    responses: { 405: json(mcpMessage, "No standalone stream."), ...errors(401) },
  }),
  createRoute({
    method: "delete",
    path: "/mcp",
    tags: ["mcp"],
    summary: "End a session: there are none (stateless), so this changes nothing",
    security: [{ bearer: [] }],
    responses: { 200: { description: "Nothing to end." }, ...errors(401) },
  }),
];
