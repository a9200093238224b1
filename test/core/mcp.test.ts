import { describe, expect, it } from "vitest";
import { annotationPolicy, EventBody, mcpToolName, next, nextListing, pinnedTool, reduce, remoteRetryDelayMs, timers, type McpToolEntry } from "../../src/core";
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

  it("a tool name listed by two servers keeps the first server's tool; a failed listing after a good one changes nothing", () => {
    const log = Log.launched();
    const other: McpToolEntry = { ...tool, server: "t", remote: "read", description: "Another read." };
    const second: McpToolEntry = { ...tool, name: "t_write", server: "t", remote: "write" };
    log.add(listed("s", [tool]), listed("t", [other, second]));
    expect(log.state.mcp?.tools).toEqual([tool, second]);
    expect(pinnedTool(log.state, "s_read")).toEqual(tool);
    expect(pinnedTool(log.state, "t_write")).toEqual(second);
    expect(pinnedTool(log.state, "s_write")).toBeUndefined();
    expect(pinnedTool(Log.launched().state, "s_read")).toBeUndefined();
    const before = log.state.mcp;
    log.add(EventBody.parse({ type: "mcp_list_failed", data: { server: "s", attempt: 1, message: "down", retryAt: time(2000) } }));
    expect(log.state.mcp).toEqual(before);
  });

  it("a retry waits only for the call it names, and only a started call becomes a retry", () => {
    const log = Log.launched();
    log.add(listed("s"), listed("t"));
    log.decide("c1", "lookup", { q: "a" });
    log.decide("c2", "lookup", { q: "b" });
    log.add(EventBody.parse({ type: "tool_started", data: { callId: "c1", tool: "lookup", args: { q: "a" }, attempt: 1 } }));
    log.add(EventBody.parse({ type: "tool_started", data: { callId: "c2", tool: "lookup", args: { q: "b" }, attempt: 1 } }));
    const others = log.state.calls.filter((c) => c.callId !== "c1");
    expect(others.map((c) => c.phase.kind)).toEqual(["started"]);
    log.add(EventBody.parse({ type: "tool_retry_scheduled", data: { callId: "c1", tool: "lookup", attempt: 1, message: "down", retryAt: time(5000) } }));
    expect(log.state.calls.find((c) => c.callId === "c1")?.phase).toEqual({ kind: "retrying", attempt: 1, retryAt: time(5000) });
    expect(log.state.calls.filter((c) => c.callId !== "c1")).toEqual(others);
    // A second notice for a call that is already waiting (a replayed duplicate) changes nothing.
    const waiting = log.state.calls;
    log.add(EventBody.parse({ type: "tool_retry_scheduled", data: { callId: "c1", tool: "lookup", attempt: 2, message: "down", retryAt: time(9000) } }));
    expect(log.state.calls).toEqual(waiting);
  });

  it("only a thread that has not called the model lists; a retry for a server no longer configured does not hold up the others", () => {
    const log = Log.launched();
    log.add(listed("s"));
    expect(nextListing(log.state, ["s", "t"], now)).toEqual({ kind: "list_tools", server: "t", attempt: 1 });
    expect(nextListing({ ...log.state, modelTurns: 1 }, ["s", "t"], now)).toBeUndefined();
    expect(nextListing(log.state, undefined, now)).toBeUndefined();
    const gone = Log.launched();
    gone.add(EventBody.parse({ type: "mcp_list_failed", data: { server: "old", attempt: 2, message: "down", retryAt: time(9000) } }));
    expect(nextListing(gone.state, ["t"], now)).toEqual({ kind: "list_tools", server: "t", attempt: 1 });
  });
});

describe("MCP names and policy", () => {
  it("a tool's model name is server_tool when that is a valid function name (64 characters at most), else none", () => {
    expect(mcpToolName("github", "create_issue")).toBe("github_create_issue");
    expect(mcpToolName("fs", "read-file")).toBe("fs_read-file");
    expect(mcpToolName("s", "t".repeat(62))).toBe(`s_${"t".repeat(62)}`);
    for (const [server, name] of [["s", "t".repeat(63)], ["my.server", "read"], ["fs", "read.file"], ["fs", "read file"], ["fs", "lire-fichier-é"]] as const) {
      expect(mcpToolName(server, name), `${server} ${name}`).toBeUndefined();
    }
  });

  it("an unreachable server is tried four times in all, 1 s, 2 s and 4 s apart, then given up", () => {
    expect([1, 2, 3, 4].map(remoteRetryDelayMs)).toEqual([1_000, 2_000, 4_000, undefined]);
    expect(remoteRetryDelayMs(0)).toBeUndefined();
  });

  it("the spec's defaults: an unannotated tool may be destructive (approval, not idempotent); read-only runs freely and may re-run", () => {
    expect(annotationPolicy(undefined)).toEqual({ requiresApproval: true, idempotent: false });
    expect(annotationPolicy({})).toEqual({ requiresApproval: true, idempotent: false });
    expect(annotationPolicy({ readOnlyHint: true })).toEqual({ requiresApproval: false, idempotent: true });
    expect(annotationPolicy({ readOnlyHint: false, idempotentHint: true })).toEqual({ requiresApproval: true, idempotent: true });
    expect(annotationPolicy({ destructiveHint: false })).toEqual({ requiresApproval: true, idempotent: false });
  });
});
