import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settle, types } from "../support/api";
import { ledger, model } from "../support/harness";

// MCP tools in an agent (docs/mcp.md), in workerd against our ledger server on the official
// SDK: the listing pinned in the log, policy from annotations, one durable step per call.

const listed = (events: Event[]) => events.filter((e) => e.type === "mcp_tools_listed");

describe("MCP tools in an agent (workerd, the ledger server)", () => {
  it("lists the server's tools into the log on the first step, offers them as <server>_<tool>, runs a read-only tool inline", async () => {
    const marker = model.script("mcp-inline", [
      { tool: "ledger_lookup", args: { prefix: "a" } },
      { tool: "done_for_now", args: { message: "looked" } },
    ]);
    const before = ledger.count("lookup");
    const { response, thread } = await launch("mcp-probe", `look ${marker}`);
    expect(response.status).toBe(201);
    const done = await settle(thread.id);
    expect(done.status).toBe("done");
    const events = await eventsOf(thread.id);
    expect(types(events)).toEqual(["thread_launched", "mcp_tools_listed", "model_decided", "tool_started", "tool_succeeded", "model_decided", "thread_finished"]);
    const [listing] = listed(events);
    expect(listing?.type === "mcp_tools_listed" && listing.data.tools.map((t) => [t.name, t.remote, t.annotations?.readOnlyHint ?? false])).toEqual([
      ["ledger_lookup", "lookup", true],
      ["ledger_record_entry", "record_entry", false],
      ["ledger_explode", "explode", true],
    ]);
    expect(listing?.type === "mcp_tools_listed" && listing.data.tools[0]?.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    const offered = model.requests("mcp-inline")[0]?.tools?.map((t) => t.function.name);
    expect(offered).toEqual(["request_more_information", "done_for_now", "ledger_lookup", "ledger_record_entry", "ledger_explode"]);
    const result = events.find((e) => e.type === "tool_succeeded");
    expect(result?.type === "tool_succeeded" && result.data.result).toMatchObject({ text: expect.stringMatching(/^The ledger holds \d+ entries\.$/), structuredContent: { entries: expect.any(Number) } });
    expect(ledger.count("lookup")).toBe(before + 1);
    // The token never reaches the log.
    expect(JSON.stringify(events)).not.toContain("ledger-test-token");
  });

  it("holds a destructive tool for approval of its exact arguments, then runs it exactly once", async () => {
    const marker = model.script("mcp-approve", [
      { tool: "ledger_record_entry", args: { note: "rent", amount: 12 } },
      { tool: "done_for_now", args: { message: "recorded" } },
    ]);
    const before = ledger.count("record_entry");
    const { thread } = await launch("mcp-probe", `record ${marker}`);
    const waiting = await settle(thread.id);
    expect(waiting.status).toBe("waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", tool: { name: "ledger_record_entry", args: { note: "rent", amount: 12 } } });
    expect(ledger.count("record_entry")).toBe(before);
    const answered = await api(`/v1/threads/${thread.id}/responses`, { method: "POST", json: { requestId: waiting.pending?.requestId, approved: true } });
    expect(answered.status).toBe(200);
    expect((await settle(thread.id)).status).toBe("done");
    expect(ledger.count("record_entry")).toBe(before + 1);
    expect(ledger.calls.at(-1)).toEqual({ tool: "record_entry", args: { note: "rent", amount: 12 } });
    expect(types(await eventsOf(thread.id)).slice(1)).toEqual(["mcp_tools_listed", "model_decided", "human_requested", "notification_sent", "human_responded", "tool_started", "tool_succeeded", "model_decided", "thread_finished"]);
  });

  it("rejects schema-invalid arguments before anything runs, and reports isError as a tool error", async () => {
    const marker = model.script("mcp-invalid", [
      { tool: "ledger_record_entry", args: { note: "", amount: "lots" } },
      { tool: "ledger_explode", args: {} },
      { tool: "done_for_now", args: { message: "gave up" } },
    ]);
    const before = ledger.calls.length;
    const { thread } = await launch("mcp-probe", `bad ${marker}`);
    expect((await settle(thread.id)).status).toBe("done");
    const events = await eventsOf(thread.id);
    const failed = events.find((e) => e.type === "model_failed");
    expect(failed).toMatchObject({ data: { code: "invalid_arguments", message: expect.stringContaining("ledger_record_entry") } });
    const error = events.find((e) => e.type === "tool_failed");
    expect(error).toMatchObject({ data: { code: "tool_error", tool: "ledger_explode", message: "The ledger is on fire." } });
    expect(ledger.calls.slice(before).map((c) => c.tool)).toEqual(["explode"]);
  });

  it("keeps a thread's pinned list when a tool vanishes: a compact unknown_tool error; a new thread sees the new list", async () => {
    const first = model.script("mcp-vanish-old", [
      { tool: "ledger_record_entry", args: { note: "late", amount: 1 } },
      { tool: "done_for_now", args: { message: "ok" } },
    ]);
    const { thread } = await launch("mcp-probe", `pin ${first}`);
    const before = ledger.count("record_entry");
    try {
      // The first step listed record_entry; the server drops it while the call waits for approval.
      const waiting = await settle(thread.id);
      expect(waiting.status).toBe("waiting_for_human");
      ledger.vanished.add("record_entry");
      const second = model.script("mcp-vanish-new", [{ tool: "done_for_now", args: { message: "new list" } }]);
      const { thread: fresh } = await launch("mcp-probe", `fresh ${second}`);
      await settle(fresh.id);
      const newList = listed(await eventsOf(fresh.id))[0];
      expect(newList?.type === "mcp_tools_listed" && newList.data.tools.map((t) => t.remote)).toEqual(["lookup", "explode"]);
      expect(model.requests("mcp-vanish-new")[0]?.tools?.map((t) => t.function.name)).not.toContain("ledger_record_entry");

      await api(`/v1/threads/${thread.id}/responses`, { method: "POST", json: { requestId: waiting.pending?.requestId, approved: true } });
      expect((await settle(thread.id)).status).toBe("done");
      const events = await eventsOf(thread.id);
      expect(events.find((e) => e.type === "tool_failed")).toMatchObject({
        data: { code: "unknown_tool", message: "ledger_record_entry is no longer offered by MCP server ledger (it was listed when this thread started); it was not run." },
      });
      // The old thread still offers what it was offered at its start (replay, fork and evals see the same).
      expect(model.requests("mcp-vanish-old")[1]?.tools?.map((t) => t.function.name)).toContain("ledger_record_entry");
      expect(ledger.count("record_entry")).toBe(before);
    } finally {
      ledger.vanished.delete("record_entry");
    }
  });

  it("GET /v1/agents lists MCP tools like ours, with their source and whether each needs approval; mcpbot unconfigured lists none", async () => {
    const response = await api("/v1/agents");
    expect(response.status).toBe(200);
    type Listed = { name: string; tools: { name: string; needsApproval: string; idempotent: boolean; source?: unknown }[]; mcp?: { configured: boolean; message?: string } };
    const { agents } = (await response.json()) as { agents: Listed[] };
    const probe = agents.find((a) => a.name === "mcp-probe");
    expect(probe?.tools.filter((t) => t.source).map((t) => [t.name, t.needsApproval, t.idempotent, t.source])).toEqual([
      ["ledger_lookup", "never", true, { kind: "mcp", server: "ledger" }],
      ["ledger_record_entry", "always", false, { kind: "mcp", server: "ledger" }],
      ["ledger_explode", "never", true, { kind: "mcp", server: "ledger" }],
    ]);
    expect(probe?.mcp).toEqual({ configured: true, servers: [{ name: "ledger" }] });
    const bot = agents.find((a) => a.name === "mcpbot");
    expect(bot?.tools.map((t) => t.name)).toEqual(["request_more_information", "done_for_now"]);
    expect(bot?.mcp).toMatchObject({ configured: false, message: expect.stringContaining("MCPBOT_MCP_SERVERS") });
  });
});

describe("evals see what the model was offered", () => {
  it("a past step's context, rebuilt for an eval, offers the thread's pinned MCP tools, not the server's current list", async () => {
    const { contextAt } = await import("../../src/evals/context");
    const { agents } = await import("../support/agents");
    const marker = model.script("mcp-eval-context", [{ tool: "done_for_now", args: { message: "ok" } }]);
    const { thread } = await launch("mcp-probe", `ctx ${marker}`);
    await settle(thread.id);
    const events = await eventsOf(thread.id);
    const decided = events.find((e) => e.type === "model_decided");
    const agent = agents.get("mcp-probe");
    if (!agent || decided?.type !== "model_decided") throw new Error("no decision");
    ledger.vanished.add("explode");
    try {
      const context = await contextAt(agent, events, decided.data.seenSeq, "default", "scripted-model");
      if (!context.ok) throw new Error(context.message);
      const input = context.input;
      expect(input.tools.map((t) => t.name)).toEqual(model.requests("mcp-eval-context")[0]?.tools?.map((t) => t.function.name));
      expect(input.tools.map((t) => t.name)).toContain("ledger_explode");
    } finally {
      ledger.vanished.delete("explode");
    }
  });
});
