import type { RouteConfig } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import type { ThreadView } from "../../src/core";
import { httpApp } from "../../src/app";
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import { api, launch, settle } from "../support/api";
import { model } from "../support/harness";
import { probe } from "../support/probe-agent";

// The contract: every route the app serves is in GET /openapi.json, and real responses
// validate against the schema the document declares for their status.

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

const app = httpApp(agentRegistry([deploybot, probe]));
const definitions = app.openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [d.route as RouteConfig] : []));

/** Hono paths (`/v1/threads/:id`) as OpenAPI paths (`/v1/threads/{id}`). */
const openapiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

function declared(method: string, path: string, status: number): ZodType | "no-body" | undefined {
  const route = definitions.find((r) => {
    if (r.method !== method.toLowerCase()) return false;
    const pattern = new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`);
    return pattern.test(path);
  });
  const response = route?.responses[status] as { content?: Record<string, { schema: ZodType }> } | undefined;
  if (!response) return undefined;
  return response.content?.["application/json"]?.schema ?? "no-body";
}

const checked: string[] = [];
async function conforms(method: string, path: string, init: Parameters<typeof api>[1] = {}) {
  const response = await api(path, { method, ...init });
  const schema = declared(method, path.split("?")[0] ?? path, response.status);
  expect(schema, `${method} ${path} answered ${response.status}, which the document does not declare`).toBeDefined();
  if (schema && schema !== "no-body" && (response.headers.get("content-type") ?? "").startsWith("application/json")) {
    const body: unknown = await response.json();
    const result = schema.safeParse(body);
    expect(result.success, `${method} ${path} ${response.status}: ${JSON.stringify(result.error?.issues.slice(0, 3))}`).toBe(true);
    checked.push(`${method} ${path.split("?")[0]} ${response.status}`);
    return body;
  }
  checked.push(`${method} ${path.split("?")[0]} ${response.status}`);
  return undefined;
}

describe("the OpenAPI contract", () => {
  it("GET /openapi.json is OpenAPI 3.1 and lists every route the app serves", async () => {
    const response = await api("/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const served = app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${openapiPath(r.path)}`);
    expect(served.length).toBeGreaterThan(30);
    const missing = [...new Set(served)].filter((entry) => {
      const [method, path] = entry.split(" ") as [string, string];
      return !doc.paths[path]?.[method];
    });
    expect(missing).toEqual([]);
    // Every operation declares its error responses in the one error shape.
    const launchOp = doc.paths["/v1/agents/{agent}/threads"]?.post;
    expect(Object.keys(launchOp?.responses ?? {})).toEqual(expect.arrayContaining(["200", "201", "400", "401", "404", "409", "413", "415"]));
  });

  it("a route missing from the document would fail the check above", () => {
    const bare = httpApp(agentRegistry([deploybot, probe]));
    bare.get("/v1/undocumented", (c) => c.text("x"));
    const doc = bare.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Doc;
    const undocumented = bare.routes.filter((r) => r.method !== "ALL" && !doc.paths[openapiPath(r.path)]?.[r.method.toLowerCase()]);
    expect(undocumented.map((r) => r.path)).toEqual(["/v1/undocumented"]);
  });

  it("real responses, success and error, validate against the schemas the document declares", async () => {
    const id = `contract-${crypto.randomUUID().slice(0, 8)}`;
    const marker = model.script(id, [{ tool: "guarded", args: { label: `c-${id}` } }, { tool: "done_for_now", args: { message: "ok" } }]);
    await conforms("GET", "/v1/agents");
    await conforms("POST", "/v1/agents/probe/threads", { json: { message: `go ${marker}`, threadId: id } });
    await conforms("POST", "/v1/agents/probe/threads", { json: { message: `go ${marker}`, threadId: id } }); // 200 duplicate
    const view = await settle(id);
    expect(view.status).toBe("waiting_for_human");
    await conforms("GET", `/v1/threads/${id}`);
    await conforms("GET", "/v1/threads?limit=5");
    await conforms("GET", `/v1/threads/${id}/events?limit=1000`);
    await conforms("GET", `/v1/threads/${id}/context`);
    await conforms("GET", "/v1/agents/probe/variants");
    await conforms("POST", `/v1/threads/${id}/pause`, { json: {} });
    await conforms("POST", `/v1/threads/${id}/pause`, { json: {} }); // 409 already_paused
    await conforms("POST", `/v1/threads/${id}/resume`, { json: {} });
    await conforms("POST", `/v1/threads/${id}/responses`, { json: { requestId: view.pending!.requestId, approved: true } });
    await settle(id);
    await conforms("POST", `/v1/threads/${id}/fork`, { json: { atSeq: 2 } });
    const other = (await launch("probe", `x ${model.script(`${id}-m`, [{ tool: "done_for_now", args: { message: "m" } }])}`)).thread as ThreadView;
    await conforms("POST", `/v1/threads/${other.id}/messages`, { json: { text: "more" } });
    await conforms("POST", `/v1/threads/${other.id}/cancel`, { json: {} });
    // Errors: each status the client can cause, in the declared error shape.
    await conforms("GET", "/v1/agents", { token: "wrong" });
    await conforms("GET", "/v1/threads/t_missing");
    await conforms("GET", "/v1/threads?limit=0");
    await conforms("POST", "/v1/agents/nobody/threads", { json: { message: "x" } });
    await conforms("POST", `/v1/threads/${id}/messages`, { body: "text", headers: { "content-type": "text/plain" } });
    await conforms("POST", `/v1/threads/${id}/messages`, { json: { text: "late" } }); // 409 thread_closed
    await conforms("GET", `/v1/threads/${id}/stream?after=${(await settle(id)).lastSeq}`); // 204: ended, nothing new
    expect(checked).toHaveLength(22); // every call above was checked
  });
});
