import { afterEach, describe, expect, it, vi } from "vitest";
import { api, eventsOf, settle } from "../support/api";
import { model } from "../support/harness";
import { redactEmails } from "../../src/log";

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

  it("mail addresses are redacted to their first letter and domain", () => {
    expect(redactEmails('{"from":"alice.smith@example.com","to":"deploybot+t_1@agents.example"}')).toBe(
      '{"from":"a***@example.com","to":"d***@agents.example"}',
    );
  });
});
