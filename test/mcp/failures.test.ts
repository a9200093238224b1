import { afterEach, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, fireTimer, launch, settle, types } from "../support/api";
import { clock, ledger, LEDGER_TOKEN, model } from "../support/harness";

// MCP servers that fail (docs/mcp.md): down (retried by the thread's one wake-up, then a clear
// error), a rejected token (401), in workerd with the clock driven by the test.

afterEach(() => {
  ledger.down = false;
  ledger.token = LEDGER_TOKEN;
  clock.offsetMs = 0;
});

const WAKE = { type: "wake" };

async function wakeAfter(id: string, ms: number): Promise<void> {
  clock.advance(ms);
  await fireTimer(id, WAKE);
  await settle(id);
}

describe("MCP servers that fail", () => {
  it("a server that is down at listing is listed again by the wake-up with backoff, then recorded with its reason and no tools", async () => {
    const marker = model.script("mcp-down-list", [{ tool: "done_for_now", args: { message: "without down" } }]);
    const { thread } = await launch("mcp-down", `go ${marker}`);
    await settle(thread.id);
    expect(types(await eventsOf(thread.id))).toEqual(["thread_launched", "mcp_tools_listed", "mcp_list_failed"]);
    await fireTimer(thread.id, WAKE); // early: changes nothing
    expect(types(await eventsOf(thread.id))).toHaveLength(3);
    await wakeAfter(thread.id, 1_000);
    await wakeAfter(thread.id, 2_000);
    await wakeAfter(thread.id, 4_000);
    const events = await eventsOf(thread.id);
    expect(types(events)).toEqual([
      "thread_launched", "mcp_tools_listed", "mcp_list_failed", "mcp_list_failed", "mcp_list_failed", "mcp_tools_listed", "model_decided", "thread_finished",
    ]);
    expect(events.flatMap((e) => (e.type === "mcp_list_failed" ? [e.data.attempt] : []))).toEqual([1, 2, 3]);
    expect(events[5]).toMatchObject({ data: { server: "down", tools: [], error: expect.stringMatching(/^MCP server down could not be reached .* Gave up after 4 attempts\./) } });
    // The model is told why the server's tools are missing.
    expect(model.requests("mcp-down-list")[0]?.messages[1]?.content).toContain('<error mcp_server="down">');
  });

  it("a call whose server is down is retried at a backoff (nothing ran), and runs once the server is back", async () => {
    const marker = model.script("mcp-down-call", [
      { tool: "ledger_record_entry", args: { note: "retry", amount: 3 } },
      { tool: "done_for_now", args: { message: "recorded after retries" } },
    ]);
    const { thread } = await launch("mcp-probe", `go ${marker}`);
    const waiting = await settle(thread.id);
    const before = ledger.count("record_entry");
    ledger.down = true;
    await api(`/v1/threads/${thread.id}/responses`, { method: "POST", json: { requestId: waiting.pending?.requestId, approved: true } });
    await settle(thread.id);
    await wakeAfter(thread.id, 1_000);
    ledger.down = false;
    await wakeAfter(thread.id, 2_000);
    expect((await settle(thread.id)).status).toBe("done");
    const events = await eventsOf(thread.id);
    const tail = events.filter((e) => ["tool_started", "tool_retry_scheduled", "tool_succeeded", "tool_failed"].includes(e.type));
    expect(tail.map((e: Event) => [e.type, "attempt" in e.data ? e.data.attempt : undefined])).toEqual([
      ["tool_started", 1], ["tool_retry_scheduled", 1], ["tool_started", 2], ["tool_retry_scheduled", 2], ["tool_started", 3], ["tool_succeeded", undefined],
    ]);
    expect(ledger.count("record_entry")).toBe(before + 1);
  });

  it("a rejected token: the listing says so and offers nothing; a call gets tool_http_error naming the server; no token in the log", async () => {
    ledger.token = "another-token";
    const listMarker = model.script("mcp-401-list", [{ tool: "done_for_now", args: { message: "no tools" } }]);
    const { thread: listing } = await launch("mcp-probe", `go ${listMarker}`);
    await settle(listing.id);
    const listed = (await eventsOf(listing.id)).find((e) => e.type === "mcp_tools_listed");
    expect(listed).toMatchObject({ data: { server: "ledger", tools: [], error: "Token rejected by server ledger (HTTP 401). Its tools are not available in this thread." } });

    ledger.token = LEDGER_TOKEN;
    const marker = model.script("mcp-401-call", [
      { tool: "ledger_record_entry", args: { note: "nope", amount: 1 } },
      { tool: "done_for_now", args: { message: "token rejected" } },
    ]);
    const { thread } = await launch("mcp-probe", `go ${marker}`);
    const waiting = await settle(thread.id);
    ledger.token = "rotated-token";
    await api(`/v1/threads/${thread.id}/responses`, { method: "POST", json: { requestId: waiting.pending?.requestId, approved: true } });
    expect((await settle(thread.id)).status).toBe("done");
    const events = await eventsOf(thread.id);
    expect(events.find((e) => e.type === "tool_failed")).toMatchObject({ data: { code: "tool_http_error", message: "Token rejected by server ledger (HTTP 401)." } });
    expect(JSON.stringify(events)).not.toContain(LEDGER_TOKEN);
  });

  it("mcpbot without MCPBOT_MCP_SERVERS: listed with no MCP tools, and a launch says it is not configured (appending nothing)", async () => {
    const response = await api("/v1/agents/mcpbot/threads", { method: "POST", json: { message: "hello", threadId: "mcpbot-unconfigured" } });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "agent_not_configured", message: expect.stringContaining("MCPBOT_MCP_SERVERS") } });
    expect(await eventsOf("mcpbot-unconfigured")).toEqual([]);
  });
});
