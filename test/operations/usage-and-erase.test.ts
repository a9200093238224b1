import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CallId, ThreadId, type Event, type NewEvent, type ThreadView } from "../../src/core";
import { childThreadId } from "../../src/runtime/thread/delegation";
import { api, eventsOf, launch, listedThreads, settle, settleAll, thread } from "../support/api";
import { clock, model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `ops-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });

async function finished(name: string, steps: Parameters<typeof model.script>[1], agent = "scout") {
  const id = freshId(name);
  const marker = model.script(id, steps);
  const { response } = await launch(agent, `go ${marker}`, { threadId: id });
  expect(response.status).toBe(201);
  return { id, view: await settle(id) };
}

/** What the scripted model reported, added up from the log (the truth the totals must equal). */
function usageInLog(events: readonly Event[]) {
  let promptTokens = 0;
  let completionTokens = 0;
  let modelCalls = 0;
  for (const e of events) {
    if ((e.type === "model_decided" || e.type === "model_failed") && e.data.usage) {
      promptTokens += e.data.usage.promptTokens;
      completionTokens += e.data.usage.completionTokens;
      modelCalls++;
    }
  }
  return { modelCalls, promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

describe("usage: tokens added up per thread, agent and variant", () => {
  it("GET /v1/threads/{id} shows the sum of every model event's usage, failed calls included", async () => {
    const { id, view } = await finished("per-thread", [{ tool: "no_such_tool" }, { tool: "list_items" }, done()]);
    expect(view.status).toBe("done");
    const events = await eventsOf(id);
    const expected = usageInLog(events);
    expect(expected.modelCalls).toBe(3);
    expect(expected.promptTokens).toBeGreaterThan(0);
    const got = (await (await api(`/v1/threads/${id}`)).json()) as ThreadView;
    expect(got.usage).toEqual(expected);
  });

  it("GET /v1/agents/{agent}/usage sums the threads created in the window, per variant", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const a = await finished("window-a", [done()], "probe");
    const b = await finished("window-b", [{ tool: "no_such_tool" }, done()], "probe");
    const after = new Date(Date.now() + 60_000).toISOString();
    const expected = [usageInLog(await eventsOf(a.id)), usageInLog(await eventsOf(b.id))];
    const response = await api(`/v1/agents/probe/usage?from=${encodeURIComponent(before)}&to=${encodeURIComponent(after)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { total: Record<string, number>; variants: Record<string, Record<string, number>>; window: unknown };
    // Other probe tests in this file's isolate may run in the same window: ours are at least included,
    // and the total is exactly the sum over variants.
    const sum = (k: "promptTokens" | "completionTokens") => expected.reduce((s, u) => s + u[k], 0);
    expect(body.total["promptTokens"]).toBeGreaterThanOrEqual(sum("promptTokens"));
    expect(body.total["completionTokens"]).toBeGreaterThanOrEqual(sum("completionTokens"));
    const variants = Object.values(body.variants);
    expect(body.total["totalTokens"]).toBe(variants.reduce((s, v) => s + (v["totalTokens"] ?? 0), 0));
    // A window that ends before these threads excludes them. Other files' probe threads may
    // be in the index (the workers project shares one runtime), so compare two windows that
    // differ only in their end: the later one has ours on top.
    const since2000 = async (to: string) =>
      ((await (await api(`/v1/agents/probe/usage?from=2000-01-01T00:00:00Z&to=${encodeURIComponent(to)}`)).json()) as { total: Record<string, number> }).total;
    const [untilBefore, untilAfter] = [await since2000(before), await since2000(after)];
    expect((untilAfter["threads"] ?? 0) - (untilBefore["threads"] ?? 0)).toBeGreaterThanOrEqual(2);
    expect((untilAfter["promptTokens"] ?? 0) - (untilBefore["promptTokens"] ?? 0)).toBeGreaterThanOrEqual(sum("promptTokens"));
  });

  it("refuses a bad window or an unknown agent", async () => {
    expect((await api("/v1/agents/probe/usage?from=yesterday")).status).toBe(400);
    expect((await api("/v1/agents/probe/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")).status).toBe(400);
    expect((await api("/v1/agents/probe/usage?bogus=1")).status).toBe(400);
    const unknown = await api("/v1/agents/nobody/usage");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown_agent");
  });

  it("a fork counts only its own model calls, not the copied ones", async () => {
    const { id } = await finished("fork-usage", [{ tool: "list_items" }, done()]);
    const events = await eventsOf(id);
    const firstDecision = events.find((e) => e.type === "model_decided");
    const forkId = freshId("fork");
    model.script(forkId, [done("fork done")]);
    const forked = await api(`/v1/threads/${id}/fork`, { method: "POST", json: { atSeq: firstDecision?.seq, threadId: forkId } });
    expect(forked.status).toBe(201);
    const view = await settle(forkId);
    const forkEvents = (await eventsOf(forkId)).filter((e) => e.seq > (firstDecision?.seq ?? 0));
    expect(view.usage).toEqual(usageInLog(forkEvents));
  });
});

describe("DELETE /v1/threads/{id}: retention", () => {
  it("erases a finished thread's storage and index entry; the id is then unknown", async () => {
    const { id } = await finished("erase", [done()]);
    expect(await listedThreads()).toContain(id);
    const response = await api(`/v1/threads/${id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await api(`/v1/threads/${id}`)).status).toBe(404);
    expect((await api(`/v1/threads/${id}/events`)).status).toBe(404);
    expect(await listedThreads()).not.toContain(id);
    // Storage is really empty: a fresh instance finds no log and no rows.
    const { runInDurableObject } = await import("cloudflare:test");
    const { env } = await import("cloudflare:workers");
    const rows = await runInDurableObject(env.THREADS.getByName(id), (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray().map((r) => r.name),
    );
    const counts = await runInDurableObject(env.THREADS.getByName(id), (_instance, state) =>
      rows.includes("events") ? state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n : 0,
    );
    expect(counts).toBe(0);
    // A second DELETE finds nothing.
    expect((await api(`/v1/threads/${id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses a thread that has not finished, and changes nothing", async () => {
    const id = freshId("active");
    model.script(id, [{ tool: "request_more_information", args: { message: "which?" } }]);
    await launch("scout", `go [script:${id}]`, { threadId: id });
    const waiting = await settle(id);
    expect(waiting.status).toBe("waiting_for_human");
    const response = await api(`/v1/threads/${id}`, { method: "DELETE" });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("thread_active");
    expect((await thread(id).thread())?.lastSeq).toBe(waiting.lastSeq);
  });

  it("answers 404 for an unknown thread and 400 for a malformed id", async () => {
    expect((await api(`/v1/threads/${freshId("nobody")}`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/v1/threads/${encodeURIComponent("bad id!")}`, { method: "DELETE" })).status).toBe(400);
    expect((await api(`/v1/threads/${freshId("noauth")}`, { method: "DELETE", token: null })).status).toBe(401);
  });

  /**
   * The logs a crash leaves right after a thread's end was appended, before its end reached
   * its parent or its children were cancelled. The object's lifecycle is started on the empty
   * log first, so nothing resumes the report or the cancel: the refusal is what is tested.
   */
  async function crashedAfterEnd(id: string, events: readonly NewEvent[]): Promise<void> {
    await runInDurableObject(env.THREADS.getByName(id), async (instance) => {
      await instance.thread();
      const at = new Date(clock.now()).toISOString();
      for (const event of events) instance.log.append(event, at);
    });
  }

  async function refusedErase(id: string, code: string): Promise<void> {
    const before = await eventsOf(id);
    const response = await api(`/v1/threads/${id}`, { method: "DELETE" });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code, message: expect.stringContaining(id) });
    // Nothing erased: the thread and its whole log are still there.
    expect((await api(`/v1/threads/${id}`)).status).toBe(200);
    expect(await eventsOf(id)).toEqual(before);
  }

  it("refuses a finished parent whose child still runs (409 children_running), erases it once the child ended", async () => {
    const id = freshId("parent");
    const callId = CallId.parse("call_erase1");
    const childId = await childThreadId(id, callId, "probe");
    // The child waits for a human, as a live child would.
    const childMarker = model.script(childId, [{ tool: "request_more_information", args: { message: "which tag?" } }]);
    const launched = await thread(childId).launch({ threadId: childId, agent: "probe", message: `child task ${childMarker}`, parent: { threadId: ThreadId.parse(id), callId }, depth: 1 });
    expect(launched.ok).toBe(true);
    expect((await settle(childId)).status).toBe("waiting_for_human");
    const deadline = new Date(clock.now() + 600_000).toISOString();
    await crashedAfterEnd(id, [
      { type: "thread_launched", data: { threadId: ThreadId.parse(id), agent: "boss", message: "go" }, key: "launch" },
      { type: "model_decided", data: { callId, tool: "delegate_to_probe", args: { task: "child task" }, seenSeq: 1, model: "m", promptVersion: "v", latencyMs: 1 } },
      { type: "agent_delegated", data: { callId, tool: "delegate_to_probe", agent: "probe", childThreadId: childId, depth: 1, deadline }, key: `delegate:${callId}` },
      { type: "thread_cancelled", data: { reason: "stopped" } },
    ]);
    await refusedErase(id, "children_running");
    expect((await thread(childId).thread())?.status).toBe("waiting_for_human");

    // A restart resumes the cancel of the child; then the parent may go.
    await evictDurableObject(env.THREADS.getByName(id));
    await settleAll(id);
    expect((await settle(childId)).status).toBe("cancelled");
    expect((await api(`/v1/threads/${id}`, { method: "DELETE" })).status).toBe(204);
  });

  it("refuses a finished child whose end has not reached its parent (409 report_pending), erases it once reported", async () => {
    const id = freshId("child");
    const parent = ThreadId.parse(freshId("absent-parent"));
    await crashedAfterEnd(id, [
      { type: "thread_launched", data: { threadId: ThreadId.parse(id), agent: "probe", message: "task", parent: { threadId: parent, callId: CallId.parse("call_erase2") }, depth: 1 }, key: "launch" },
      { type: "thread_cancelled", data: { reason: "stopped" } },
    ]);
    await refusedErase(id, "report_pending");

    // A restart resumes the report (the parent answers that it has no such thread); then the child may go.
    await evictDurableObject(env.THREADS.getByName(id));
    await settleAll(id);
    expect((await eventsOf(id)).filter((e) => e.type === "parent_notified")).toHaveLength(1);
    expect((await api(`/v1/threads/${id}`, { method: "DELETE" })).status).toBe(204);
  });
});
