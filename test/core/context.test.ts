import { describe, expect, it } from "vitest";
import {
  DEFAULT_BUDGET,
  NEXT_STEP_INSTRUCTION,
  block,
  buildModelInput,
  fillTemplate,
  placeholders,
  renderThread,
  truncate,
  yamlish,
  type Event,
} from "../../src/core";
import { Log, cid, ev, stamp } from "./fixtures";

const newestFirst = (events: readonly Event[]) => [...events].reverse();

function launchOf(log: Log): Event {
  const first = log.events[0];
  if (!first) throw new Error("empty log");
  return first;
}

describe("block: one event as a tagged block (Factor 3)", () => {
  it("renders the launch and user messages as <user_message>", () => {
    expect(block(stamp(ev.launched({ message: "deploy the api" }), 1))).toBe("<user_message>\ndeploy the api\n</user_message>");
    expect(block(stamp(ev.launched({ message: "hi", metadata: { team: "infra", a: 1 } }), 1))).toBe(
      '<user_message metadata="{&quot;a&quot;:1,&quot;team&quot;:&quot;infra&quot;}">\nhi\n</user_message>',
    );
    expect(block(stamp(ev.message("also staging"), 2))).toBe("<user_message>\nalso staging\n</user_message>");
  });

  it("renders a model decision as a block named after the tool, with its call id", () => {
    expect(block(stamp(ev.decided("c1", "deploy", { env: "production", version: "1.2" }, 1), 2))).toBe(
      '<deploy call="c1">\nenv: production\nversion: 1.2\n</deploy>',
    );
  });

  it("renders a tool result as <tool_result> and flags truncated results", () => {
    expect(block(stamp(ev.succeeded("c1", "search", { hits: 3, top: "api" }), 3))).toBe(
      '<search_result call="c1">\nhits: 3\ntop: api\n</search_result>',
    );
    const truncated = stamp(
      { type: "tool_succeeded", data: { callId: cid("c2"), tool: "fetch", result: "abc", truncatedFromBytes: 4_000_000, latencyMs: 1 } },
      4,
    );
    expect(block(truncated)).toBe('<fetch_result call="c2" truncated_from_bytes="4000000">\n"abc"\n</fetch_result>');
  });

  it("renders tool and model failures as compact <error> blocks with a code", () => {
    expect(block(stamp(ev.failed("c1", "search", "tool_error", "HTTP 503"), 3))).toBe(
      '<error call="c1" tool="search" code="tool_error">\nHTTP 503\n</error>',
    );
    expect(block(stamp(ev.modelFailed(1, "invalid_json", "not JSON"), 2))).toBe('<error code="invalid_json">\nnot JSON\n</error>');
  });

  it("renders human requests, responses and timeouts", () => {
    expect(block(stamp(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: {} }), 3))).toBe(
      '<human_request id="r1" kind="approval">\nApprove deploy?\n</human_request>',
    );
    expect(block(stamp(ev.inputRequested("r2", "Which region?"), 3))).toBe(
      '<human_request id="r2" kind="input">\nWhich region?\n</human_request>',
    );
    expect(block(stamp(ev.responded("r1", { approved: false, comment: "not today" }), 4))).toBe(
      '<human_response request="r1">\napproved: false\ncomment: not today\n</human_response>',
    );
    expect(block(stamp(ev.responded("r2", { answer: "eu-west" }), 4))).toBe('<human_response request="r2">\nanswer: eu-west\n</human_response>');
    expect(block(stamp(ev.timedOut("r1"), 5))).toBe(
      '<human_timeout request="r1">\nNobody answered before the deadline. Treat the request as denied.\n</human_timeout>',
    );
  });

  it.each([
    ev.started("c1", "search", {}),
    ev.paused("x"),
    ev.resumed(),
    ev.cancelled("y"),
    ev.finished("done"),
    ev.threadFailed(),
    ev.escalated("r1", "2025-01-02T00:00:00.000Z", ["email"]),
    ev.notificationSent("r1", "email"),
    ev.notificationFailed("r1", "email", { retryAt: "2025-01-01T01:00:00.000Z" }),
  ])("does not render $type", (body) => {
    expect(block(stamp(body, 2))).toBeUndefined();
  });

  it("escapes attribute values", () => {
    expect(block(stamp(ev.decided('c"1<&', "search", {}, 1), 2))).toBe('<search call="c&quot;1&lt;&amp;">\n{}\n</search>');
  });
});

describe("yamlish and truncate", () => {
  it("writes flat objects as key: value lines and anything else as canonical JSON", () => {
    expect(yamlish({ b: 1, a: "two words", c: null })).toBe("b: 1\na: two words\nc: null");
    expect(yamlish({ nested: { y: 1, x: [1, 2] }, multi: "l1\nl2" })).toBe('nested: {"x":[1,2],"y":1}\nmulti: "l1\\nl2"');
    expect(yamlish({})).toBe("{}");
    expect(yamlish([3, { b: 1, a: 2 }])).toBe('[3,{"a":2,"b":1}]');
    expect(yamlish("text")).toBe('"text"');
    expect(yamlish(42)).toBe("42");
  });

  it("truncates with a marker that says how much was cut", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefghij", 4)).toBe("abcd\n…[truncated 6 characters]");
  });
});

describe("renderThread", () => {
  it("renders every block in log order, skipping events the model does not need", () => {
    const log = Log.launched({ message: "deploy 1.2" });
    log.decide("c1", "search", { q: "1.2" });
    log.add(ev.started("c1", "search", { q: "1.2" }));
    log.add(ev.succeeded("c1", "search", { found: true }));
    log.add(ev.paused(), ev.resumed());
    log.add(ev.message("go"));
    const rendered = renderThread(launchOf(log), newestFirst(log.events));
    expect(rendered).toEqual({
      text: [
        "<user_message>\ndeploy 1.2\n</user_message>",
        '<search call="c1">\nq: 1.2\n</search>',
        '<search_result call="c1">\nfound: true\n</search_result>',
        "<user_message>\ngo\n</user_message>",
      ].join("\n\n"),
      shown: 4,
      omitted: 0,
      hiddenErrors: 0,
    });
  });

  it("gives the same result whether or not the stream includes the launch", () => {
    const log = Log.launched();
    log.add(ev.message("a"), ev.message("b"));
    const withLaunch = renderThread(launchOf(log), newestFirst(log.events));
    const withoutLaunch = renderThread(launchOf(log), newestFirst(log.events.slice(1)));
    expect(withLaunch).toEqual(withoutLaunch);
    expect(withLaunch.shown).toBe(3);
  });

  it("hides errors that a later success resolved and shows errors after the last success (Factor 9)", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1, "invalid_json", "model said gibberish"));
    log.decide("c1", "search", {});
    log.add(ev.failed("c1", "search", "tool_error", "first failure"));
    log.decide("c2", "search", {});
    log.add(ev.succeeded("c2", "search", "ok"));
    log.decide("c3", "deploy", {});
    log.add(ev.failed("c3", "deploy", "tool_error", "after the success"));
    log.add(ev.modelFailed(log.lastSeq, "model_timeout", "slow model"));

    const rendered = renderThread(launchOf(log), newestFirst(log.events));
    expect(rendered.hiddenErrors).toBe(2);
    expect(rendered.text).not.toContain("model said gibberish");
    expect(rendered.text).not.toContain("first failure");
    expect(rendered.text).toContain('<error call="c3" tool="deploy" code="tool_error">\nafter the success\n</error>');
    expect(rendered.text).toContain('<error code="model_timeout">\nslow model\n</error>');
    // the decisions themselves stay visible: the model sees what it tried
    expect(rendered.text).toContain('<search call="c1">');
    expect(rendered.shown).toBe(1 + 6);
  });

  it("keeps the launch plus the newest blocks and marks what the budget left out", () => {
    const log = Log.launched({ message: "launch" });
    for (let i = 10; i < 30; i++) log.add(ev.message(`message ${i}`)); // seqs 2..21, equal-sized blocks
    const launchBlock = "<user_message>\nlaunch\n</user_message>";
    const blockOf = (i: number) => `<user_message>\nmessage ${i}\n</user_message>`;
    const budget = { maxChars: launchBlock.length + 5 * (blockOf(10).length + 2), maxBlockChars: 1000 };

    const rendered = renderThread(launchOf(log), newestFirst(log.events), budget);
    expect(rendered.shown).toBe(6);
    expect(rendered.omitted).toBe(15); // seqs 2..16
    expect(rendered.text).toBe(
      [launchBlock, '<omitted events="15" reason="context budget"/>', ...[25, 26, 27, 28, 29].map(blockOf)].join("\n\n"),
    );
  });

  it("counts separators: a thread that renders to N characters fits a budget of N, not N - 1", () => {
    const log = Log.launched({ message: "launch" });
    log.add(ev.message("one"), ev.message("two"), ev.message("three"));
    const full = renderThread(launchOf(log), newestFirst(log.events));
    const n = full.text.length;
    expect(renderThread(launchOf(log), newestFirst(log.events), { maxChars: n, maxBlockChars: 100 })).toEqual(full);
    const tight = renderThread(launchOf(log), newestFirst(log.events), { maxChars: n - 1, maxBlockChars: 100 });
    expect(tight.omitted).toBe(1);
    expect(tight.shown).toBe(3);
    expect(tight.text).not.toContain("one");
  });

  it("stays within the budget, allowing only for the omitted marker", () => {
    const log = Log.launched();
    for (let i = 0; i < 200; i++) log.add(ev.message(`m${i} `.repeat(i % 17)));
    for (const maxChars of [100, 257, 1000, 4000]) {
      const rendered = renderThread(launchOf(log), newestFirst(log.events), { maxChars, maxBlockChars: 80 });
      const marker = `<omitted events="${rendered.omitted}" reason="context budget"/>`;
      expect(rendered.omitted).toBeGreaterThan(0);
      expect(rendered.text.length).toBeLessThanOrEqual(maxChars + marker.length + 2);
    }
  });

  it("stops reading the log once the budget is full", () => {
    const launch = stamp(ev.launched(), 1);
    let pulled = 0;
    function* newestFirstLog(): Generator<Event> {
      for (let seq = 10_001; seq >= 2; seq--) {
        pulled++;
        yield stamp(ev.message(`message number ${seq}`), seq);
      }
      pulled++;
      yield launch;
    }
    const rendered = renderThread(launch, newestFirstLog(), { maxChars: 2_000, maxBlockChars: 500 });
    expect(rendered.shown).toBeGreaterThan(10);
    // every block shown (but the launch) plus the one that did not fit; nothing more
    expect(pulled).toBe(rendered.shown);
    expect(pulled).toBeLessThan(100);
    expect(rendered.omitted).toBe(10_001 - rendered.shown);
    expect(rendered.text).toContain("message number 10001");
    expect(rendered.text).not.toContain("message number 2\n");
  });

  it("truncates a single huge block to maxBlockChars with a marker", () => {
    const log = Log.launched();
    log.add(ev.message("x".repeat(50_000)));
    const rendered = renderThread(launchOf(log), newestFirst(log.events), { maxChars: 10_000, maxBlockChars: 1_000 });
    expect(rendered.shown).toBe(2);
    expect(rendered.omitted).toBe(0);
    expect(rendered.text).toContain(`<user_message>\n${"x".repeat(1_000)}\n…[truncated 49000 characters]\n</user_message>`);
    expect(rendered.text).not.toContain("x".repeat(1_001));
    expect(rendered.text.length).toBeLessThan(1_200);
  });

  it("truncates a huge launch message but always keeps the launch", () => {
    const launch = stamp(ev.launched({ message: "L".repeat(20_000) }), 1);
    const rendered = renderThread(launch, [stamp(ev.message("small"), 2), launch], { maxChars: 1_500, maxBlockChars: 1_000 });
    expect(rendered.text.startsWith(`<user_message>\n${"L".repeat(1_000)}\n…[truncated 19000 characters]`)).toBe(true);
    expect(rendered.text).toContain("small");
  });

  it("stops reading after maxEvents events, shown or not: a long run of events the model never sees is not read to the launch", () => {
    const launch = stamp(ev.launched({ message: "go" }), 1);
    let read = 0;
    function* newestFirst() {
      for (let seq = 20_001; seq >= 3; seq--) {
        read++;
        yield stamp({ type: "thread_paused", data: {} } as never, seq);
      }
      yield stamp(ev.message("the first message"), 2);
      yield launch;
    }
    const rendered = renderThread(launch, newestFirst(), { maxChars: 48_000, maxBlockChars: 6_000, maxEvents: 100 });
    expect(read).toBe(101);
    expect(rendered.omitted).toBe(20_001 - 100 - 1);
    expect(rendered.text).toContain(`<omitted events="${20_001 - 100 - 1}" reason="context budget"/>`);
    expect(rendered.text).not.toContain("the first message");
  });

  it("uses the default budget when none is given", () => {
    expect(DEFAULT_BUDGET).toEqual({ maxChars: 48_000, maxBlockChars: 6_000, maxEvents: 4_096 });
    const launch = stamp(ev.launched({ message: "y".repeat(7_000) }), 1);
    expect(renderThread(launch, []).text).toContain("[truncated 1000 characters]");
  });
});

describe("buildModelInput", () => {
  it("puts the system prompt first and the thread plus the instruction in one user message", () => {
    const log = Log.launched({ message: "deploy" });
    log.add(ev.message("now"));
    const thread = renderThread(launchOf(log), newestFirst(log.events));
    const tools = [{ name: "search", description: "Search docs", parameters: { type: "object" } }];
    const input = buildModelInput({ systemPrompt: "You are deploybot.", promptVersion: "sha256:abc", thread, tools, seenSeq: 2 });
    expect(input).toEqual({
      messages: [
        { role: "system", content: "You are deploybot." },
        { role: "user", content: `${thread.text}\n\n${NEXT_STEP_INSTRUCTION}` },
      ],
      tools,
      promptVersion: "sha256:abc",
      seenSeq: 2,
      stats: { shown: 2, omitted: 0, hiddenErrors: 0 },
    });
    expect(input.messages[1]?.content.startsWith("<user_message>\ndeploy\n</user_message>")).toBe(true);
  });
});

describe("prompt templates", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(fillTemplate("Hi {{name}}, team {{ team }}; {{missing}} {{user.email}}", { name: "Ada", team: "infra", "user.email": "a@x" })).toBe(
      "Hi Ada, team infra; {{missing}} a@x",
    );
  });

  it("fills every occurrence and does not re-expand filled values", () => {
    expect(fillTemplate("{{a}}-{{a}}", { a: "{{b}}", b: "no" })).toBe("{{b}}-{{b}}");
  });

  it("lists placeholders in order of appearance", () => {
    expect(placeholders("{{a}} and {{ b.c }} and {{a}} but not {single} or {{bad name}}")).toEqual(["a", "b.c", "a"]);
    expect(placeholders("no placeholders")).toEqual([]);
  });
});
