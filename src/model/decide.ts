import OpenAI from "openai";
import { z } from "zod";
import { truncate, type CallId, type EventOf, type JsonObject, type ModelErrorCode, type ModelInput } from "../core";
import type { AgentDefinition } from "../agents";
import type { ModelConfig } from "./config";
import { DEMO_BASE_URL, demoModelFetch } from "./demo";
import { retryAfter } from "./retry-after";

type Decided = Pick<EventOf<"model_decided">, "type" | "data">;
type Failed = Pick<EventOf<"model_failed">, "type" | "data">;
export type ModelFailed = Failed;
export type ModelOutcome = Decided | Failed;

export type DecideArgs = {
  readonly input: ModelInput;
  readonly agent: AgentDefinition;
  readonly config: ModelConfig;
  readonly callId: CallId;
  /** The HTTP client the openai SDK uses; the global fetch in production. */
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  /** Tools from outside (MCP): their argument check by name (why the arguments do not fit, or undefined). */
  readonly remote?: (name: string) => ((args: unknown) => string | undefined) | undefined;
};

/**
 * Factors 1 and 4: natural language in, exactly one validated tool call out. Every
 * failure becomes a compact `model_failed` event that the next step can see; this
 * function never throws for anything the model or its endpoint does.
 */
export async function decide(args: DecideArgs): Promise<ModelOutcome> {
  const { input, agent, config } = args;
  const started = Date.now();
  const facts = (extra: { usage?: { promptTokens: number; completionTokens: number } } = {}) => ({
    seenSeq: input.seenSeq,
    model: config.model,
    promptVersion: input.promptVersion,
    latencyMs: Date.now() - started,
    ...extra,
  });
  const fail = (code: ModelErrorCode, message: string, usage?: { promptTokens: number; completionTokens: number }, retryAfterMs?: number): Failed => ({
    type: "model_failed",
    data: { code, message: truncate(message, 600), ...facts(usage ? { usage } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
  });

  const client = modelClient(config, args.fetch);

  let completion: OpenAI.Chat.Completions.ChatCompletion;
  try {
    completion = await client.chat.completions.create(
      {
        model: config.model,
        messages: input.messages.map((m) => ({ role: m.role, content: m.content })),
        tools: input.tools.map((t) => ({
          type: "function" as const,
          function: { name: t.name, description: t.description, parameters: t.parameters },
        })),
        tool_choice: "required",
        parallel_tool_calls: false,
      },
      args.signal ? { signal: args.signal } : {},
    );
  } catch (error) {
    return failFromError(error, fail);
  }

  const usage = completion.usage
    ? { promptTokens: completion.usage.prompt_tokens ?? 0, completionTokens: completion.usage.completion_tokens ?? 0 }
    : undefined;
  const message = completion.choices?.[0]?.message;
  if (!message) return fail("empty_response", "The model returned no choices.", usage);
  const calls = message.tool_calls ?? [];
  if (calls.length === 0) {
    const said = typeof message.content === "string" && message.content ? `: "${truncate(message.content, 200)}"` : "";
    return fail("no_tool_call", `The model answered with text instead of a tool call${said}. Call exactly one tool.`, usage);
  }
  if (calls.length > 1) {
    return fail("too_many_tool_calls", `The model returned ${calls.length} tool calls; call exactly one tool per step.`, usage);
  }
  const call = calls[0];
  if (!call || call.type !== "function") return fail("no_tool_call", "The model returned a tool call that is not a function call.", usage);

  const tool = agent.tool(call.function.name);
  const remoteCheck = tool ? undefined : args.remote?.(call.function.name);
  if (!tool && remoteCheck) return decideRemote(call.function.name, call.function.arguments, remoteCheck, fail, usage, (data) => ({ type: "model_decided", data: { callId: args.callId, ...data, ...facts(usage ? { usage } : {}) } }));
  if (!tool) {
    return fail(
      "unknown_tool",
      `There is no tool named "${truncate(call.function.name, 80)}". Available: ${input.tools.map((t) => t.name).join(", ")}.`,
      usage,
    );
  }
  let raw: unknown;
  try {
    // Some servers send "" for a tool without arguments.
    raw = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments);
  } catch {
    return fail("invalid_json", `The arguments for ${tool.name} were not valid JSON: ${truncate(call.function.arguments, 200)}`, usage);
  }
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) {
    return fail("invalid_arguments", `The arguments for ${tool.name} do not match its schema: ${issues(parsed.error)}`, usage);
  }
  return {
    type: "model_decided",
    data: { callId: args.callId, tool: tool.name, args: parsed.data as JsonObject, ...facts(usage ? { usage } : {}) },
  };
}

/** The openai client for a model config: one place for the endpoint, the demo stand-in, the timeout and no SDK retries. */
export function modelClient(config: ModelConfig, fetcher?: typeof fetch): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    // DEMO ONLY: MODEL=demo answers in-process (src/model/demo.ts); everything else goes out.
    ...(config.baseURL === DEMO_BASE_URL ? { fetch: demoModelFetch } : fetcher ? { fetch: fetcher } : {}),
    timeout: config.timeoutMs,
    // The runtime owns retries (a failed step is an event, then the loop decides).
    maxRetries: 0,
  });
}

type Usage = { promptTokens: number; completionTokens: number } | undefined;

/** A remote tool's call: valid JSON, an object, and its listed schema holds, or a model error. */
function decideRemote(
  name: string,
  rawArguments: string,
  check: (args: unknown) => string | undefined,
  fail: (code: ModelErrorCode, message: string, usage?: Usage) => Failed,
  usage: Usage,
  decided: (data: { tool: string; args: JsonObject }) => Decided,
): ModelOutcome {
  let raw: unknown;
  try {
    raw = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
  } catch {
    return fail("invalid_json", `The arguments for ${name} were not valid JSON: ${truncate(rawArguments, 200)}`, usage);
  }
  const problem = check(raw);
  if (problem) return fail("invalid_arguments", `The arguments for ${name} do not match its schema: ${problem}`, usage);
  return decided({ tool: name, args: raw as JsonObject });
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

export function failFromError(error: unknown, fail: (code: ModelErrorCode, message: string, usage?: undefined, retryAfterMs?: number) => Failed): Failed {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return fail("model_timeout", "The model did not answer in time.");
  if (error instanceof OpenAI.APIUserAbortError) return fail("model_timeout", "The model call was aborted.");
  if (error instanceof OpenAI.APIConnectionError) return fail("model_unreachable", `Could not reach the model endpoint: ${error.message}`);
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const retryAfterMs = retryAfter(error.headers?.get("retry-after"), Date.now());
    if (status === 429) return fail("model_rate_limited", `The model endpoint is rate limiting (429): ${error.message}`, undefined, retryAfterMs);
    if (status >= 500) return fail("model_unavailable", `The model endpoint failed (${status}): ${error.message}`, undefined, retryAfterMs);
    return fail("model_http_error", `The model endpoint rejected the request (${status}): ${error.message}`);
  }
  // A response the SDK could not parse, or anything else unexpected from the endpoint.
  return fail("model_http_error", `The model call failed: ${error instanceof Error ? error.message : String(error)}`);
}
