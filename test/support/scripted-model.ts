/**
 * TEST/DEMO ONLY: a scripted model that speaks the OpenAI Chat Completions wire
 * protocol (POST /v1/chat/completions), so the real `openai` client serialises the
 * request and parses the response exactly as it would against a real endpoint.
 *
 * A test registers a script under an id and puts `[script:<id>]` in the launch
 * message; each model call on that thread consumes the next step. Web-standard
 * Request/Response only, so the same server runs in workerd and in Node.
 */

export type ScriptStep =
  /** A well-formed single tool call. */
  | { tool: string; args?: Record<string, unknown> }
  /** A tool call whose `arguments` string is sent as-is (e.g. broken JSON). */
  | { tool: string; rawArguments: string }
  /** Several tool calls in one answer. */
  | { calls: { tool: string; args?: Record<string, unknown> }[] }
  /** A plain text answer with no tool call. */
  | { text: string }
  /** `choices: []`. */
  | { empty: true }
  /** An HTTP error status with an OpenAI-style error body. */
  | { status: number; message?: string }
  /** A 200 whose body is not JSON. */
  | { garbage: string }
  /** Hold the answer until `release(gate)` is called; then answer with `then`. */
  | { gate: string; then: ScriptStep };

export type ChatRequest = {
  model: string;
  messages: { role: string; content: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
};

/** Where a gated step waits: blocks in `pass()` until the test opens it. */
export type GateFactory = (name: string) => { pass(): Promise<void>; readonly reached: Promise<void>; open(): Promise<void> };

/** A script that answers by what it is asked (deterministic in the request), not by turn. */
export type ScriptRule = (request: ChatRequest) => ScriptStep;

export class ScriptedModel {
  #scripts = new Map<string, ScriptStep[] | ScriptRule>();
  #cursor = new Map<string, number>();
  #requests = new Map<string, ChatRequest[]>();
  #summaries = new Map<string, ChatRequest[]>();
  #failSummaries = new Map<string, number>();
  #ids = 0;

  constructor(private readonly gates: GateFactory) {}

  /** Registers a script; returns the marker to put in the launch message. */
  script(id: string, steps: ScriptStep[] | ScriptRule): string {
    this.#scripts.set(id, steps);
    this.#cursor.set(id, 0);
    this.#requests.set(id, []);
    this.#summaries.set(id, []);
    return `[script:${id}]`;
  }

  /** The requests the model received for a script, in order. */
  requests(id: string): ChatRequest[] {
    return this.#requests.get(id) ?? [];
  }

  /** The summary requests (context compaction: no tools) made for a script, in order. They consume no step. */
  summaries(id: string): ChatRequest[] {
    return this.#summaries.get(id) ?? [];
  }

  /** The next `n` summary requests for a script answer 503. */
  failSummaries(id: string, n: number): void {
    this.#failSummaries.set(id, n);
  }

  /** How many steps of a script have been consumed. */
  consumed(id: string): number {
    return this.#cursor.get(id) ?? 0;
  }

  /** Resolves when a request reaches `gate` (the model call is then in flight). */
  arrived(gate: string): Promise<void> {
    return this.gates(gate).reached;
  }

  release(gate: string): Promise<void> {
    return this.gates(gate).open();
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (request.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
      return error(404, `scripted model: no route ${request.method} ${url.pathname}`);
    }
    const body = (await request.json()) as ChatRequest;
    const text = body.messages.map((m) => m.content).join("\n");
    const id = /\[script:([A-Za-z0-9_-]+)\]/.exec(text)?.[1];
    if (!id || !this.#scripts.has(id)) return this.#answer(body, { tool: "done_for_now", args: { message: "No script found." } });
    // A request with no tools asks for a summary of old context (src/model/summarise.ts).
    if (!body.tools?.length) return this.#summary(id, body);
    this.#requests.get(id)?.push(body);
    const index = this.#cursor.get(id) ?? 0;
    this.#cursor.set(id, index + 1);
    const script = this.#scripts.get(id);
    const step = (typeof script === "function" ? script(body) : script?.[index]) ?? { tool: "done_for_now", args: { message: "Script exhausted." } };
    return this.#answer(body, step);
  };

  #summary(id: string, body: ChatRequest): Response {
    this.#summaries.get(id)?.push(body);
    const failing = this.#failSummaries.get(id) ?? 0;
    if (failing > 0) {
      this.#failSummaries.set(id, failing - 1);
      return error(503, "scripted summary failure");
    }
    const range = /Summarise events (\d+) to (\d+)/.exec(body.messages.map((m) => m.content).join("\n"));
    const content = `SUMMARY of events ${range?.[1]} to ${range?.[2]}: echoed texts, all fine.`;
    return Response.json({
      id: `chatcmpl-${++this.#ids}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
  }

  async #answer(body: ChatRequest, step: ScriptStep): Promise<Response> {
    if ("gate" in step) {
      await this.gates(step.gate).pass();
      return this.#answer(body, step.then);
    }
    if ("status" in step) return error(step.status, step.message ?? `scripted ${step.status}`);
    if ("garbage" in step) return new Response(step.garbage, { headers: { "content-type": "application/json" } });
    const usage = { prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), completion_tokens: 12, total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const completion = (message: Record<string, unknown>, finish: string, choices = true) =>
      Response.json({
        id: `chatcmpl-${++this.#ids}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: body.model,
        choices: choices ? [{ index: 0, message, finish_reason: finish, logprobs: null }] : [],
        usage,
      });
    if ("empty" in step) return completion({}, "stop", false);
    if ("text" in step) return completion({ role: "assistant", content: step.text }, "stop");
    const calls = "calls" in step ? step.calls.map((c) => ({ name: c.tool, arguments: JSON.stringify(c.args ?? {}) })) : [
      { name: step.tool, arguments: "rawArguments" in step ? step.rawArguments : JSON.stringify(step.args ?? {}) },
    ];
    return completion(
      {
        role: "assistant",
        content: null,
        tool_calls: calls.map((c) => ({ id: `call_${++this.#ids}`, type: "function", function: c })),
      },
      "tool_calls",
    );
  }
}

function error(status: number, message: string): Response {
  return Response.json({ error: { message, type: "scripted_error", code: String(status) } }, { status });
}
