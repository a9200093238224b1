import { afterEach, describe, expect, it } from "vitest";
import { agents } from "../../src/agents";
import { promptVersion } from "../../src/agents/prompt";
import { chooseVariant, type Event } from "../../src/core";
import { api, eventsOf, fireTimer, launch, settle, types } from "../support/api";
import { clock, model } from "../support/harness";
import { scout } from "../support/scout-agent";

afterEach(() => {
  clock.offsetMs = 0;
});

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `var-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });

async function start(name: string, steps: Parameters<typeof model.script>[1], extra: Record<string, unknown> = {}, id = freshId(name)) {
  const marker = model.script(id, steps);
  const { response } = await launch("scout", `look around ${marker}`, { threadId: id, ...extra });
  expect(response.status).toBe(201);
  return { id, view: await settle(id), events: await eventsOf(id) };
}

const launchedVariant = (events: readonly Event[]) => (events[0]?.type === "thread_launched" ? events[0].data.variant : undefined);

describe("pre-fetched context (Factor 13)", () => {
  it("runs the agent's pre-fetch tools before the first model call, and the model sees their results", async () => {
    const { id, view, events } = await start("prefetch", [done("Saw the items.")]);
    expect(view.status).toBe("done");
    expect(types(events)).toEqual([
      "thread_launched",
      "call_planned",
      "tool_started",
      "tool_succeeded",
      "call_planned",
      "tool_started",
      "tool_succeeded",
      "model_decided",
      "thread_finished",
    ]);
    const planned = events.filter((e) => e.type === "call_planned");
    expect(planned.map((e) => e.data)).toEqual([
      { callId: "prefetch-1", tool: "list_items", args: {}, by: "prefetch" },
      { callId: "prefetch-2", tool: "lookup", args: { key: "status" }, by: "prefetch" },
    ]);
    expect(events.filter((e) => e.type === "tool_started").map((e) => e.type === "tool_started" && e.data.callId)).toEqual([
      "prefetch-1",
      "prefetch-2",
    ]);
    // The very first request the model receives already holds both results, as if it had asked.
    const requests = model.requests(id);
    expect(requests).toHaveLength(1);
    const context = requests[0]?.messages[1]?.content ?? "";
    expect(context).toContain('<list_items call="prefetch-1">');
    expect(context).toContain('<list_items_result call="prefetch-1">');
    expect(context).toContain("alpha-item");
    expect(context).toContain('<lookup call="prefetch-2">');
    expect(context).toContain("green-status");
    expect(context.indexOf("alpha-item")).toBeLessThan(context.indexOf("green-status"));
    // The inspectable context shows the same blocks.
    const inspect = (await (await api(`/v1/threads/${id}/context`)).json()) as { messages: { content: string }[] };
    expect(inspect.messages[1]?.content).toContain("<list_items_result");
  });

  it("a failing pre-fetch tool is a compact tool error the model sees; the thread goes on", async () => {
    const { id, view, events } = await start("prefetch-fails", [done("Lookup was down.")], {}, `fail-${run}-${++n}`);
    expect(view.status).toBe("done");
    const failed = events.find((e) => e.type === "tool_failed");
    expect(failed?.type === "tool_failed" && failed.data).toMatchObject({ callId: "prefetch-2", tool: "lookup", code: "tool_error" });
    expect(types(events).indexOf("tool_failed")).toBeLessThan(types(events).indexOf("model_decided"));
    const context = model.requests(id)[0]?.messages[1]?.content ?? "";
    expect(context).toContain('<error call="prefetch-2" tool="lookup" code="tool_error">');
    expect(context).toContain("lookup of status is down on purpose");
    expect(context).toContain("alpha-item");
  });

  it("agents without a pre-fetch call the model first, as before", async () => {
    const id = freshId("no-prefetch");
    const marker = model.script(id, [done()]);
    expect((await launch("probe", `hi ${marker}`, { threadId: id })).response.status).toBe(201);
    await settle(id);
    expect(types(await eventsOf(id))).toEqual(["thread_launched", "model_decided", "thread_finished"]);
  });
});

describe("prompt variants (Factor 2)", () => {
  it("records the weighted choice on launch and uses that variant's template and version", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const { id, events } = await start("weighted", [done()]);
      const expected = chooseVariant(id, scout.variants);
      expect(launchedVariant(events)).toBe(expected);
      seen.add(expected ?? "");
      const variant = scout.variants.find((v) => v.name === expected)!;
      const request = model.requests(id)[0];
      // The system prompt is that variant's template, filled in.
      expect(request?.messages[0]?.content).toBe(variant.template.replace("{{agent}}", "scout").replace("{{thread_id}}", id));
      const decided = events.find((e) => e.type === "model_decided");
      expect(decided?.type === "model_decided" && decided.data.promptVersion).toBe(await promptVersion(variant.template));
      const view = (await (await api(`/v1/threads/${id}`)).json()) as { variant?: string };
      expect(view.variant).toBe(expected);
    }
    expect([...seen].every((name) => name === "default" || name === "terse")).toBe(true); // canary has weight 0
  });

  it("a launch may pin a variant, even one with weight 0", async () => {
    const { id, events } = await start("pinned", [done()], { variant: "canary" });
    expect(launchedVariant(events)).toBe("canary");
    expect(model.requests(id)[0]?.messages[0]?.content).toContain("canary prompt");
    const canary = scout.variants.find((v) => v.name === "canary")!;
    const decided = events.find((e) => e.type === "model_decided");
    expect(decided?.type === "model_decided" && decided.data.promptVersion).toBe(await promptVersion(canary.template));
  });

  it("an unknown or malformed variant -> 400 and no thread", async () => {
    for (const [variant, status, code] of [
      ["nope", 400, "unknown_variant"],
      ["", 400, "invalid_request"],
      [7, 400, "invalid_request"],
    ] as const) {
      const id = freshId("bad-variant");
      const response = await api("/v1/agents/scout/threads", { method: "POST", json: { message: "hi", threadId: id, variant } });
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
      expect((await api(`/v1/threads/${id}`)).status).toBe(404);
    }
  });

  it("agents with one prompt record no variant", async () => {
    const id = freshId("single");
    const marker = model.script(id, [done()]);
    await launch("probe", `hi ${marker}`, { threadId: id });
    await settle(id);
    expect(launchedVariant(await eventsOf(id))).toBeUndefined();
  });

  it("GET /v1/agents shows every variant with its version (content hash) and weight", async () => {
    const body = (await (await api("/v1/agents")).json()) as {
      agents: { name: string; prompt: { version: string }; variants: { name: string; file: string; version: string; weight: number }[]; prefetch?: unknown }[];
    };
    const deploybot = body.agents.find((a) => a.name === "deploybot")!;
    const definition = agents.get("deploybot")!;
    expect(deploybot.variants).toEqual(
      await Promise.all(definition.variants.map(async (v) => ({ name: v.name, file: v.file, version: await promptVersion(v.template), weight: v.weight }))),
    );
    expect(deploybot.variants.map((v) => [v.name, v.file, v.weight])).toEqual([
      ["default", "prompts/deploybot.md", 3],
      ["terse", "prompts/deploybot.terse.md", 1],
    ]);
    expect(deploybot.variants[0]?.version).toBe(deploybot.prompt.version);
    expect(deploybot.variants[0]?.version).not.toBe(deploybot.variants[1]?.version);
    for (const v of deploybot.variants) expect(v.version).toMatch(/^sha256:[0-9a-f]{12}$/);
    const scoutView = body.agents.find((a) => a.name === "scout")!;
    expect(scoutView.prefetch).toEqual([{ tool: "list_items", args: {} }, { tool: "lookup", args: { key: "status" } }]);
  });
});

describe("variant stats: GET /v1/agents/{agent}/variants", () => {
  type Row = { name: string; version: string; weight: number; threads: number; steps: number; errors: number; escalations: number; outcomes: Record<string, number> };
  const stats = async () => {
    const response = await api("/v1/agents/scout/variants");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { agent: string; consistency: string; variants: Row[] };
    expect(body).toMatchObject({ agent: "scout", consistency: "eventual" });
    return body.variants;
  };

  it("counts threads, steps, errors, escalations and outcomes per variant", async () => {
    const before = (await stats()).find((v) => v.name === "canary")!;
    const canary = { variant: "canary", humanTimeoutSeconds: 60 };
    const garbage = { garbage: "this is not json" };

    // done: one model step
    await start("stats-done", [done()], canary);
    // failed: three garbage answers escalate; nobody answers; the thread fails
    const failed = await start("stats-failed", [garbage, garbage, garbage], canary);
    expect(failed.view.status).toBe("waiting_for_human");
    clock.advance(61_000);
    await fireTimer(failed.id, { type: "human_deadline", requestId: failed.view.pending!.requestId });
    expect((await settle(failed.id)).status).toBe("failed");
    // escalated and still open
    const open = await start("stats-open", [garbage, garbage, garbage], canary);
    expect(open.view.status).toBe("waiting_for_human");
    // cancelled while waiting for an answer
    const cancelled = await start("stats-cancel", [{ tool: "request_more_information", args: { message: "which?" } }], canary);
    expect((await api(`/v1/threads/${cancelled.id}/cancel`, { method: "POST", json: {} })).status).toBe(200);
    await settle(cancelled.id);

    const after = (await stats()).find((v) => v.name === "canary")!;
    expect(after.weight).toBe(0);
    expect(after.version).toMatch(/^sha256:/);
    const delta = (k: "threads" | "steps" | "errors" | "escalations") => after[k] - before[k];
    expect(delta("threads")).toBe(4);
    expect(delta("steps")).toBe(1 + 3 + 3 + 1);
    expect(delta("errors")).toBe(3 + 3);
    expect(delta("escalations")).toBe(2);
    expect(Object.fromEntries(Object.entries(after.outcomes).map(([k, v]) => [k, v - (before.outcomes[k] ?? 0)]))).toEqual({
      done: 1,
      failed: 1,
      cancelled: 1,
      open: 1,
    });
    // The counts agree with the logs, which stay the truth.
    const events = await eventsOf(failed.id);
    expect(events.filter((e) => e.type === "model_failed")).toHaveLength(3);
    expect(events.filter((e) => e.type === "human_requested" && e.data.reason === "repeated_errors")).toHaveLength(1);
  });

  it("an escalation appended by a deadline timer (outside any step loop, no status change) is pushed too", async () => {
    const held = await start("stats-timer", [{ tool: "guarded_escalate", args: { label: "x" } }], { variant: "canary", humanTimeoutSeconds: 60 });
    expect(held.view.status).toBe("waiting_for_human");
    const before = (await stats()).find((v) => v.name === "canary")!;
    clock.advance(61_000);
    await fireTimer(held.id, { type: "human_deadline", requestId: held.view.pending!.requestId });
    const view = await settle(held.id);
    expect(view.status).toBe("waiting_for_human"); // extended, still waiting: no status change
    expect(types(await eventsOf(held.id))).toContain("human_escalated");
    const after = (await stats()).find((v) => v.name === "canary")!;
    expect(after.escalations - before.escalations).toBe(1);
    expect(after.threads - before.threads).toBe(0);
  });

  it("unknown agent -> 404", async () => {
    const response = await api("/v1/agents/nobody/variants");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unknown_agent");
  });
});
