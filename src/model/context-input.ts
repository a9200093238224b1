import type { AgentDefinition } from "../agents";
import { buildModelInput, DEFAULT_LIMITS, renderContext, reservedTokens, type ContextSource, type ModelInput, type RenderedThread, type Tokenizer, type ToolSpec } from "../core";
import { encodingForModel, tokenizer } from "./tokenizer";

export type ContextInput =
  | { readonly ok: true; readonly input: ModelInput; readonly thread: RenderedThread; readonly counter: Tokenizer }
  | { readonly ok: false; readonly code: "context_policy_failed"; readonly message: string };

/**
 * The model input of one step (Factor 3): the thread rendered by the agent's context
 * policy within its token budget, counted with the encoding of the agent (or of the model
 * it runs on). The one place a thread's step, `GET /context` and an eval build it, so all
 * three send the same bytes for the same log.
 */
export async function contextInput(args: {
  agent: AgentDefinition;
  systemPrompt: string;
  promptVersion: string;
  source: ContextSource;
  seenSeq: number;
  model: string;
  /** The tools offered (default: the agent's own; a thread adds the MCP tools pinned in its log). */
  tools?: readonly ToolSpec[];
}): Promise<ContextInput> {
  const { agent } = args;
  const tools = args.tools ?? agent.toolSpecs;
  const counter = await tokenizer(agent.context.tokenizer ?? encodingForModel(args.model));
  const reserved = reservedTokens(args.systemPrompt, tools, counter);
  const limits = { ...DEFAULT_LIMITS, tokens: agent.context.tokens, reserved };
  const rendered = renderContext(args.source, agent.context.policy, limits, counter);
  if (!rendered.ok) return rendered;
  const input = buildModelInput({
    systemPrompt: args.systemPrompt,
    promptVersion: args.promptVersion,
    thread: rendered.thread,
    tools,
    seenSeq: args.seenSeq,
    budget: { reserved, limit: agent.context.tokens, tokenizer: counter.name },
  });
  return { ok: true, input, thread: rendered.thread, counter };
}
