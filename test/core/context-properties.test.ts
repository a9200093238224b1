/**
 * Properties of the context render over random logs (issue 21): pinned events are always
 * in it, an unknown outcome stays until its own call is resolved, tokens never exceed the
 * budget, and the render is a pure function of (log, policy, budget).
 */
import fc from "fast-check";
import { countTokens } from "gpt-tokenizer/encoding/cl100k_base";
import { describe, expect, it } from "vitest";
import { block, canonicalJson, defaultContextPolicy, DEFAULT_LIMITS, renderContext, sourceFromEvents, type Event, type JsonObject } from "../../src/core";
import { Log, ev } from "./fixtures";
import { quarterTokens, renderLog } from "./render";

type Action =
  | { kind: "message"; words: number }
  | { kind: "call"; tool: "deploy" | "status"; arg: "a" | "b"; outcome: "ok" | "unknown" | "error"; size: number }
  | { kind: "ask"; approve: boolean; tool: "deploy" | "status"; arg: "a" | "b" };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("message" as const), words: fc.integer({ min: 1, max: 60 }) }),
  fc.record({
    kind: fc.constant("call" as const),
    tool: fc.constantFrom("deploy" as const, "status" as const),
    arg: fc.constantFrom("a" as const, "b" as const),
    outcome: fc.constantFrom("ok" as const, "ok" as const, "unknown" as const, "error" as const),
    size: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({ kind: fc.constant("ask" as const), approve: fc.boolean(), tool: fc.constantFrom("deploy" as const, "status" as const), arg: fc.constantFrom("a" as const, "b" as const) }),
);

function build(actions: readonly Action[]): Log {
  const log = Log.launched({ message: "launch facts: region eu-west, owner ada" });
  actions.forEach((a, i) => {
    const callId = `c${i}`;
    if (a.kind === "message") log.add(ev.message(`word${i} `.repeat(a.words)));
    else if (a.kind === "call") {
      const args = { target: a.arg };
      log.decide(callId, a.tool, args);
      log.add(ev.started(callId, a.tool, args));
      if (a.outcome === "ok") log.add(ev.succeeded(callId, a.tool, { out: `r${i} `.repeat(a.size) }));
      else log.add(ev.failed(callId, a.tool, a.outcome === "unknown" ? "outcome_unknown" : "tool_error", `failure ${i}`));
    } else {
      const args = { target: a.arg };
      log.decide(callId, a.tool, args);
      log.add(ev.approvalRequested(`r${i}`, { callId, tool: a.tool, args }));
      log.add(ev.responded(`r${i}`, { approved: a.approve }));
      if (a.approve) log.add(ev.started(callId, a.tool, args), ev.succeeded(callId, a.tool, "approved run"));
    }
  });
  return log;
}

/** An independent statement of "resolved": a later success, or a human decision, on the same tool and arguments. */
function unresolvedUnknowns(events: readonly Event[]): Event[] {
  const argsOf = new Map<string, JsonObject>();
  for (const e of events) if (e.type === "model_decided") argsOf.set(e.data.callId, e.data.args);
  const key = (tool: string, callId: string) => `${tool} ${canonicalJson(argsOf.get(callId) ?? {})}`;
  return events.filter((e, i) => {
    if (e.type !== "tool_failed" || e.data.code !== "outcome_unknown") return false;
    const mine = key(e.data.tool, e.data.callId);
    return !events.slice(i + 1).some((later) =>
      (later.type === "tool_succeeded" && key(later.data.tool, later.data.callId) === mine) ||
      (later.type === "human_requested" && later.data.call && `${later.data.call.tool} ${canonicalJson(later.data.call.args)}` === mine && events.some((r) => r.type === "human_responded" && r.data.requestId === later.data.requestId)),
    );
  });
}

const arbitraryLog = fc.array(action, { minLength: 0, maxLength: 80 }).map(build);
const arbitraryBudget = fc.integer({ min: 600, max: 6_000 });

describe("property: the context render (issue 21)", () => {
  it("an unknown outcome stays in the context until its own call is resolved, whatever else succeeds", () => {
    fc.assert(
      fc.property(arbitraryLog, arbitraryBudget, fc.integer({ min: 0, max: 40 }), (generated, tokens, filler) => {
        // Pressure: newer chatter that a budget would rather keep than an old error (on a copy: fast-check reuses values).
        const log = new Log();
        log.events.push(...generated.events);
        for (let i = 0; i < filler; i++) log.add(ev.message(`filler${i} `.repeat(40)));
        const rendered = renderLog(log.events, { tokens });
        for (const unknown of unresolvedUnknowns(log.events)) {
          expect(rendered.text).toContain(`<error call="${(unknown as Extract<Event, { type: "tool_failed" }>).data.callId}" tool=`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every pinned event is in the render: the launch, human answers and open requests, unresolved errors, the newest result of each tool", () => {
    fc.assert(
      fc.property(arbitraryLog, arbitraryBudget, (log, tokens) => {
        const rendered = renderLog(log.events, { tokens });
        const marks = log.state.context;
        const pinnedSeqs = new Set([...(marks?.unresolved ?? []).map((e) => e.seq), ...Object.values(marks?.latestResults ?? {})]);
        for (const e of log.events) {
          const open = log.state.pending.some((r) => r.seq === e.seq);
          const pinned = e.type === "thread_launched" || e.type === "human_responded" || open || pinnedSeqs.has(e.seq);
          const text = block(e);
          if (pinned && text) expect(rendered.text).toContain(text.replace(/\n<\/error>$/, ""));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("tokens never exceed the budget unless the pinned events alone do (then the thread escalates)", () => {
    fc.assert(
      fc.property(arbitraryLog, arbitraryBudget, fc.integer({ min: 0, max: 400 }), (log, tokens, reserved) => {
        const rendered = renderLog(log.events, { tokens, reserved });
        expect(quarterTokens.count(`${rendered.text}\n\n`)).toBeLessThanOrEqual(rendered.tokens);
        if (!rendered.overBudget) expect(reserved + rendered.tokens).toBeLessThanOrEqual(tokens);
        else expect(rendered.pinnedTokens).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it("is a pure function of (log, policy, budget): same inputs, same output, however the source is read", () => {
    fc.assert(
      fc.property(arbitraryLog, arbitraryBudget, (log, tokens) => {
        const limits = { ...DEFAULT_LIMITS, tokens };
        const once = renderContext(sourceFromEvents(log.events), defaultContextPolicy, limits, quarterTokens);
        const copy = JSON.parse(JSON.stringify(log.events)) as Event[];
        const base = sourceFromEvents(copy);
        // Another reader of the same log: pinned events come back in another order.
        const shuffled = { ...base, bySeq: (seqs: readonly number[]) => [...base.bySeq(seqs)].reverse() };
        expect(renderContext(shuffled, defaultContextPolicy, limits, quarterTokens)).toEqual(once);
        expect(renderContext(sourceFromEvents(log.events), defaultContextPolicy, limits, quarterTokens)).toEqual(once);
      }),
      { numRuns: 100 },
    );
  });

  it("with a real BPE tokenizer the count is exact: the blocks' counts add up to the text's", () => {
    const cl100k = { name: "cl100k_base", count: (text: string) => countTokens(text, { disallowedSpecial: new Set() }) };
    fc.assert(
      fc.property(arbitraryLog, fc.integer({ min: 800, max: 4_000 }), (log, tokens) => {
        const rendered = renderLog(log.events, { tokens, tokenizer: cl100k });
        expect(cl100k.count(`${rendered.text}\n\n`)).toBe(rendered.tokens);
        if (!rendered.overBudget) expect(rendered.tokens).toBeLessThanOrEqual(tokens);
      }),
      { numRuns: 40 },
    );
  });
});
