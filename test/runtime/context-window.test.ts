/**
 * Factor 3 in the real runtime (issue 21): what the scripted model receives on the wire
 * after a crash left a call's outcome unknown, compaction as a logged step, the escalation
 * when pinned events alone exceed the budget, and a context policy that fails.
 */
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settle, types } from "../support/api";
import { executions, gate, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { MIN_COMPACT_EVENTS, rangeToCompact } from "../../src/runtime/context/compaction";

const userMessage = (request: { messages: { role: string; content: string }[] } | undefined) => request?.messages.find((m) => m.role === "user")?.content ?? "";

describe("an unknown outcome stays in the context (invariant 11)", () => {
  it("a crash mid-deploy leaves deploy_backend outcome_unknown; after deploy_frontend succeeds and 20 more turns, every model request still shows it", async () => {
    const id = "ctx-unknown-outcome";
    const g = `${id}-gate`;
    const marker = model.script(id, [
      { tool: "deploy_backend", args: { gate: g } }, // not idempotent
      { tool: "deploy_frontend", args: { tag: "v2" } }, // another tool, which succeeds
      ...Array.from({ length: 20 }, (_, i) => ({ tool: "echo", args: { text: `check ${i}: ${"all green ".repeat(12)}` } })),
      { tool: "done_for_now", args: { message: "done" } },
    ]);
    await launch("tight", `deploy v2 everywhere ${marker}`, { threadId: id });
    await gate(g).reached;
    await abortAllDurableObjects(); // SIGKILL while the non-idempotent call is in flight
    const done = await settle(id);
    expect(done.status).toBe("done");
    const events = await eventsOf(id);
    expect(events.filter((e) => e.type === "tool_failed").map((e) => (e as Extract<Event, { type: "tool_failed" }>).data.code)).toEqual(["outcome_unknown"]);
    expect(executions.get(g)).toBe(1); // never run twice

    const requests = model.requests(id);
    expect(requests).toHaveLength(23);
    // The third request comes right after deploy_frontend succeeded: the old render hid every older error from here on.
    expect(userMessage(requests[2])).toContain("<deploy_frontend_result");
    for (const request of requests.slice(1)) {
      const text = userMessage(request);
      expect(text).toMatch(/<error call="[^"]+" tool="deploy_backend" code="outcome_unknown">\nThe runtime restarted while deploy_backend was running/);
      expect(text).toContain(`args: {"gate":"${g}"}`);
      expect(text).toContain("Try: Check whether it took effect before running it again.");
    }
    // The budget was under pressure: older turns were left out or summarised, the unknown outcome never.
    expect(userMessage(requests.at(-1))).toMatch(/<omitted events=|<summary from_seq=/);
  });
});

/** Twenty-five echo turns of ~60 tokens each, then done: well over the tight agent's 1,500 tokens. */
const echoes = (n: number): ScriptStep[] => [
  ...Array.from({ length: n }, (_, i) => ({ tool: "echo", args: { text: `turn ${i}: ${"lorem ipsum dolor sit amet ".repeat(8)}` } })),
  { tool: "done_for_now", args: { message: "echoed" } },
];

describe("compaction as an event", () => {
  it("summarises a long omitted run once, logs context_compacted, and the next requests show the summary in its place", async () => {
    const id = "ctx-compaction";
    const marker = model.script(id, echoes(25));
    await launch("tight", `echo a lot ${marker}`, { threadId: id });
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    const compactions = events.filter((e): e is Extract<Event, { type: "context_compacted" }> => e.type === "context_compacted");
    expect(compactions.length).toBeGreaterThan(0);
    expect(model.summaries(id)).toHaveLength(compactions.length);
    const first = compactions[0]!;
    expect(first.data).toMatchObject({ fromSeq: 2, model: expect.any(String), promptVersion: expect.stringMatching(/^sha256:/) });
    // The range is cut to what fits half the budget in one summary request.
    expect(first.data.toSeq).toBeGreaterThan(first.data.fromSeq + 8);
    expect(first.data.tokensAfter).toBeLessThan(first.data.tokensBefore);
    // Nothing pinned inside the range: no human event, no unresolved error.
    expect(events.filter((e) => e.seq >= first.data.fromSeq && e.seq <= first.data.toSeq && (e.type.startsWith("human_") || e.type === "tool_failed"))).toEqual([]);
    // The model request right after the compaction shows the summary, not the range.
    const after = model.requests(id).find((r) => userMessage(r).includes(`<summary from_seq="${first.data.fromSeq}"`));
    expect(userMessage(after)).toContain(`SUMMARY of events ${first.data.fromSeq} to ${first.data.toSeq}`);
    expect(userMessage(after)).not.toContain("turn 0:");

    // Replay never summarises again: a fresh instance renders the same context from the log.
    const before = await (await api(`/v1/threads/${id}/context`)).json();
    await evictDurableObject(env.THREADS.getByName(id));
    const again = await (await api(`/v1/threads/${id}/context`)).json();
    expect(again).toEqual(before);
    expect(model.summaries(id)).toHaveLength(compactions.length);
    expect((before as { sections: { as: string }[] }).sections.some((s) => s.as === "summary")).toBe(true);
  });

  it("a failing summary call never blocks: the thread goes on, dropping instead, and logs no summary", async () => {
    const id = "ctx-compaction-fails";
    const marker = model.script(id, echoes(25));
    model.failSummaries(id, 1_000);
    await launch("tight", `echo a lot ${marker}`, { threadId: id });
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    expect(types(events)).not.toContain("context_compacted");
    expect(model.summaries(id).length).toBeGreaterThan(0);
    expect(types(events).filter((t) => t === "model_decided")).toHaveLength(26);
    const last = userMessage(model.requests(id).at(-1));
    expect(last).toMatch(/<omitted events="\d+"/);
  });
});

describe("which range is summarised", () => {
  const omitted = (fromSeq: number, toSeq: number, reason = "older than the read") => ({ fromSeq, toSeq, as: "omitted" as const, reason });
  it("the oldest omitted run of at least MIN_COMPACT_EVENTS after everything already summarised, never a range summarised before", () => {
    expect(MIN_COMPACT_EVENTS).toBe(32);
    const full = { fromSeq: 1, toSeq: 1, as: "full" as const, reason: "pinned" };
    expect(rangeToCompact([full, omitted(2, 20), omitted(22, 100)], [])).toEqual({ fromSeq: 22, toSeq: 100 });
    // 2..60 was summarised once; its summary is too old to be read back, so 2..100 shows as omitted again.
    expect(rangeToCompact([full, omitted(2, 100)], [{ seq: 70, fromSeq: 2, toSeq: 60 }])).toEqual({ fromSeq: 61, toSeq: 100 });
    expect(rangeToCompact([full, omitted(2, 80)], [{ seq: 70, fromSeq: 2, toSeq: 60 }])).toBeUndefined(); // 61..80 is too short
    expect(rangeToCompact([full, omitted(2, 100, "summary over budget")], [])).toBeUndefined();
  });
});

describe("the budget", () => {
  it("GET /context says how many tokens the input takes, against which limit and tokenizer, and what each range became", async () => {
    const id = "ctx-budget";
    const marker = model.script(id, echoes(25));
    model.failSummaries(id, 1_000);
    await launch("tight", `echo a lot ${marker}`, { threadId: id });
    await settle(id);
    const body = (await (await api(`/v1/threads/${id}/context`)).json()) as { budget: { tokens: number; limit: number; tokenizer: string }; sections: { fromSeq: number; toSeq: number; as: string; reason: string }[] };
    expect(body.budget).toMatchObject({ limit: 1_500, tokenizer: "cl100k_base" });
    expect(body.budget.tokens).toBeLessThanOrEqual(1_500);
    expect(body.budget.tokens).toBeGreaterThan(500);
    expect(body.sections[0]).toEqual({ fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" });
    expect(body.sections.some((s) => s.as === "omitted")).toBe(true);
    expect(body.sections.at(-1)?.toSeq).toBe((await eventsOf(id)).at(-1)?.seq);
  });

  it("pinned events alone over budget: the thread asks a human with the reason, and the model is not called", async () => {
    const id = "ctx-over-budget";
    const marker = model.script(id, echoes(1));
    // Capped at 6,000 characters as a block, and still about 4,000 tokens: dense text.
    await launch("tight", `${marker} ${"x7 ".repeat(3_000)}`, { threadId: id });
    const view = await settle(id);
    expect(view.status).toBe("waiting_for_human");
    expect(model.requests(id)).toHaveLength(0);
    const asked = (await eventsOf(id)).find((e): e is Extract<Event, { type: "human_requested" }> => e.type === "human_requested");
    expect(asked?.data.reason).toBe("context_over_budget");
    expect(asked?.data.message).toMatch(/exceeds its budget of 1500 tokens \(cl100k_base\)\. Nothing was truncated/);
  });
});

describe("a context policy that fails", () => {
  it("throwing fails that step with context_policy_failed on the log; nothing else is lost, the model is not called", async () => {
    const id = "ctx-policy-throws";
    const marker = model.script(id, echoes(1));
    await launch("brittle", `policy-bug ${marker}`, { threadId: id });
    const view = await settle(id);
    const events = await eventsOf(id);
    const failures = events.filter((e): e is Extract<Event, { type: "model_failed" }> => e.type === "model_failed");
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]?.data).toMatchObject({ code: "context_policy_failed", message: expect.stringMatching(/Context policy "brittle" threw on event 1 \(thread_launched\): cannot rank this launch/) });
    expect(model.requests(id)).toHaveLength(0);
    expect(events[0]?.type).toBe("thread_launched");
    // After MAX_CONSECUTIVE_ERRORS the thread asks a human, as for any error streak.
    expect(view.status).toBe("waiting_for_human");
    expect((await api(`/v1/threads/${id}/context`)).status).toBe(409);
  });

  it("garbage fails the step the same way; the message that caused it stays in the log", async () => {
    const id = "ctx-policy-garbage";
    const marker = model.script(id, [{ tool: "request_more_information", args: { message: "Which one?" } }]);
    await launch("brittle", `start ${marker}`, { threadId: id });
    expect((await settle(id)).status).toBe("waiting_for_human");
    const sent = await api(`/v1/threads/${id}/messages`, { method: "POST", json: { text: "policy-garbage, please" } });
    expect(sent.status).toBe(202);
    await settle(id);
    const events = await eventsOf(id);
    const failed = events.find((e): e is Extract<Event, { type: "model_failed" }> => e.type === "model_failed");
    expect(failed?.data.code).toBe("context_policy_failed");
    expect(failed?.data.message).toMatch(/answered \{"class":"urgent"\} for event \d+ \(user_messaged\)/);
    expect(events.some((e) => e.type === "user_messaged" && e.data.text === "policy-garbage, please")).toBe(true);
    expect(model.requests(id)).toHaveLength(1);
  });
});
