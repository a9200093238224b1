import { describe, expect, it } from "vitest";
import { EventBody, next, reduce, timers, type McpToolEntry } from "../../src/core";
import { catalog, EPOCH, Log, time } from "./fixtures";

// Invariant 12 in the pure core: the first step lists each MCP server once; the list is pinned;
// an unreachable server or call waits for its retryAt (a timer obligation), never the clock.

const tool: McpToolEntry = { name: "s_read", server: "s", remote: "read", description: "Read.", inputSchema: { type: "object" }, schemaHash: "h", annotations: { readOnlyHint: true } };
const listed = (server: string, tools: McpToolEntry[] = []): EventBody => ({ type: "mcp_tools_listed", data: { server, tools } });
const plan = { mcpServers: ["s", "t"] };
const now = EPOCH + 1_000_000;

describe("MCP tool lists in the core", () => {
  it("the first step lists each configured server in order, then calls the model", () => {
    const log = Log.launched();
    expect(next(log.state, catalog, plan, now)).toEqual({ kind: "list_tools", server: "s", attempt: 1 });
    log.add(listed("s", [tool]));
    expect(next(log.state, catalog, plan, now)).toEqual({ kind: "list_tools", server: "t", attempt: 1 });
    log.add(listed("t"));
    expect(next(log.state, catalog, plan, now)).toEqual({ kind: "call_model" });
    expect(log.state.mcp).toEqual({ listed: ["s", "t"], tools: [tool] });
  });

  it("the list is pinned: a second listing of a server changes nothing, and a thread past its first model call never lists again", () => {
    const log = Log.launched();
    log.add(listed("s", [tool]));
    const before = log.state;
    const again = log.add(listed("s", []));
    expect(reduce(before, again)?.mcp).toEqual(before.mcp);
    log.decide("c1", "done", { message: "x" });
    expect(next(log.state, catalog, { mcpServers: ["s", "new-server"] }, now).kind).not.toBe("list_tools");
  });

  it("an unreachable server waits for its retryAt (an obligation), then lists again as the next attempt", () => {
    const log = Log.launched();
    log.add(EventBody.parse({ type: "mcp_list_failed", data: { server: "s", attempt: 1, message: "down", retryAt: time(2000) } }));
    expect(next(log.state, catalog, plan, EPOCH + 1_999_000)).toEqual({ kind: "wait", reason: "mcp_retry" });
    expect(next(log.state, catalog, plan)).toEqual({ kind: "wait", reason: "mcp_retry" });
    expect(next(log.state, catalog, plan, EPOCH + 2_000_000)).toEqual({ kind: "list_tools", server: "s", attempt: 2 });
    expect(timers(log.state)).toContainEqual({ kind: "mcp_list_retry", dueAt: EPOCH + 2_000_000 });
    log.add(listed("s", [tool]));
    expect(log.state.mcp?.retry).toBeUndefined();
  });

  it("a call whose server was unreachable keeps its approval and runs again as the next attempt at retryAt", () => {
    const log = Log.launched();
    log.add(listed("s"), listed("t"));
    log.decide("c1", "wipe", { all: true });
    log.add(
      EventBody.parse({ type: "human_requested", data: { requestId: "r1", kind: "approval", reason: "approval_policy", message: "ok?", call: { callId: "c1", tool: "wipe", args: { all: true } }, deadline: time(99_999), onTimeout: "deny", notify: [] } }),
      EventBody.parse({ type: "human_responded", data: { requestId: "r1", approved: true, by: { kind: "mcp", id: "ops", verifiedBy: "api_token" } } }),
      EventBody.parse({ type: "tool_started", data: { callId: "c1", tool: "wipe", args: { all: true }, attempt: 1 } }),
      EventBody.parse({ type: "tool_retry_scheduled", data: { callId: "c1", tool: "wipe", attempt: 1, message: "down", retryAt: time(5000) } }),
    );
    const call = log.state.calls[0];
    expect(call?.phase).toEqual({ kind: "retrying", attempt: 1, retryAt: time(5000), approvedArgs: { all: true } });
    expect(next(log.state, catalog, plan, EPOCH + 4_999_000)).toEqual({ kind: "wait", reason: "tool_retry" });
    expect(next(log.state, catalog, plan, EPOCH + 5_000_000)).toMatchObject({ kind: "run_tool", attempt: 2 });
    expect(timers(log.state)).toContainEqual({ kind: "tool_retry", callId: "c1", dueAt: EPOCH + 5_000_000 });
  });
});
