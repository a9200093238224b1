import { DEFAULT_LIMITS, defaultContextPolicy, renderContext, sourceFromEvents, type ContextLimits, type ContextPolicy, type Event, type RenderOutcome, type RenderedThread, type Tokenizer } from "../../src/core";

/** A deterministic stand-in for a BPE tokenizer in core tests: one token per 4 characters, rounded up (the sum over blocks is an upper bound of the whole). */
export const quarterTokens: Tokenizer = { name: "chars/4", count: (text) => Math.ceil(text.length / 4) };

export type RenderOptions = Partial<ContextLimits> & { policy?: ContextPolicy; tokenizer?: Tokenizer };

export function renderOutcome(events: readonly Event[], options: RenderOptions = {}): RenderOutcome {
  const { policy = defaultContextPolicy, tokenizer = quarterTokens, ...limits } = options;
  return renderContext(sourceFromEvents(events), policy, { ...DEFAULT_LIMITS, ...limits }, tokenizer);
}

/** The render of a log held in memory, with the default policy unless told otherwise. */
export function renderLog(events: readonly Event[], options: RenderOptions = {}): RenderedThread {
  const outcome = renderOutcome(events, options);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.thread;
}
