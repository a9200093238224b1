/// <reference types="node" />
/**
 * End to end, MCP both ways: mcpbot under `wrangler dev` uses tools of real MCP servers over Streamable HTTP:
 * the reference server-everything and our ledger (official SDK, counting its calls). Real
 * HTTP, the real wake-up for retries, and a real SIGKILL mid-call (docs/mcp.md, invariant 12); and
 * the runtime's own /mcp endpoint driven by the official SDK client.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { assertConsistent } from "../support/log-invariants";
import { apiClient, ended, types } from "./support/api";
import { startEverything, startLedgerServer, type EverythingServer, type LedgerServer } from "./support/mcp-servers";
import { startModelServer, type ModelServer } from "./support/model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./support/wrangler";

const TOKEN = "e2e-mcp-token";
const LEDGER_TOKEN = "e2e-ledger-secret-token";
const OPERATOR_TOKEN = "e2e-mcp-operator-token";

let model: ModelServer | undefined;
let ledger: LedgerServer | undefined;
let everything: EverythingServer | undefined;
let dev: DevServer | undefined;
const api = apiClient(() => dev?.url ?? "", TOKEN);

function start(stateDir?: string): Promise<DevServer> {
  if (!model || !ledger || !everything) throw new Error("start the servers first");
  const vars = {
    MCPBOT_MCP_SERVERS: `everything=${everything.url}, ledger=${ledger.url}`,
    MCPBOT_MCP_TOKENS: `ledger:${LEDGER_TOKEN}`,
    API_TOKENS: `mcp-operator:${OPERATOR_TOKEN}`,
  };
  const modelUrl = model.baseUrl;
  return startWranglerDev((url) => e2eVars({ url, token: TOKEN, modelUrl }, vars), stateDir ? { stateDir } : {});
}

beforeAll(async () => {
  [model, ledger, everything] = await Promise.all([startModelServer(), startLedgerServer(LEDGER_TOKEN), startEverything()]);
  dev = await start();
});

afterAll(async () => {
  await dev?.stop();
  await model?.close();
  await ledger?.close();
  await everything?.stop();
});

async function launch(id: string, steps: Parameters<ModelServer["model"]["script"]>[1]): Promise<string> {
  if (!model) throw new Error("no model");
  const marker = model.model.script(id, steps);
  await api.ok<ThreadView>("/agents/mcpbot/threads", { method: "POST", body: JSON.stringify({ message: `go ${marker}`, threadId: id }) });
  return id;
}

async function approve(id: string, requestId: string | undefined): Promise<void> {
  await api.ok(`/threads/${id}/responses`, { method: "POST", body: JSON.stringify({ requestId, approved: true }) });
}

const outcome = (events: Event[]) => events.find((e) => e.type === "tool_succeeded" || e.type === "tool_failed");

describe("mcpbot against real MCP servers (wrangler dev)", () => {
  it("lists both servers into the log, runs the reference server's read-only echo inline, and GET /v1/agents shows the tools by source", async () => {
    const id = await launch("e2e-mcp-echo", [
      { tool: "everything_echo", args: { message: "hello over MCP" } },
      { tool: "done_for_now", args: { message: "echoed" } },
    ]);
    expect(await api.until(id, ended)).toMatchObject({ status: "done" });
    const events = await api.eventsOf(id);
    assertConsistent(events);
    expect(types(events)).toEqual(["thread_launched", "mcp_tools_listed", "mcp_tools_listed", "model_decided", "tool_started", "tool_succeeded", "model_decided", "thread_finished"]);
    const lists = events.flatMap((e) => (e.type === "mcp_tools_listed" ? [e.data] : []));
    expect(lists.map((l) => l.server)).toEqual(["everything", "ledger"]);
    expect(lists[0]?.tools.find((t) => t.remote === "echo")).toMatchObject({ name: "everything_echo", annotations: { readOnlyHint: true } });
    expect(outcome(events)).toMatchObject({ type: "tool_succeeded", data: { tool: "everything_echo", result: { text: "Echo: hello over MCP" } } });
    expect(JSON.stringify(events)).not.toContain(LEDGER_TOKEN);

    const { agents } = await api.ok<{ agents: { name: string; tools: { name: string; needsApproval: string; source?: unknown }[] }[] }>("/agents");
    const tools = agents.find((a) => a.name === "mcpbot")?.tools ?? [];
    expect(tools.find((t) => t.name === "everything_echo")).toMatchObject({ needsApproval: "never", source: { kind: "mcp", server: "everything" } });
    expect(tools.find((t) => t.name === "ledger_record_entry")).toMatchObject({ needsApproval: "always", source: { kind: "mcp", server: "ledger" } });
  });

  it("a destructive tool waits for approval, then runs exactly once; schema-invalid arguments and isError never reach a second run", async () => {
    if (!ledger) throw new Error("no ledger");
    const before = ledger.ledger.count("record_entry");
    const id = await launch("e2e-mcp-approve", [
      { tool: "ledger_record_entry", args: { note: "rent", amount: "lots" } },
      { tool: "ledger_record_entry", args: { note: "rent", amount: 900 } },
      { tool: "ledger_explode", args: {} },
      { tool: "done_for_now", args: { message: "recorded" } },
    ]);
    const waiting = await api.until(id, (t) => t.status === "waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", tool: { name: "ledger_record_entry", args: { note: "rent", amount: 900 } } });
    expect(ledger.ledger.count("record_entry")).toBe(before);
    await approve(id, waiting.pending?.requestId);
    expect(await api.until(id, ended)).toMatchObject({ status: "done" });
    expect(ledger.ledger.count("record_entry")).toBe(before + 1);
    const events = await api.eventsOf(id);
    assertConsistent(events);
    expect(events.find((e) => e.type === "model_failed")).toMatchObject({ data: { code: "invalid_arguments" } });
    expect(events.filter((e) => e.type === "tool_failed").map((e) => e.data)).toMatchObject([{ tool: "ledger_explode", code: "tool_error", message: "The ledger is on fire." }]);
  });

  it("a rejected token (401) and a vanished tool fail the call clearly; a new thread sees the new list", async () => {
    if (!ledger) throw new Error("no ledger");
    const ids = [
      await launch("e2e-mcp-401", [{ tool: "ledger_record_entry", args: { note: "a", amount: 1 } }, { tool: "done_for_now", args: { message: "x" } }]),
      await launch("e2e-mcp-vanish", [{ tool: "ledger_record_entry", args: { note: "b", amount: 2 } }, { tool: "done_for_now", args: { message: "y" } }]),
    ];
    const [unauthorized, vanished] = await Promise.all(ids.map((id) => api.until(id, (t) => t.status === "waiting_for_human")));
    const before = ledger.ledger.count("record_entry");
    try {
      ledger.ledger.token = "rotated";
      await approve(ids[0] ?? "", unauthorized?.pending?.requestId);
      await api.until(ids[0] ?? "", ended);
      ledger.ledger.token = LEDGER_TOKEN;
      ledger.ledger.vanished.add("record_entry");
      await approve(ids[1] ?? "", vanished?.pending?.requestId);
      await api.until(ids[1] ?? "", ended);
      const fresh = await launch("e2e-mcp-fresh", [{ tool: "done_for_now", args: { message: "z" } }]);
      await api.until(fresh, ended);
      const freshList = (await api.eventsOf(fresh)).find((e) => e.type === "mcp_tools_listed" && e.data.server === "ledger");
      expect(freshList?.type === "mcp_tools_listed" && freshList.data.tools.map((t) => t.remote)).toEqual(["lookup", "explode"]);
    } finally {
      ledger.ledger.token = LEDGER_TOKEN;
      ledger.ledger.vanished.delete("record_entry");
    }
    expect(outcome(await api.eventsOf(ids[0] ?? ""))).toMatchObject({ data: { code: "tool_http_error", message: "Token rejected by server ledger (HTTP 401)." } });
    expect(outcome(await api.eventsOf(ids[1] ?? ""))).toMatchObject({ data: { code: "unknown_tool", message: expect.stringContaining("no longer offered by MCP server ledger") } });
    expect(ledger.ledger.count("record_entry")).toBe(before);
  });

  it("a server that is down: the call is retried by the wake-up with backoff, then fails clearly; nothing ran", async () => {
    if (!ledger) throw new Error("no ledger");
    const id = await launch("e2e-mcp-down", [{ tool: "ledger_record_entry", args: { note: "c", amount: 3 } }, { tool: "done_for_now", args: { message: "down" } }]);
    const waiting = await api.until(id, (t) => t.status === "waiting_for_human");
    const before = ledger.ledger.count("record_entry");
    await ledger.down();
    try {
      await approve(id, waiting.pending?.requestId);
      // 1 s, 2 s and 4 s between the four attempts, each woken by the thread's alarm.
      expect(await api.until(id, ended, 30_000)).toMatchObject({ status: "done" });
    } finally {
      await ledger.up();
    }
    const events = await api.eventsOf(id);
    assertConsistent(events);
    expect(types(events).filter((t) => t.startsWith("tool_"))).toEqual([
      "tool_started", "tool_retry_scheduled", "tool_started", "tool_retry_scheduled", "tool_started", "tool_retry_scheduled", "tool_started", "tool_failed",
    ]);
    expect(outcome(events.filter((e) => e.type !== "tool_succeeded"))).toMatchObject({ data: { code: "server_unreachable", message: expect.stringMatching(/^MCP server ledger could not be reached .*Gave up after 4 attempts/) } });
    expect(ledger.ledger.count("record_entry")).toBe(before);
  });

  it("SIGKILL mid-call, restart on the same state: the non-idempotent call is outcome_unknown, the read-only (idempotent) one re-runs once", async () => {
    if (!ledger || !dev || !model) throw new Error("no servers");
    const record = await launch("e2e-mcp-kill-record", [{ tool: "ledger_record_entry", args: { note: "crash", amount: 4 } }, { tool: "done_for_now", args: { message: "told the human" } }]);
    const waiting = await api.until(record, (t) => t.status === "waiting_for_human");
    const recordHeld = ledger.ledger.hold("record_entry");
    await approve(record, waiting.pending?.requestId);
    await recordHeld;
    const lookupHeld = ledger.ledger.hold("lookup");
    const lookup = await launch("e2e-mcp-kill-lookup", [{ tool: "ledger_lookup", args: {} }, { tool: "done_for_now", args: { message: "looked after the restart" } }]);
    await lookupHeld;
    const counts = { record: ledger.ledger.count("record_entry"), lookup: ledger.ledger.count("lookup") };

    const stateDir = dev.stateDir;
    await dev.kill();
    ledger.ledger.release("record_entry"); // the dead Worker's connections are gone: these answers go nowhere
    ledger.ledger.release("lookup");
    dev = await start(stateDir);
    for (const id of [record, lookup]) await api.ok(`/threads/${id}`); // a request wakes each object: onStart resumes from the log

    expect(await api.until(record, ended)).toMatchObject({ status: "done", result: { message: "told the human" } });
    expect(await api.until(lookup, ended)).toMatchObject({ status: "done", result: { message: "looked after the restart" } });
    const recordEvents = await api.eventsOf(record);
    assertConsistent(recordEvents);
    expect(outcome(recordEvents)).toMatchObject({ type: "tool_failed", data: { code: "outcome_unknown", tool: "ledger_record_entry" } });
    expect(ledger.ledger.count("record_entry")).toBe(counts.record); // never re-run
    const lookupEvents = await api.eventsOf(lookup);
    assertConsistent(lookupEvents);
    expect(lookupEvents.flatMap((e) => (e.type === "tool_started" ? [e.data.attempt] : []))).toEqual([1, 2]);
    expect(outcome(lookupEvents)).toMatchObject({ type: "tool_succeeded" });
    expect(ledger.ledger.count("lookup")).toBe(counts.lookup + 1);
  });
});

describe("/mcp under wrangler dev, driven by the official SDK client", () => {
  const client = async (token: string) => {
    const c = new Client({ name: "e2e", version: "1" });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${dev?.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return c;
  };
  const structured = <T>(result: unknown) => (result as { structuredContent: T }).structuredContent;

  it("no token and a wrong token get 401", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${dev?.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: "{}" });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong-token" })).status).toBe(401);
    await expect(client("wrong-token")).rejects.toThrow(/The bearer token is wrong/);
  });

  it("launch mcpbot over MCP, list its pending approval, respond: the remote tool runs once and the answer is an mcp principal", async () => {
    if (!ledger || !model) throw new Error("no servers");
    const mcp = await client(OPERATOR_TOKEN);
    try {
      const marker = model.model.script("e2e-mcp-server", [
        { tool: "ledger_record_entry", args: { note: "via mcp", amount: 5 } },
        { tool: "done_for_now", args: { message: "recorded via MCP" } },
      ]);
      const before = ledger.ledger.count("record_entry");
      const launched = await mcp.callTool({ name: "launch_thread", arguments: { agent: "mcpbot", message: `go ${marker}`, threadId: "e2e-mcp-server" } });
      expect(structured<ThreadView>(launched)).toMatchObject({ id: "e2e-mcp-server", agent: "mcpbot" });
      await api.until("e2e-mcp-server", (t) => t.status === "waiting_for_human");
      // The thread index hears of the wait a moment after it starts (eventual, as GET /v1/threads): poll briefly.
      type Pending = { pending: { threadId: string; request: { requestId: string; tool?: { name: string } } }[] };
      let request: Pending["pending"][number]["request"] | undefined;
      for (const giveUp = Date.now() + 10_000; !request && Date.now() < giveUp; await new Promise((r) => setTimeout(r, 200))) {
        const { pending } = structured<Pending>(await mcp.callTool({ name: "list_pending", arguments: { agent: "mcpbot" } }));
        request = pending.find((p) => p.threadId === "e2e-mcp-server")?.request;
      }
      expect(request?.tool?.name).toBe("ledger_record_entry");
      const answered = await mcp.callTool({ name: "respond", arguments: { threadId: "e2e-mcp-server", requestId: request?.requestId, approved: true } });
      expect(answered.isError).toBeFalsy();
      expect(await api.until("e2e-mcp-server", ended)).toMatchObject({ status: "done", result: { message: "recorded via MCP" } });
      expect(ledger.ledger.count("record_entry")).toBe(before + 1);
      const events = await api.eventsOf("e2e-mcp-server");
      assertConsistent(events);
      expect(events.find((e) => e.type === "human_responded")).toMatchObject({ data: { by: { kind: "mcp", id: "mcp-operator", verifiedBy: "api_token" } } });
      expect(events[0]).toMatchObject({ type: "thread_launched", source: { kind: "mcp" } });
    } finally {
      await mcp.close();
    }
  });
});
