import { describe, expect, it } from "vitest";
import { defaultContextPolicy, renderContext, sourceFromEvents, DEFAULT_LIMITS, type ContextPolicy, type Event, type EventBody } from "../../src/core";
import { Log, ev, stamp } from "./fixtures";
import { quarterTokens, renderLog, renderOutcome } from "./render";

const compacted = (fromSeq: number, toSeq: number, summary: string): EventBody => ({
  type: "context_compacted",
  data: { fromSeq, toSeq, summary, tokensBefore: 500, tokensAfter: 20, model: "m", promptVersion: "sha256:p" },
});

/** A thread whose deploy_backend ended outcome_unknown, then another tool succeeded (issue 21's defect). */
function unknownThenOtherSuccess(): Log {
  const log = Log.launched({ message: "deploy v2 everywhere" });
  log.decide("c1", "deploy_backend", { tag: "v2" });
  log.add(ev.started("c1", "deploy_backend", { tag: "v2" }));
  log.add(ev.failed("c1", "deploy_backend", "outcome_unknown", "The runtime restarted while deploy_backend was running; it may or may not have taken effect. It was not re-run. Check before retrying."));
  log.decide("c2", "deploy_frontend", { tag: "v2" });
  log.add(ev.started("c2", "deploy_frontend", { tag: "v2" }), ev.succeeded("c2", "deploy_frontend", { status: "deployed" }));
  return log;
}

describe("renderContext: unresolved outcomes stay (invariant 11)", () => {
  it("an unknown outcome of one tool is not hidden by another tool's success (the defect)", () => {
    const rendered = renderLog(unknownThenOtherSuccess().events);
    expect(rendered.text).toContain('<error call="c1" tool="deploy_backend" code="outcome_unknown">');
    expect(rendered.text).toContain('args: {"tag":"v2"}');
    expect(rendered.text).toContain("Try: Check whether it took effect before running it again.");
  });

  it("stays pinned under any budget pressure, with the launch, while other events are dropped", () => {
    const log = unknownThenOtherSuccess();
    for (let i = 0; i < 200; i++) log.add(ev.message(`chatter ${i} `.repeat(20)));
    const rendered = renderLog(log.events, { tokens: 2_000 });
    expect(rendered.text).toContain('code="outcome_unknown"');
    expect(rendered.text).toContain("deploy v2 everywhere");
    expect(rendered.tokens).toBeLessThanOrEqual(2_000);
    expect(rendered.overBudget).toBe(false);
  });

  it("is resolved only by the same tool succeeding with the same arguments", () => {
    const other = unknownThenOtherSuccess();
    other.decide("c3", "deploy_backend", { tag: "v3" });
    other.add(ev.succeeded("c3", "deploy_backend", "ok"));
    expect(other.state.context?.unresolved.map((e) => e.callId)).toEqual(["c1"]);

    const same = unknownThenOtherSuccess();
    same.decide("c3", "deploy_backend", { tag: "v2" });
    same.add(ev.succeeded("c3", "deploy_backend", "ok"));
    expect(same.state.context?.unresolved).toEqual([]);
    // Resolved errors are low: the first thing the budget drops.
    for (let i = 0; i < 100; i++) same.add(ev.message(`m${i} `.repeat(30)));
    expect(renderLog(same.events, { tokens: 1_500 }).text).not.toContain("outcome_unknown");
  });

  it("is resolved by a human's decision about that call (approval or rejection of the same tool and arguments)", () => {
    const log = unknownThenOtherSuccess();
    log.decide("c3", "deploy_backend", { tag: "v2" });
    log.add(ev.approvalRequested("r1", { callId: "c3", tool: "deploy_backend", args: { tag: "v2" } }));
    log.add(ev.responded("r1", { approved: false, comment: "it did deploy; I checked" }));
    expect(log.state.context?.unresolved).toEqual([]);
  });

  it("a human's guidance after an error streak resolves plain errors but never an unknown outcome", () => {
    const log = unknownThenOtherSuccess();
    log.decide("c3", "search", { q: "x" });
    log.add(ev.failed("c3", "search", "tool_error", "boom"));
    log.add(ev.inputRequested("r1", "3 errors in a row", { reason: "repeated_errors" }));
    log.add(ev.responded("r1", { answer: "carry on" }));
    expect(log.state.context?.unresolved.map((e) => e.code)).toEqual(["outcome_unknown"]);
  });
});

describe("renderContext: the agent's policy and the budget", () => {
  it("drops low before normal before high, oldest first within a class; pinned never", () => {
    const log = Log.launched({ message: "launch" });
    for (let i = 0; i < 6; i++) log.add(ev.message(`high ${i} `.repeat(10)));
    const classOf = (e: Event) => (e.type === "user_messaged" ? (Number(/\d/.exec(e.data.text)?.[0]) % 3 === 0 ? "low" : Number(/\d/.exec(e.data.text)?.[0]) % 3 === 1 ? "normal" : "high") : "pinned");
    const policy: ContextPolicy = { name: "by-number", classify: (e) => ({ class: classOf(e) }) };
    const full = renderLog(log.events, { policy });
    const blockTokens = quarterTokens.count(`<user_message>\n${"high 0 ".repeat(10)}\n</user_message>\n\n`);
    // Room for the launch, the marker and three blocks: the two lows go, then the older normal.
    const tokens = full.tokens - 3 * blockTokens + 40;
    const rendered = renderLog(log.events, { policy, tokens });
    const kept = [...rendered.text.matchAll(/high (\d) /g)].map((m) => Number(m[1]));
    expect(new Set(kept)).toEqual(new Set([2, 4, 5]));
    expect(rendered.text.startsWith("<user_message>\nlaunch\n</user_message>")).toBe(true);
  });

  it("a policy may shorten a block", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "x" });
    log.add(ev.succeeded("c1", "search", { page: "x".repeat(3_000) }));
    const policy: ContextPolicy = {
      name: "short-results",
      classify: (e, facts) => (e.type === "tool_succeeded" ? { class: "normal", text: `<search_result call="${e.data.callId}">\n(3,000 characters, shortened)\n</search_result>` } : defaultContextPolicy.classify(e, facts)),
    };
    const rendered = renderLog(log.events, { policy });
    expect(rendered.text).toContain("(3,000 characters, shortened)");
    expect(rendered.text).not.toContain("xxxx");
  });

  it("a policy cannot demote the launch or an unresolved error", () => {
    const log = unknownThenOtherSuccess();
    for (let i = 0; i < 100; i++) log.add(ev.message(`m${i} `.repeat(30)));
    const allLow: ContextPolicy = { name: "all-low", classify: () => ({ class: "low" }) };
    const rendered = renderLog(log.events, { policy: allLow, tokens: 1_000 });
    expect(rendered.text).toContain("deploy v2 everywhere");
    expect(rendered.text).toContain('code="outcome_unknown"');
  });

  it.each([
    ["throws", () => { throw new Error("policy bug"); }, /threw on event 1 \(thread_launched\): policy bug/],
    ["returns garbage", () => ({ class: "urgent" }), /answered \{"class":"urgent"\} for event 1/],
    ["returns nothing", () => undefined, /answered undefined for event 1/],
    ["adds unknown fields", () => ({ class: "low", score: 3 }), /answered \{"class":"low","score":3\}/],
  ])("a policy that %s fails the render with context_policy_failed", (_name, classify, message) => {
    const log = unknownThenOtherSuccess();
    const policy = { name: "broken", classify } as unknown as ContextPolicy;
    const outcome = renderOutcome(log.events, { policy });
    expect(outcome).toMatchObject({ ok: false, code: "context_policy_failed" });
    if (!outcome.ok) expect(outcome.message).toMatch(message);
  });

  it("escalates rather than truncates: pinned alone over budget is reported, and everything pinned is still rendered", () => {
    const log = Log.launched({ message: "L ".repeat(2_000) });
    log.add(ev.message("small"));
    const rendered = renderLog(log.events, { tokens: 200 });
    expect(rendered.overBudget).toBe(true);
    expect(rendered.text).toContain("L L L");
    expect(rendered.text).not.toContain("small");
  });

  it("keeps the newest result of each tool and drops a result superseded by the same call's newer result first", () => {
    const log = Log.launched();
    log.decide("c1", "status", { svc: "api" });
    log.add(ev.succeeded("c1", "status", { state: "old-state" }));
    log.decide("c2", "status", { svc: "api" });
    log.add(ev.succeeded("c2", "status", { state: "new-state" }));
    log.decide("c3", "search", { q: "x" });
    log.add(ev.succeeded("c3", "search", { found: "search-result" }));
    for (let i = 0; i < 40; i++) log.add(ev.message(`chatter ${i} `.repeat(10)));
    const rendered = renderLog(log.events, { tokens: 900 });
    expect(rendered.text).toContain("new-state");
    expect(rendered.text).toContain("search-result");
    expect(rendered.text).not.toContain("old-state");
  });
});

describe("renderContext: summaries and sections", () => {
  it("shows a logged summary in place of its range, and says so in sections", () => {
    const log = Log.launched({ message: "launch" });
    for (let i = 0; i < 10; i++) log.add(ev.message(`old ${i}`)); // seqs 2..11
    log.add(compacted(2, 11, "Ten old messages, nothing important.")); // seq 12
    log.add(ev.message("new"));
    const rendered = renderLog(log.events);
    expect(rendered.text).toContain('<summary from_seq="2" to_seq="11">\nTen old messages, nothing important.\n</summary>');
    expect(rendered.text).not.toContain("old 3");
    expect(rendered.sections).toEqual([
      { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
      { fromSeq: 2, toSeq: 11, as: "summary", reason: "summarised" },
      { fromSeq: 12, toSeq: 13, as: "full", reason: "high" },
    ]);
  });

  it("never hides a pinned event inside a summary's range", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "Which region?"), ev.responded("r1", { answer: "eu-west" }));
    log.add(compacted(2, 3, "Asked a human."));
    expect(renderLog(log.events).text).toContain("answer: eu-west");
  });

  it("reports omitted ranges with their reasons, and a marker for the model", () => {
    const log = Log.launched({ message: "launch" });
    for (let i = 0; i < 50; i++) log.add(ev.message(`message ${i} `.repeat(10)));
    const rendered = renderLog(log.events, { tokens: 800 });
    expect(rendered.sections[0]).toEqual({ fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" });
    const omitted = rendered.sections.filter((s) => s.as === "omitted");
    expect(omitted.length).toBeGreaterThan(0);
    expect(omitted.reduce((n, s) => n + s.toSeq - s.fromSeq + 1, 0)).toBe(rendered.omitted);
    expect(rendered.text).toContain(`<omitted events="${rendered.omitted}"`);
    // Sections tile the log from the launch to the newest event, in order, without overlap.
    let next = 1;
    for (const s of rendered.sections) {
      expect(s.fromSeq).toBe(next);
      next = s.toSeq + 1;
    }
    expect(next).toBe(52);
  });
});

describe("renderContext: bounded reads", () => {
  it("reads one budget's worth of the newest events, and finds older pinned ones by seq", () => {
    const log = Log.launched({ message: "facts: the db is prod-eu" });
    log.add(ev.inputRequested("r1", "Which region?"), ev.responded("r1", { answer: "eu-west" })); // 2, 3
    log.decide("c1", "deploy_backend", { tag: "v2" }); // 4
    log.add(ev.failed("c1", "deploy_backend", "outcome_unknown", "unknown")); // 5
    for (let i = 0; i < 5_000; i++) log.add(ev.message(`turn ${i}`));
    const source = sourceFromEvents(log.events);
    let pulled = 0;
    const counting = {
      ...source,
      newestFirst: (function* () {
        for (const e of source.newestFirst) {
          pulled++;
          yield e;
        }
      })(),
    };
    const outcome = renderContext(counting, defaultContextPolicy, { ...DEFAULT_LIMITS, tokens: 2_000 }, quarterTokens);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(pulled).toBeLessThan(300);
    expect(outcome.thread.text).toContain("prod-eu");
    expect(outcome.thread.text).toContain("answer: eu-west");
    expect(outcome.thread.text).toContain('code="outcome_unknown"');
    expect(outcome.thread.tokens).toBeLessThanOrEqual(2_000);
  });

  it("stops after maxEvents events, shown or not", () => {
    const log = Log.launched({ message: "go" });
    log.add(ev.message("the first message"));
    for (let i = 0; i < 2_000; i++) log.add(ev.paused());
    const rendered = renderLog(log.events, { maxEvents: 100 });
    expect(rendered.text).not.toContain("the first message");
    expect(rendered.sections.at(0)).toEqual({ fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" });
  });

  it("truncates a huge block to maxBlockChars and still keeps the launch", () => {
    const log = Log.launched({ message: "L".repeat(20_000) });
    log.add(ev.message("x".repeat(50_000)));
    const rendered = renderLog(log.events, { maxBlockChars: 1_000 });
    expect(rendered.text).toContain("[truncated 19000 characters]");
    expect(rendered.text).toContain("[truncated 49000 characters]");
  });

  it("renders the old blocks in log order with the stamps the model needs", () => {
    const log = Log.launched({ message: "deploy 1.2" });
    log.decide("c1", "search", { q: "1.2" });
    log.add(ev.started("c1", "search", { q: "1.2" }));
    log.add(ev.succeeded("c1", "search", { found: true }));
    log.add(ev.paused(), ev.resumed());
    log.add(ev.message("go"));
    const rendered = renderLog(log.events);
    expect(rendered.text).toBe(
      [
        "<user_message>\ndeploy 1.2\n</user_message>",
        '<search call="c1">\nq: 1.2\n</search>',
        '<search_result call="c1">\nfound: true\n</search_result>',
        "<user_message>\ngo\n</user_message>",
      ].join("\n\n"),
    );
    expect(rendered.omitted).toBe(0);
  });

  it("ignores a launch repeated in the stream", () => {
    const log = Log.launched();
    log.add(ev.message("a"));
    const launch = log.events[0] as Event;
    expect(renderLog(log.events).text).toBe(renderLog([launch, stamp(ev.message("a"), 2)]).text);
  });
});
