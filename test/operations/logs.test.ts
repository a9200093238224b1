import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, eventsOf, settle } from "../support/api";
import { model } from "../support/harness";
import { infoLines, redactEmails } from "../../src/log";
import { requestLog, type RequestLogEnv } from "../../src/triggers/http/request-log";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);

type Line = Record<string, unknown>;
function captureLines() {
  const lines: Line[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    const text = String(args[0]);
    if (text.startsWith("{")) lines.push(JSON.parse(text) as Line);
  });
  return { lines, restore: () => spy.mockRestore() };
}

afterEach(() => vi.restoreAllMocks());

describe("structured logs (docs/operations.md)", () => {
  it("one request line and one line per step, joined by the request's correlation id, which the events carry too", async () => {
    const id = `logs-${run}-1`;
    const marker = model.script(id, [{ tool: "list_items" }, { tool: "done_for_now", args: { message: "ok" } }]);
    const capture = captureLines();
    try {
      const response = await api("/v1/agents/scout/threads", {
        method: "POST",
        json: { message: `go ${marker}`, threadId: id },
        headers: { "x-correlation-id": `corr-${run}` },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get("x-correlation-id")).toBe(`corr-${run}`);
      await settle(id);
    } finally {
      capture.restore();
    }
    const request = capture.lines.find((l) => l["msg"] === "request" && l["threadId"] === undefined && l["route"] === "/v1/agents/:agent/threads");
    expect(request).toMatchObject({ level: "info", method: "POST", status: 201, correlationId: `corr-${run}` });
    expect(typeof request?.["latencyMs"]).toBe("number");
    const steps = capture.lines.filter((l) => l["msg"] === "step" && l["threadId"] === id);
    // prefetch x2 (scout plans two calls), then model -> list_items -> model -> finish
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const step of steps) {
      expect(step).toMatchObject({ correlationId: `corr-${run}`, agent: "scout", threadId: id });
      expect(typeof step["seq"]).toBe("number");
      expect(Array.isArray(step["events"]) && (step["events"] as string[]).length).toBeGreaterThan(0);
    }
    const lastSeq = Math.max(...steps.map((s) => s["seq"] as number));
    const events = await eventsOf(id);
    expect(lastSeq).toBe(events[events.length - 1]?.seq);
    expect(events[0]?.source).toMatchObject({ kind: "http", correlationId: `corr-${run}` });
  });

  it("a request without a correlation id gets a fresh one; a thread route logs its thread id and route pattern, never the raw path", async () => {
    const capture = captureLines();
    let header: string | null;
    try {
      const response = await api(`/v1/threads/logs-${run}-missing`);
      expect(response.status).toBe(404);
      header = response.headers.get("x-correlation-id");
    } finally {
      capture.restore();
    }
    expect(header).toMatch(/^[0-9a-f-]{36}$/);
    expect(capture.lines.find((l) => l["msg"] === "request" && l["correlationId"] === header)).toMatchObject({
      route: "/v1/threads/:id",
      status: 404,
      threadId: `logs-${run}-missing`,
    });
  });

  it("LOG_LEVEL=warn drops the request and step lines; the thread runs the same and its log holds every event", async () => {
    const id = `logs-${run}-quiet`;
    const marker = model.script(id, [{ tool: "request_more_information", args: { message: "which tag?" } }, { tool: "done_for_now", args: { message: "ok" } }]);
    expect((await api("/v1/agents/deploybot/threads", { method: "POST", json: { message: `go ${marker}`, threadId: id } })).status).toBe(201);
    await settle(id);
    // This live object now runs with LOG_LEVEL=warn (its step loop was handed the environment when it was built).
    await runInDurableObject(env.THREADS.getByName(id), (instance) => {
      const quiet = { ...(Reflect.get(instance, "env") as Env), LOG_LEVEL: "warn" };
      Reflect.set(instance, "env", quiet);
      Reflect.set(Reflect.get(instance.loop, "host") as object, "env", quiet);
    });
    const capture = captureLines();
    try {
      expect((await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "v1.2.3" } })).status).toBe(202);
      await settle(id);
    } finally {
      capture.restore();
    }
    expect(capture.lines.filter((l) => l["msg"] === "step" && l["threadId"] === id)).toEqual([]);
    const events = await eventsOf(id);
    expect(events.map((e) => e.type).slice(-3)).toEqual(["user_messaged", "model_decided", "thread_finished"]);

    // The HTTP front: the same request with and without the setting.
    const app = new Hono<RequestLogEnv>().use(requestLog).get("/ping", (c) => c.text("pong"));
    const quiet = captureLines();
    try {
      expect((await app.request("/ping", {}, { LOG_LEVEL: "warn" } as Env)).status).toBe(200);
      expect((await app.request("/ping", {}, { LOG_LEVEL: "info" } as Env)).status).toBe(200);
    } finally {
      quiet.restore();
    }
    expect(quiet.lines.filter((l) => l["msg"] === "request")).toEqual([expect.objectContaining({ route: "/ping", status: 200 })]);
  });

  it("LOG_LEVEL: unset, empty or info keep the lines, warn (any case) drops them, anything else keeps them and warns once", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect([{}, { LOG_LEVEL: "" }, { LOG_LEVEL: "info" }, { LOG_LEVEL: " INFO " }].map(infoLines)).toEqual([true, true, true, true]);
    expect([{ LOG_LEVEL: "warn" }, { LOG_LEVEL: "Warn" }].map(infoLines)).toEqual([false, false]);
    expect(infoLines({ LOG_LEVEL: `verbose-${run}` })).toBe(true);
    expect(infoLines({ LOG_LEVEL: `verbose-${run}` })).toBe(true);
    expect(warn.mock.calls.map(([line]) => JSON.parse(String(line)) as unknown)).toEqual([
      { level: "warn", msg: "setting_invalid", setting: "LOG_LEVEL", value: `verbose-${run}`, expected: "info or warn", using: "info" },
    ]);
  });

  it("mail addresses are redacted to their first letter and domain", () => {
    expect(redactEmails('{"from":"alice.smith@example.com","to":"deploybot+t_1@agents.example"}')).toBe(
      '{"from":"a***@example.com","to":"d***@agents.example"}',
    );
  });
});
