import type { AgentDefinition } from "../agents";
import { CallId, replay, type Event } from "../core";
import { remoteChecks } from "../mcp/tools";
import { decide, type ModelOutcome } from "../model/decide";
import type { ModelConfig } from "../model/config";
import { contextAt } from "./context";
import { RETRYABLE, withRetries, type RetryPolicy } from "./retry";
import type { Answer, Question } from "./schemas";

export type AskDeps = {
  readonly agent: AgentDefinition;
  readonly config: ModelConfig;
  readonly variant: string;
  readonly fetch: typeof fetch;
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
};

// The call id is never used: nothing runs. A fixed one keeps the request deterministic.
const EVAL_CALL = CallId.parse("call_eval");

/**
 * Asks the candidate one question: the past step's context, rebuilt with the candidate's
 * prompt, through the same `decide` a thread uses (same validation of the one tool call).
 * Only the model is called; the outcome is returned, never appended anywhere.
 */
export async function ask(deps: AskDeps, events: readonly Event[], question: Question): Promise<Answer> {
  const context = await contextAt(deps.agent, events, question.seenSeq, deps.variant, deps.config.model);
  // A policy that fails on this log fails this question, as it would fail the thread's step.
  if (!context.ok) return { candidate: { error: { code: context.code, message: context.message } }, tokens: 0, latencyMs: 0 };
  const input = context.input;
  let retryAfter: string | null = null;
  // Wraps the client's fetch only to read what a refusal said about waiting.
  const watching: typeof fetch = async (request, init) => {
    const response = await deps.fetch(request, init);
    retryAfter = response.ok ? null : response.headers.get("retry-after");
    return response;
  };
  let latencyMs = 0;
  const { result } = await withRetries<ModelOutcome>(
    async () => {
      retryAfter = null;
      const outcome = await decide({ input, agent: deps.agent, config: deps.config, callId: EVAL_CALL, fetch: watching, remote: remoteChecks(replay(events.filter((e) => e.seq <= question.seenSeq))) });
      latencyMs = outcome.data.latencyMs;
      return { result: outcome, retryable: outcome.type === "model_failed" && RETRYABLE.has(outcome.data.code), retryAfter };
    },
    { policy: deps.policy, now: () => Date.now(), random: Math.random, sleep: deps.sleep },
  );
  const usage = result.data.usage;
  const tokens = usage ? usage.promptTokens + usage.completionTokens : 0;
  if (result.type === "model_failed") return { candidate: { error: { code: result.data.code, message: result.data.message } }, tokens, latencyMs };
  return { candidate: { tool: result.data.tool, args: result.data.args }, tokens, latencyMs };
}
