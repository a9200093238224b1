import { describe, expect, it } from "vitest";
import {
  AgentName,
  block,
  ThreadId,
  type EventBody,
  fillTemplate,
  placeholders,
  truncate,
  yamlish,
} from "../../src/core";
import { cid, ev, stamp } from "./fixtures";

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
    expect(block(stamp(ev.modelFailed(1, "invalid_json", "not JSON"), 2))).toBe('<error code="invalid_json">\nnot JSON\nTry: Send the arguments as valid JSON.\n</error>');
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

describe("block: delegation, remote tools and null results", () => {
  it("renders a delegation as a note of who has the call and until when", () => {
    const delegated = stamp(
      { type: "agent_delegated", data: { callId: cid("c1"), tool: "ask_billing", agent: AgentName.parse("billing"), childThreadId: ThreadId.parse("t1-c1"), depth: 1, deadline: "2025-01-02T00:00:00.000Z" } },
      3,
    );
    expect(block(delegated)).toBe(
      '<agent_delegated call="c1">\nHanded to billing (thread t1-c1); its result arrives as this call\'s result. Deadline 2025-01-02T00:00:00.000Z.\n</agent_delegated>',
    );
  });

  it("renders an MCP server that listed no tools as an error naming the server, and a good list as nothing", () => {
    const listed = (error?: string) => stamp({ type: "mcp_tools_listed", data: { server: "github", tools: [], ...(error ? { error } : {}) } } as EventBody, 2);
    expect(block(listed("401 Unauthorized"))).toBe('<error mcp_server="github">\n401 Unauthorized\n</error>');
    expect(block(listed())).toBeUndefined();
  });

  it("renders a null tool result as null", () => {
    expect(block(stamp(ev.succeeded("c1", "lookup", null), 3))).toBe('<lookup_result call="c1">\nnull\n</lookup_result>');
    expect(yamlish(null)).toBe("null");
  });
});
