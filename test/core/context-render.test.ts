import { describe, expect, it } from "vitest";
import { block, checkContextPolicy, defaultContextPolicy, renderContext, sourceFromEvents, DEFAULT_LIMITS, type ContextFacts, type ContextPolicy, type Event, type EventBody } from "../../src/core";
import { Log, cid, ev, stamp } from "./fixtures";
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
    // The budget counts the shortened block, not the one it replaced.
    expect(rendered.tokens).toBe(rendered.text.split("\n\n").reduce((n, b) => n + quarterTokens.count(`${b}\n\n`), 0));
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

/** Tokens of one block in the render (its text and the separator after it), with the test tokenizer. */
const tokensOf = (text: string) => quarterTokens.count(`${text}\n\n`);
const userBlock = (text: string) => `<user_message>\n${text}\n</user_message>`;
const markerOf = (events: number) => `<omitted events="${events}" reason="context budget: older or less important events left out"/>`;
/** Before it knows the count, the render keeps room for the longest marker. */
const RESERVE = tokensOf(markerOf(1_000_000_000));
const spans = (r: { sections: readonly { fromSeq: number; toSeq: number; as: string; reason: string }[] }) => r.sections.map((s) => `${s.fromSeq}-${s.toSeq} ${s.as} ${s.reason}`);

describe("renderContext: exact renders of small logs", () => {
  const text = (name: string) => `${name} `.repeat(11).trim();
  /** The launch and three messages of the same size (M tokens each, larger than the marker). */
  function fourBlocks(): { log: Log; L: number; M: number } {
    const log = Log.launched({ message: text("launch") });
    log.add(ev.message(text("alpha-2")), ev.message(text("alpha-3")), ev.message(text("alpha-4")));
    const M = tokensOf(userBlock(text("alpha-2")));
    expect(M).toBeGreaterThan(RESERVE);
    return { log, L: tokensOf(userBlock(text("launch"))), M };
  }
  const blocks = (...names: string[]) => names.map((n) => userBlock(text(n)));

  it("a budget that holds every block exactly shows them all, with no marker", () => {
    const { log, L, M } = fourBlocks();
    expect(renderLog(log.events, { tokens: L + 3 * M })).toEqual({
      text: blocks("launch", "alpha-2", "alpha-3", "alpha-4").join("\n\n"),
      tokens: L + 3 * M,
      shown: 4,
      omitted: 0,
      pinnedTokens: L,
      overBudget: false,
      sections: [
        { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
        { fromSeq: 2, toSeq: 4, as: "full", reason: "high" },
      ],
    });
  });

  it("one token short: the oldest message goes, and the marker that says so fits in the budget", () => {
    const { log, L, M } = fourBlocks();
    const rendered = renderLog(log.events, { tokens: L + 3 * M - 1 });
    expect(rendered.text).toBe([userBlock(text("launch")), markerOf(1), ...blocks("alpha-3", "alpha-4")].join("\n\n"));
    expect(rendered.tokens).toBe(L + 2 * M + tokensOf(markerOf(1)));
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-2 omitted over budget (high)", "3-4 full high"]);
  });

  it("maxEvents counts exactly: that many events are read, and the rest are older than the read", () => {
    const { log, L, M } = fourBlocks();
    expect(renderLog(log.events, { maxEvents: 3 }).omitted).toBe(0);
    // Two events read: with the launch they fit the budget exactly, but the marker for the
    // unread one must fit too, so the older message makes room for it.
    const rendered = renderLog(log.events, { maxEvents: 2, tokens: L + 2 * M });
    expect(rendered.text).toBe([userBlock(text("launch")), markerOf(2), ...blocks("alpha-4")].join("\n\n"));
    expect(rendered.tokens).toBe(L + M + tokensOf(markerOf(2)));
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-2 omitted older than the read", "3-3 omitted over budget (high)", "4-4 full high"]);
  });

  it("reads until one budget's worth is read, and not one event less", () => {
    const { log, L, M } = fourBlocks();
    // Two messages fill the budget exactly: the read goes on to the third (the launch is not counted).
    const rendered = renderLog(log.events, { tokens: 2 * M });
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-4 omitted over budget (high)"]);
    expect(rendered.text).toBe([userBlock(text("launch")), markerOf(3)].join("\n\n"));
    expect(rendered).toMatchObject({ tokens: L + tokensOf(markerOf(3)), overBudget: false });
  });

  it("overBudget: the pinned blocks fitting exactly is not over; pinned plus the marker not fitting is", () => {
    const { log, L } = fourBlocks();
    const launchOnly = log.events.slice(0, 1);
    expect(renderLog(launchOnly, { tokens: L })).toMatchObject({ overBudget: false, tokens: L, shown: 1, omitted: 0 });
    expect(renderLog(launchOnly, { tokens: L - 1 })).toMatchObject({ overBudget: true, tokens: L, shown: 1 });
    // Room for the launch and almost the marker: everything else goes, and the marker tips it over.
    expect(renderLog(log.events, { tokens: L + tokensOf(markerOf(3)) - 1 })).toMatchObject({ overBudget: true, shown: 1, omitted: 3, pinnedTokens: L });
    expect(renderLog(log.events, { tokens: L + tokensOf(markerOf(3)) })).toMatchObject({ overBudget: false, shown: 1, omitted: 3 });
  });

  it("events the model never sees join the range after them, and the newest ones the last range", () => {
    const log = Log.launched({ message: "launch!" });
    log.add(ev.message("alpha-2"), ev.paused(), ev.resumed(), ev.message("alpha-5"), ev.paused());
    const rendered = renderLog(log.events);
    expect(rendered.sections).toEqual([
      { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
      { fromSeq: 2, toSeq: 6, as: "full", reason: "high" },
    ]);
    expect(rendered.text).toBe(["launch!", "alpha-2", "alpha-5"].map(userBlock).join("\n\n"));
  });

  it("a read cut by the budget: older pinned events are found by seq, in log order, and every other range says why it is missing", () => {
    const log = Log.launched({ message: "launch!" });
    log.decide("c1", "deploy", { tag: "v1" }); // 2
    log.add(ev.failed("c1", "deploy", "outcome_unknown", "lost")); // 3: unresolved, pinned
    log.add(ev.message("old-msg")); // 4
    log.decide("c2", "status", { svc: "api" }); // 5
    log.add(ev.succeeded("c2", "status", "up")); // 6: newest status result, pinned
    log.add(ev.inputRequested("r1", "Region?")); // 7: answered, high
    log.add(ev.responded("r1", { answer: "eu" })); // 8: a human answer, pinned
    log.decide("c3", "deploy", { tag: "v2" }); // 9
    log.add(ev.approvalRequested("r2", { callId: "c3", tool: "deploy", args: { tag: "v2" } })); // 10: open, pinned
    for (let i = 0; i < 6; i++) log.add(ev.message(`recent-${i}`)); // 11..16
    log.add(ev.paused()); // 17
    const pinned = [
      userBlock("launch!"),
      '<error call="c1" tool="deploy" code="outcome_unknown">\nlost\nTry: Check whether it took effect before running it again.\nargs: {"tag":"v1"}\n</error>',
      '<status_result call="c2">\n"up"\n</status_result>',
      '<human_response request="r1">\nanswer: eu\n</human_response>',
      '<human_request id="r2" kind="approval">\nApprove deploy?\n</human_request>',
    ];
    const pinnedTokens = pinned.reduce((n, b) => n + tokensOf(b), 0);
    // Room for the pinned blocks, the marker and one message: the read stops after the budget's
    // worth (seq 6 and older are not read), and the newest message is the one kept.
    const tokens = pinnedTokens + RESERVE + tokensOf(userBlock("recent-5"));
    const rendered = renderLog(log.events, { tokens });
    expect(rendered).toEqual({
      text: [pinned[0], markerOf(10), ...pinned.slice(1), userBlock("recent-5")].join("\n\n"),
      tokens: pinnedTokens + tokensOf(markerOf(10)) + tokensOf(userBlock("recent-5")),
      shown: 6,
      omitted: 10,
      pinnedTokens,
      overBudget: false,
      sections: [
        { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
        { fromSeq: 2, toSeq: 2, as: "omitted", reason: "older than the read" },
        { fromSeq: 3, toSeq: 3, as: "full", reason: "pinned" },
        { fromSeq: 4, toSeq: 5, as: "omitted", reason: "older than the read" },
        { fromSeq: 6, toSeq: 6, as: "full", reason: "pinned" },
        { fromSeq: 7, toSeq: 7, as: "omitted", reason: "over budget (high)" },
        { fromSeq: 8, toSeq: 8, as: "full", reason: "pinned" },
        { fromSeq: 9, toSeq: 9, as: "omitted", reason: "over budget (normal)" },
        { fromSeq: 10, toSeq: 10, as: "full", reason: "pinned" },
        { fromSeq: 11, toSeq: 15, as: "omitted", reason: "over budget (high)" },
        { fromSeq: 16, toSeq: 17, as: "full", reason: "high" },
      ],
    });
    // Twenty tokens more: the read reaches seq 4, and the budget keeps one more message.
    expect(spans(renderLog(log.events, { tokens: tokens + 20 }))).toEqual([
      "1-1 full pinned",
      "2-2 omitted older than the read",
      "3-3 full pinned",
      "4-4 omitted over budget (high)",
      "5-5 omitted over budget (normal)",
      "6-6 full pinned",
      "7-7 omitted over budget (high)",
      "8-8 full pinned",
      "9-9 omitted over budget (normal)",
      "10-10 full pinned",
      "11-14 omitted over budget (high)",
      "15-17 full high",
    ]);
  });

  it("within a class the oldest goes first, whatever the order the policy ranks them in", () => {
    const log = Log.launched({ message: "launch!" });
    for (let i = 2; i <= 7; i++) log.add(ev.message(`alpha-${i}`));
    const M = tokensOf(userBlock("alpha-2"));
    const allNormal: ContextPolicy = { name: "all-normal", classify: () => ({ class: "normal" }) };
    const rendered = renderLog(log.events, { policy: allNormal, tokens: 4 * M + RESERVE });
    expect(rendered.text).toBe([userBlock("launch!"), markerOf(3), ...["alpha-5", "alpha-6", "alpha-7"].map(userBlock)].join("\n\n"));
  });
});

describe("renderContext: summaries in place of their ranges", () => {
  /** launch 1, messages 2-4, a summary of 3-4 logged at 5, then a message at 6. */
  function summarised(): Log {
    const log = Log.launched({ message: "launch!" });
    log.add(ev.message("alpha-2"), ev.message("alpha-3"), ev.message("alpha-4"));
    log.add(compacted(3, 4, "Three and four.")); // 5
    log.add(ev.message("alpha-6"));
    return log;
  }
  const summaryBlock = '<summary from_seq="3" to_seq="4">\nThree and four.\n</summary>';

  it("the summary sits where its range was, between the events before and after it", () => {
    const rendered = renderLog(summarised().events);
    expect(rendered.text).toBe([userBlock("launch!"), userBlock("alpha-2"), summaryBlock, userBlock("alpha-6")].join("\n\n"));
    expect(rendered.sections).toEqual([
      { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
      { fromSeq: 2, toSeq: 2, as: "full", reason: "high" },
      { fromSeq: 3, toSeq: 4, as: "summary", reason: "summarised" },
      { fromSeq: 5, toSeq: 6, as: "full", reason: "high" },
    ]);
    expect(rendered).toMatchObject({ shown: 4, omitted: 0 });
  });

  it("a summary over budget is omitted with its whole range, and counted in the marker", () => {
    const log = summarised();
    const M = tokensOf(userBlock("alpha-6"));
    // Room for the launch, the marker and one message: the read stops before seq 2, and the summary (high) goes.
    const rendered = renderLog(log.events, { tokens: 2 * M + RESERVE });
    expect(rendered.text).toBe([userBlock("launch!"), markerOf(3), userBlock("alpha-6")].join("\n\n"));
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-2 omitted older than the read", "3-4 omitted summary over budget", "5-6 full high"]);
  });

  it("a summary logged after newer events still sits at its range's start, and as the oldest high block is the first to go", () => {
    const log = Log.launched({ message: "launch!" });
    log.add(ev.message("alpha-2"), ev.message("alpha-3"), ev.message("alpha-4")); // 2-4
    const said = "The user sent two short messages. ".repeat(4).trim();
    log.add(compacted(2, 3, said)); // 5, after message 4
    log.add(ev.message("alpha-6")); // 6
    const summary = `<summary from_seq="2" to_seq="3">\n${said}\n</summary>`;
    expect(tokensOf(summary)).toBeGreaterThan(RESERVE);
    const full = renderLog(log.events);
    expect(full.text).toBe([userBlock("launch!"), summary, userBlock("alpha-4"), userBlock("alpha-6")].join("\n\n"));
    expect(spans(full)).toEqual(["1-1 full pinned", "2-3 summary summarised", "4-6 full high"]);
    // One token short: one block must go, and the summary is the oldest of the high ones.
    const squeezed = renderLog(log.events, { tokens: full.tokens - 1 });
    expect(squeezed.text).toBe([userBlock("launch!"), markerOf(2), userBlock("alpha-4"), userBlock("alpha-6")].join("\n\n"));
    expect(spans(squeezed)).toEqual(["1-1 full pinned", "2-3 omitted summary over budget", "4-6 full high"]);
  });

  it("a summary older than the read is found by its mark and shown; the unread events around it are omitted", () => {
    const log = Log.launched({ message: "launch!" });
    log.add(ev.message("alpha-2"), ev.message("alpha-3"), compacted(2, 3, "Two and three.")); // 2-4
    log.add(ev.message("alpha-5"), ev.message("alpha-6"));
    const rendered = renderLog(log.events, { maxEvents: 2 });
    expect(rendered.text).toBe([userBlock("launch!"), markerOf(1), '<summary from_seq="2" to_seq="3">\nTwo and three.\n</summary>', userBlock("alpha-5"), userBlock("alpha-6")].join("\n\n"));
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-3 summary summarised", "4-4 omitted older than the read", "5-6 full high"]);
  });

  it("of two overlapping summaries the newer range wins, and what it does not cover is shown in full", () => {
    const log = Log.launched({ message: "launch!" });
    log.add(ev.message("alpha-2"), ev.message("alpha-3"), ev.message("alpha-4")); // 2-4
    log.add(compacted(2, 3, "Old: two and three.")); // 5
    log.add(compacted(2, 4, "New: two to four.")); // 6
    log.add(ev.message("alpha-7")); // 7
    const rendered = renderLog(log.events);
    expect(rendered.text).toBe([userBlock("launch!"), '<summary from_seq="2" to_seq="4">\nNew: two to four.\n</summary>', userBlock("alpha-7")].join("\n\n"));
    // The replaced summary leaves nothing out: no marker, and the sections tile the log once.
    expect(rendered.omitted).toBe(0);
    expect(spans(rendered)).toEqual(["1-1 full pinned", "2-4 summary summarised", "5-7 full high"]);

    // Ranges that share one event overlap: only the newer is shown, and the rest of the older range in full.
    const touching = Log.launched({ message: "launch!" });
    touching.add(ev.message("alpha-2"), ev.message("alpha-3"), ev.message("alpha-4")); // 2-4
    touching.add(compacted(2, 4, "First: two to four.")); // 5
    touching.add(ev.message("alpha-6")); // 6
    touching.add(compacted(4, 6, "Second: four to six.")); // 7
    const touched = renderLog(touching.events);
    expect(touched.text).toBe(
      [userBlock("launch!"), userBlock("alpha-2"), userBlock("alpha-3"), '<summary from_seq="4" to_seq="6">\nSecond: four to six.\n</summary>'].join("\n\n"),
    );
    expect(spans(touched)).toEqual(["1-1 full pinned", "2-3 full high", "4-7 summary summarised"]);

    // Apart, both are shown.
    const apart = Log.launched({ message: "launch!" });
    apart.add(ev.message("alpha-2"), ev.message("alpha-3"), compacted(2, 3, "Two and three.")); // 2-4
    apart.add(ev.message("alpha-5"), compacted(5, 5, "Five.")); // 5-6
    apart.add(ev.message("alpha-7"));
    expect(renderLog(apart.events).text).toBe(
      [userBlock("launch!"), '<summary from_seq="2" to_seq="3">\nTwo and three.\n</summary>', '<summary from_seq="5" to_seq="5">\nFive.\n</summary>', userBlock("alpha-7")].join("\n\n"),
    );
  });

  it("summaries older than the read are found from the state's marks: the newest sixteen", () => {
    const log = Log.launched({ message: "launch!" });
    for (let i = 0; i < 20; i++) log.add(ev.message(`old-${i}`), compacted(log.nextSeq, log.nextSeq, `summary-${i}`));
    for (let i = 0; i < 10; i++) log.add(ev.message(`filler ${i} `.repeat(40)));
    // Fillers low, so the budget keeps the summaries (high) and drops the fillers first.
    const policy: ContextPolicy = { name: "fillers-low", classify: (e, f) => (e.type === "user_messaged" ? { class: "low" } : defaultContextPolicy.classify(e, f)) };
    const rendered = renderLog(log.events, { policy, tokens: 1_000 });
    const shownSummaries = [...rendered.text.matchAll(/summary-(\d+)/g)].map((m) => Number(m[1]));
    expect(shownSummaries).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(rendered.text).not.toContain("old-");
    expect(rendered.sections.slice(0, 3)).toEqual([
      { fromSeq: 1, toSeq: 1, as: "full", reason: "pinned" },
      { fromSeq: 2, toSeq: 9, as: "omitted", reason: "older than the read" },
      { fromSeq: 10, toSeq: 10, as: "summary", reason: "summarised" },
    ]);
  });

  it("the state keeps the newest 32 summaries' marks", () => {
    const log = Log.launched();
    for (let i = 0; i < 40; i++) log.add(ev.message(`m${i}`), compacted(log.nextSeq, log.nextSeq, `s${i}`));
    const marks = log.state.context?.compactions ?? [];
    expect(marks).toHaveLength(32);
    expect(marks[0]).toEqual({ seq: 19, fromSeq: 18, toSeq: 18 });
    expect(marks.at(-1)).toEqual({ seq: 81, fromSeq: 80, toSeq: 80 });
  });
});

describe("renderContext: the facts a policy is given", () => {
  it("resolution, supersession, the newest result and open requests, for every event the render reads", () => {
    const log = Log.launched({ message: "launch!" });
    log.decide("c1", "search", { q: "x" }); // 2
    log.add(ev.succeeded("c1", "search", "first")); // 3: superseded by 5 (same tool and arguments)
    log.add({ type: "call_planned", data: { callId: cid("c2"), tool: "search", args: { q: "x" }, by: "prefetch" } }); // 4
    log.add(ev.succeeded("c2", "search", "second")); // 5: the newest search result
    log.add(ev.modelFailed(5)); // 6: a decision follows, resolved
    log.decide("c3", "deploy", { tag: "v1" }); // 7
    log.add(ev.failed("c3", "deploy", "tool_error", "boom")); // 8: unresolved
    log.decide("c4", "deploy", { tag: "v1" }); // 9
    log.add(ev.failed("c4", "deploy", "tool_error", "boom again")); // 10
    log.decide("c5", "status", { svc: "a" }); // 11
    log.add(ev.succeeded("c5", "status", "up")); // 12: the newest status result
    log.add(ev.inputRequested("r1", "Region?")); // 13: answered
    log.add(ev.responded("r1", { answer: "eu" })); // 14
    log.decide("c6", "deploy", { tag: "v2" }); // 15
    log.add(ev.approvalRequested("r2", { callId: "c6", tool: "deploy", args: { tag: "v2" } })); // 16: open
    log.decide("c7", "status", { svc: "a" }); // 17: no result yet, supersedes nothing
    log.add(ev.modelFailed(17)); // 18: nothing after it, unresolved
    const seen = new Map<number, ContextFacts>();
    const recording: ContextPolicy = {
      name: "recording",
      classify: (e, f) => {
        seen.set(e.seq, f);
        return defaultContextPolicy.classify(e, f);
      },
    };
    const rendered = renderLog(log.events, { policy: recording });
    const none = { unresolved: false, resolved: false, latestResult: false, superseded: false, open: false };
    const facts = Object.fromEntries([...seen].map(([seq, { block: _block, ...f }]) => [seq, f]));
    expect(facts).toEqual({
      1: none,
      2: none,
      3: { ...none, superseded: true },
      4: none,
      5: { ...none, latestResult: true },
      6: { ...none, resolved: true },
      7: none,
      8: { ...none, unresolved: true },
      9: none,
      10: { ...none, unresolved: true },
      11: none,
      12: { ...none, latestResult: true },
      13: none,
      14: none,
      15: none,
      16: { ...none, open: true },
      17: none,
      18: { ...none, unresolved: true },
    });
    // Each is given the block the model would see by default.
    for (const e of log.events) expect(seen.get(e.seq)?.block).toBe(block(e)?.replace(/\n<\/error>$/, e.seq === 8 || e.seq === 10 ? '\nargs: {"tag":"v1"}\n</error>' : "\n</error>"));
    // The superseded result and the resolved model error are the low ones: the first a budget drops, oldest first.
    expect(rendered.text).toContain('<search_result call="c1">');
    const squeezed = renderLog(log.events, { policy: recording, tokens: rendered.tokens - 1 });
    expect(squeezed.text).not.toContain('<search_result call="c1">');
    expect(spans(squeezed).filter((s) => s.includes("omitted"))).toEqual(["3-3 omitted over budget (low)", "6-6 omitted over budget (low)"]);
  });
});

describe("the default context policy", () => {
  const none: ContextFacts = { block: "", unresolved: false, resolved: false, latestResult: false, superseded: false, open: false };
  const classify = (body: EventBody, facts: Partial<ContextFacts> = {}) => defaultContextPolicy.classify(stamp(body, 2), { ...none, ...facts }).class;

  it("pins the launch, human answers and timeouts, open requests, unresolved errors and the newest results", () => {
    expect(classify(ev.launched())).toBe("pinned");
    expect(classify(ev.responded("r1", { answer: "yes" }))).toBe("pinned");
    expect(classify(ev.timedOut("r1"))).toBe("pinned");
    expect(classify(ev.inputRequested("r1", "Region?"), { open: true })).toBe("pinned");
    expect(classify(ev.failed("c1", "deploy"), { unresolved: true })).toBe("pinned");
    expect(classify(ev.modelFailed(1), { unresolved: true })).toBe("pinned");
    expect(classify(ev.succeeded("c1", "search"), { latestResult: true })).toBe("pinned");
  });

  it("ranks the rest: answered requests, user messages and summaries high; resolved errors and superseded results low", () => {
    expect(classify(ev.inputRequested("r1", "Region?"))).toBe("high");
    expect(classify(ev.message("hi"))).toBe("high");
    expect(classify(compacted(2, 3, "s"))).toBe("high");
    expect(classify(ev.failed("c1", "deploy"), { resolved: true })).toBe("low");
    expect(classify(ev.modelFailed(1), { resolved: true })).toBe("low");
    expect(classify(ev.succeeded("c1", "search"), { superseded: true })).toBe("low");
    expect(classify(ev.succeeded("c1", "search"))).toBe("normal");
    expect(classify(ev.decided("c1", "search", {}, 1))).toBe("normal");
  });

  it("checkContextPolicy accepts a named policy with classify and refuses anything else, naming the agent", () => {
    expect(checkContextPolicy(defaultContextPolicy, "deploybot")).toBe(defaultContextPolicy);
    const refused = /^deploybot: context\.policy needs a name and a classify\(event, facts\) function$/;
    for (const bad of [undefined, {}, { name: "x" }, { name: "", classify: () => ({ class: "low" }) }, { name: 3, classify: () => ({ class: "low" }) }, { classify: () => ({ class: "low" }) }]) {
      expect(() => checkContextPolicy(bad as unknown as ContextPolicy, "deploybot")).toThrow(refused);
    }
  });

  it("a broken policy's message is bounded, whatever it threw or answered", () => {
    const log = Log.launched();
    const messageOf = (classify: unknown) => {
      const outcome = renderOutcome(log.events, { policy: { name: "broken", classify } as unknown as ContextPolicy });
      if (outcome.ok) throw new Error("expected the render to fail");
      return outcome.message;
    };
    const threw = messageOf(() => { throw new Error("x".repeat(5_000)); });
    expect(threw).toHaveLength(400);
    expect(threw.startsWith('Context policy "broken" threw on event 1 (thread_launched): xxx')).toBe(true);
    const long = messageOf(() => ({ class: "y".repeat(5_000) }));
    expect(long).toBe(`Context policy "broken" answered ${JSON.stringify({ class: "y".repeat(5_000) }).slice(0, 120)} for event 1 (thread_launched); expected {class: "pinned" | "high" | "normal" | "low", text?: string}.`);
    const circular: Record<string, unknown> = { class: "low" };
    circular["self"] = circular;
    expect(messageOf(() => circular)).toMatch(/^Context policy "broken" answered \[object Object\] for event 1/);
    // Not JSON at all (a BigInt): shown as a string, still bounded.
    expect(messageOf(() => 7n ** 300n)).toBe(`Context policy "broken" answered ${String(7n ** 300n).slice(0, 120)} for event 1 (thread_launched); expected {class: "pinned" | "high" | "normal" | "low", text?: string}.`);
  });
});

describe("sourceFromEvents: the in-memory reader of a log", () => {
  it("needs the launch", () => {
    expect(() => sourceFromEvents([])).toThrow("a context needs at least the launch event");
  });

  it("reads events by seq (unknown seqs give nothing), answers strictly before a seq, and the open requests", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "Region?"), ev.responded("r1", { answer: "eu" })); // 2, 3
    log.decide("c1", "deploy", { tag: "v1" }); // 4
    log.add(ev.approvalRequested("r2", { callId: "c1", tool: "deploy", args: { tag: "v1" } })); // 5
    const source = sourceFromEvents(log.events);
    expect(source.bySeq([3, 99, 1]).map((e) => e.seq)).toEqual([3, 1]);
    expect(source.answersBefore(3)).toEqual([]);
    expect(source.answersBefore(4).map((e) => e.seq)).toEqual([3]);
    expect(source.openRequests).toEqual([5]);
    expect([...source.newestFirst].map((e) => e.seq).filter((seq) => seq > 1)).toEqual([5, 4, 3, 2]);
  });
});

describe("context marks: what resolves an error", () => {
  it("an answer to a question the model asked resolves no error; only guidance after an error streak does", () => {
    const log = Log.launched();
    log.decide("c1", "search", { q: "x" });
    log.add(ev.failed("c1", "search", "tool_error", "boom"));
    log.add(ev.inputRequested("r1", "Which index?"), ev.responded("r1", { answer: "the main one" }));
    expect(log.state.context?.unresolved.map((e) => e.callId)).toEqual(["c1"]);
  });
});

describe("context marks: which call an outcome belongs to", () => {
  it("a superseded decision never ran: it is no unresolved error", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { tag: "v1" });
    log.add(ev.failed("c1", "deploy", "superseded", "a newer decision replaced it"));
    expect(log.state.context?.unresolved ?? []).toEqual([]);
  });

  it("an error carries its own call's arguments, and only its own call's success resolves it", () => {
    const log = Log.launched();
    log.add({ type: "call_planned", data: { callId: cid("c1"), tool: "status", args: { svc: "api" }, by: "prefetch" } });
    log.decide("c2", "deploy", { tag: "v2" });
    log.add(ev.failed("c2", "deploy", "outcome_unknown", "lost"));
    expect(log.state.context?.unresolved.map((e) => [e.callId, e.args])).toEqual([["c2", { tag: "v2" }]]);

    // Another call of the same tool and arguments is planned, then a third call succeeds: not the same call.
    const other = Log.launched();
    other.decide("c2", "deploy", { tag: "v2" });
    other.add(ev.failed("c2", "deploy", "outcome_unknown", "lost"));
    other.add({ type: "call_planned", data: { callId: cid("c3"), tool: "deploy", args: { tag: "v2" }, by: "prefetch" } });
    other.add({ type: "call_planned", data: { callId: cid("c4"), tool: "status", args: { svc: "db" }, by: "prefetch" } });
    other.add(ev.succeeded("c4", "status", "up"));
    expect(other.state.context?.unresolved.map((e) => e.callId)).toEqual(["c2"]);
  });
});
