/// <reference types="node" />
/**
 * BENCH ONLY: the needle row (issue 21). A 2,000-turn thread with facts in its launch, a
 * human decision at turn 10 and an unknown outcome at turn 100: at turn 2,000 all three
 * must be in the context, within the token budget, and the render must cost about what it
 * costs at turn 10 (it reads one budget's worth of the newest events plus the pinned ones
 * by seq, never the log back to the launch).
 *
 * Measured in Node on `contextInput`, the function every step, GET /context and evals call,
 * with the real tokenizer, over a source that reads like the runtime's (marks from the
 * state, the newest events lazily, pinned ones by seq). Each turn's result is ~700 tokens
 * and the budget is 8,000, so 10 turns already fill it: the comparison is full against full.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { defineAgent, defineTool, doneForNow } from "../src/agents/define";
import { CallId, reduce, RequestId, ThreadId, AgentName, type ContextSource, type Event, type EventBody, type MaybeThread } from "../src/core";
import { contextInput } from "../src/model/context-input";

const BUDGET = 8_000;
const FACT = "FACT-7731: the production database is prod-eu-7 and only ada may approve a restore";

const tool = (name: string) => defineTool({ name, description: `Bench tool ${name}.`, input: z.object({ target: z.string() }), run: async () => null });
const agent = defineAgent({
  name: "needle",
  description: "Bench agent.",
  prompt: { file: "bench/needle.ts", template: "You are {{agent}}." },
  tools: [tool("check_status"), tool("deploy_backend"), doneForNow],
  context: { tokens: BUDGET, tokenizer: "cl100k_base" },
});

/** The log of a thread at `turns` turns, with the state advanced as the runtime does. */
function thread(turns: number): { events: Event[]; state: MaybeThread } {
  const events: Event[] = [];
  let state: MaybeThread;
  const add = (body: EventBody) => {
    const event = { ...body, seq: events.length + 1, at: new Date(Date.UTC(2026, 0, 1, 0, 0, events.length)).toISOString() } as Event;
    events.push(event);
    state = reduce(state, event);
  };
  add({ type: "thread_launched", data: { threadId: ThreadId.parse("needle"), agent: AgentName.parse("needle"), message: `Keep the service healthy. ${FACT}.` } });
  for (let turn = 1; turn <= turns; turn++) {
    const callId = CallId.parse(`c${turn}`);
    const toolName = turn === 100 ? "deploy_backend" : "check_status";
    const args = { target: turn === 100 ? "backend-v2" : `svc-${turn % 7}` };
    add({ type: "model_decided", data: { callId, tool: toolName, args, seenSeq: events.length, model: "gpt-4.1", promptVersion: "sha256:bench", latencyMs: 1 } });
    if (turn === 10) {
      const requestId = RequestId.parse(`req_${callId}`);
      add({ type: "human_requested", data: { requestId, kind: "input", reason: "model_asked", message: "May I restart svc-3 during business hours?", deadline: "2026-01-02T00:00:00.000Z", onTimeout: "deny", notify: [] } });
      add({ type: "human_responded", data: { requestId, answer: "DECISION-42: yes, restart svc-3 now", by: { kind: "api", id: "ada", verifiedBy: "api_token" } } });
      continue;
    }
    add({ type: "tool_started", data: { callId, tool: toolName, args, attempt: 1 } });
    if (turn === 100) {
      add({ type: "tool_failed", data: { callId, tool: toolName, code: "outcome_unknown", message: "The runtime restarted while deploy_backend was running; it may or may not have taken effect. It was not re-run. Check before retrying." } });
      continue;
    }
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i} of turn ${turn}: latency ${(turn * 7 + i) % 97} ms, ok`);
    add({ type: "tool_succeeded", data: { callId, tool: toolName, result: { report: lines.join("\n") }, latencyMs: 1 } });
  }
  return { events, state };
}

/** Reads like src/runtime/context-source.ts: marks and open requests from the state, newest first lazily, pinned by seq, answers by type. */
function source(events: readonly Event[], state: MaybeThread): ContextSource & { reads: () => number } {
  let reads = 0;
  const bySeq = (seq: number) => {
    reads++;
    return events[seq - 1] as Event;
  };
  const answers = events.filter((e) => e.type === "human_responded" || e.type === "human_timed_out");
  return {
    launch: events[0] as Event,
    marks: state?.context,
    newestFirst: (function* () {
      for (let seq = events.length; seq >= 1; seq--) yield bySeq(seq);
    })(),
    bySeq: (seqs) => seqs.map(bySeq),
    openRequests: (state?.pending ?? []).map((r) => r.seq),
    answersBefore: (seq) => answers.filter((e) => e.seq < seq),
    reads: () => reads,
  };
}

async function render(events: readonly Event[], state: MaybeThread) {
  const src = source(events, state);
  const started = performance.now();
  const result = await contextInput({ agent, systemPrompt: "You are needle.", promptVersion: "sha256:bench", source: src, seenSeq: events.length, model: "gpt-4.1" });
  const ms = performance.now() - started;
  if (!result.ok) throw new Error(result.message);
  return { ms, reads: src.reads(), input: result.input };
}

export type NeedleRow = [metric: string, value: string, baseline: string, ratio: string, target: string, verdict: string];

export async function needleRows(): Promise<NeedleRow[]> {
  const short = thread(10);
  const long = thread(2_000);
  // Warm both (the encoding loads once, the JIT and the token cache settle), then alternate
  // the two sizes so a GC pause or a busy neighbour falls on both alike: measuring all of
  // one size first read 1.1x to 5.8x for the same code, depending on which came first.
  for (let i = 0; i < 10; i++) {
    await render(short.events, short.state);
    await render(long.events, long.state);
  }
  const samples: { short: Awaited<ReturnType<typeof render>>[]; long: Awaited<ReturnType<typeof render>>[] } = { short: [], long: [] };
  for (let i = 0; i < 101; i++) {
    samples.short.push(await render(short.events, short.state));
    samples.long.push(await render(long.events, long.state));
  }
  const median = (runs: Awaited<ReturnType<typeof render>>[]) => [...runs].sort((a, b) => a.ms - b.ms)[50] as Awaited<ReturnType<typeof render>>;
  const at10 = median(samples.short);
  const at2000 = median(samples.long);
  const text = at2000.input.messages.map((m) => m.content).join("\n");
  const found = {
    launch: text.includes("FACT-7731"),
    decision: text.includes("DECISION-42"),
    unknown: /tool="deploy_backend" code="outcome_unknown"/.test(text),
  };
  const all = found.launch && found.decision && found.unknown;
  const ratio = at2000.ms / at10.ms;
  return [
    [
      "needle: turn 2,000 keeps the launch facts, the turn-10 human decision, the turn-100 unknown outcome",
      `${Object.entries(found).map(([k, v]) => `${k} ${v ? "yes" : "NO"}`).join(", ")}`,
      "—",
      "—",
      "all three",
      all ? "pass" : "FAIL",
    ],
    [
      `needle: tokens at turn 2,000 (messages + tool schemas, ${at2000.input.budget.tokenizer})`,
      `${at2000.input.budget.tokens}`,
      `${at10.input.budget.tokens} at turn 10`,
      "—",
      `<= ${BUDGET}`,
      at2000.input.budget.tokens <= BUDGET && at10.input.budget.tokens <= BUDGET ? "pass" : "FAIL",
    ],
    [
      `needle: render at turn 2,000 (${long.events.length} events; ${at2000.reads} read) vs turn 10 (${short.events.length} events; ${at10.reads} read), median of 101, alternating`,
      `${at2000.ms.toFixed(2)} ms`,
      `${at10.ms.toFixed(2)} ms`,
      `${ratio.toFixed(2)}x`,
      "<= 1.5x",
      ratio <= 1.5 ? "pass" : "FAIL",
    ],
  ];
}
