/**
 * The OTLP export as an obligation derived from the log (runtime/thread/trace-export.ts),
 * in workerd against real Durable Objects, SQLite and the wake-up: off stores nothing; on,
 * a run's spans reach the collector as one batch; a collector that is down delays only
 * its own spans (backoff on the one wake-up) and every span arrives exactly once after it
 * recovers; a lost acknowledgement re-sends that one batch with the same ids.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { spanIdOf, spanKey, traceIdOf } from "../../src/traces/ids";
import { api, eventsOf, fireTimer, launch, respond, settle, thread, wakeRows } from "../support/api";
import { clock, collector, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

afterEach(() => {
  clock.offsetMs = 0;
  collector.failNext = 0;
  collector.loseAckNext = 0;
  collector.hold = undefined;
});

const run = crypto.randomUUID().slice(0, 8);
let n = 0;
const done = (message = "done"): ScriptStep => ({ tool: "done_for_now", args: { message } });

/** A probe thread held at an approval (OTEL still off: the suite's env has no endpoint). */
async function held() {
  const id = `tx-${run}-${++n}`;
  await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label: `tx-${id}` } }, done("deployed")])}`, { threadId: id });
  const view = await settle(id);
  if (!view.pending) throw new Error(`expected a pending approval, got ${view.status}`);
  return { id, requestId: view.pending.requestId };
}

type Instance = { env: Env; ctx: DurableObjectState };

/** Switches the export on for this one instance (like a deploy that sets the variables). */
async function withOtel(id: string): Promise<void> {
  await runInDurableObject(env.THREADS.getByName(id), (instance) => {
    const current = (instance as unknown as Instance).env;
    Object.defineProperty(instance, "env", { value: { ...current, OTEL_EXPORTER_OTLP_ENDPOINT: "http://otlp.test", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }, configurable: true });
  });
}

async function sql<T>(id: string, query: string): Promise<T[]> {
  return runInDurableObject(env.THREADS.getByName(id), (instance) => (instance as unknown as Instance).ctx.storage.sql.exec(query).toArray() as T[]);
}
const cursorOf = async (id: string) => (await sql<{ cursor: number; failures: number; retry_at: number | null }>(id, "SELECT cursor, failures, retry_at FROM trace_export"))[0];
const counts = (ids: string[]) => ids.reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});

describe("trace export (OTLP/HTTP)", () => {
  it("off (no endpoint): nothing is exported and nothing is stored", async () => {
    const { id, requestId } = await held();
    await respond(id, { requestId, approved: true });
    expect((await settle(id)).status).toBe("done");
    expect(await sql(id, "SELECT name FROM sqlite_master WHERE name = 'trace_export'")).toEqual([]);
    expect(collector.spansOf(traceIdOf(id))).toEqual([]);
  });

  it("on: the run's spans arrive as one batch, one trace, every span once, and the cursor stands at the log's end", async () => {
    const { id, requestId } = await held();
    await withOtel(id);
    const before = collector.batches.length;
    await respond(id, { requestId, approved: true });
    const view = await settle(id);
    expect(view.status).toBe("done");
    const spans = collector.spansOf(traceIdOf(id));
    expect(spans.map((s) => s.name).sort()).toEqual(["chat scripted-model", "chat scripted-model", "execute_tool guarded", "human_request approval", "invoke_agent probe"]);
    expect(Object.values(counts(spans.map((s) => s.spanId))).every((c) => c === 1)).toBe(true);
    const root = spans.find((s) => s.name === "invoke_agent probe");
    expect(spans.filter((s) => s !== root).every((s) => s.parentSpanId === root?.spanId)).toBe(true);
    expect(collector.batches.slice(before).filter((b) => b.some((s) => s.traceId === traceIdOf(id)))).toHaveLength(1);
    expect(await cursorOf(id)).toEqual({ cursor: view.lastSeq, failures: 0, retry_at: null });
  });

  it("a collector answering 503 delays only its spans: the thread ends, the retry waits on the wake-up, and every span arrives once", async () => {
    const { id, requestId } = await held();
    await withOtel(id);
    collector.failNext = 2;
    await respond(id, { requestId, approved: true });
    const view = await settle(id);
    expect(view.status).toBe("done"); // the step never waited for the collector
    expect(collector.spansOf(traceIdOf(id))).toEqual([]);
    const first = await cursorOf(id);
    expect(first).toMatchObject({ cursor: 0, failures: 1 });
    // The retry is the thread's one wake-up, at the backoff's end.
    expect((await wakeRows(id)).map((r) => r.time)).toEqual([first?.retry_at ?? 0]);

    clock.advance((first?.retry_at ?? 0) - clock.now() + 1000);
    await fireTimer(id, { type: "wake" });
    await settle(id);
    const second = await cursorOf(id);
    expect(second).toMatchObject({ cursor: 0, failures: 2 });
    clock.advance((second?.retry_at ?? 0) - clock.now() + 1000);
    await fireTimer(id, { type: "wake" });
    await settle(id);

    const spans = collector.spansOf(traceIdOf(id));
    expect(spans).toHaveLength(5);
    expect(Object.values(counts(spans.map((s) => s.spanId))).every((c) => c === 1)).toBe(true);
    expect(await cursorOf(id)).toEqual({ cursor: view.lastSeq, failures: 0, retry_at: null });
    expect(await wakeRows(id)).toEqual([]);
  });

  it("a collector that hangs never holds up a step: with a batch stuck at the collector, the approval runs and the thread ends", async () => {
    const { id, requestId } = await held();
    await withOtel(id);
    let release!: () => void;
    collector.hold = new Promise<void>((r) => (release = r));
    try {
      const arrived = collector.arrived;
      // The first batch (the model call that asked for approval) goes out and hangs.
      await runInDurableObject(env.THREADS.getByName(id), (instance) => (instance as unknown as { traces: { flush(): void } }).traces.flush());
      for (let i = 0; i < 100 && collector.arrived === arrived; i++) await new Promise((r) => setTimeout(r, 20));
      expect(collector.arrived).toBe(arrived + 1);
      await respond(id, { requestId, approved: true });
      // Not idle() (which waits for the export too): the thread's own view, polled.
      for (let i = 0; i < 100 && (await thread(id).thread())?.status !== "done"; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await thread(id).thread())?.status).toBe("done");
      expect(collector.spansOf(traceIdOf(id))).toEqual([]); // nothing acknowledged yet
    } finally {
      collector.hold = undefined;
      release();
    }
    await settle(id);
    const spans = collector.spansOf(traceIdOf(id));
    expect(spans).toHaveLength(5);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(5);
  });

  it("an acknowledgement that is lost re-sends exactly that batch, with the same ids", async () => {
    const { id, requestId } = await held();
    await withOtel(id);
    collector.loseAckNext = 1;
    await respond(id, { requestId, approved: true });
    await settle(id);
    const retry = await cursorOf(id);
    clock.advance((retry?.retry_at ?? 0) - clock.now() + 1000);
    await fireTimer(id, { type: "wake" });
    await settle(id);
    const batches = collector.batches.filter((b) => b.some((s) => s.traceId === traceIdOf(id)));
    expect(batches).toHaveLength(2);
    expect(batches[1]?.map((s) => s.spanId)).toEqual(batches[0]?.map((s) => s.spanId));
  });

  it("content stays out of the exported spans unless OTEL_CAPTURE_CONTENT is true", async () => {
    const { id, requestId } = await held();
    await withOtel(id);
    await respond(id, { requestId, approved: true, comment: "secret-comment-123" });
    await settle(id);
    const bytes = JSON.stringify(collector.spansOf(traceIdOf(id)));
    expect(bytes).not.toContain("secret-comment-123");
    expect(bytes).not.toContain(`tx-${id}`); // the tool's argument value
    expect(bytes).not.toContain("deployed"); // the final message
  });

  it("a fork exports its own trace from the fork on, linked to its source; the copied prefix is not sent again", async () => {
    const source = await held();
    const atSeq = (await settle(source.id)).lastSeq;
    const forkId = `${source.id}-fork`;
    expect((await api(`/v1/threads/${source.id}/fork`, { method: "POST", json: { atSeq, threadId: forkId } })).status).toBe(201);
    await settle(forkId);
    await withOtel(forkId);
    await respond(forkId, { requestId: source.requestId, approved: true });
    expect((await settle(forkId)).status).toBe("done");
    const spans = collector.spansOf(traceIdOf(forkId));
    // The source's first model call (before the fork) belongs to the source's trace: not here, and not re-sent under the source's ids.
    expect(spans.map((s) => s.name).sort()).toEqual(["chat scripted-model", "execute_tool guarded", "human_request approval", "invoke_agent probe"]);
    expect(collector.spansOf(traceIdOf(source.id))).toEqual([]);
    const root = spans.find((s) => s.name === "invoke_agent probe");
    expect(root?.attributes["edge_agents.fork.from_thread_id"]).toBe(source.id);
    const forked = (await eventsOf(forkId)).find((e) => e.type === "thread_forked");
    expect(Number(root?.attributes["edge_agents.fork.at_seq"])).toBe(atSeq);
    expect(forked?.seq).toBe(atSeq + 1);
    expect(spanIdOf(forkId, spanKey.root())).toBe(root?.spanId);
  });
});
