import type { AgentDefinition } from "../agents";
import { promptVersion, renderSystemPrompt } from "../agents/prompt";
import { promptFor } from "../agents/variants";
import { mcpSpecs } from "../mcp/tools";
import { replay, sourceFromEvents, type Event } from "../core";
import { contextInput, type ContextInput } from "../model/context-input";

/**
 * The exact input of a past model step, asked again with another prompt variant: the
 * thread as the log stood at `seenSeq` (the frontier the recorded decision was rendered
 * from), rendered as src/runtime/thread/effects.ts `modelInput` renders it (the same
 * policy, budget and summaries: a logged context_compacted is reused, never summarised
 * again), with the candidate's system prompt. With the thread's own variant this is byte
 * for byte what was sent.
 */
export async function contextAt(agent: AgentDefinition, events: readonly Event[], seenSeq: number, variant: string, model: string): Promise<ContextInput> {
  const seen = events.filter((e) => e.seq <= seenSeq);
  const state = replay(seen);
  if (!state || !seen[0]) throw new Error(`no thread state at seq ${seenSeq}`);
  const prompt = promptFor(agent, variant);
  return contextInput({
    agent,
    systemPrompt: renderSystemPrompt(agent, { ...state, variant: prompt.name }),
    promptVersion: await promptVersion(prompt.template),
    source: sourceFromEvents(seen),
    // The MCP tools this thread was offered, as pinned in its log (invariant 12).
    tools: [...agent.toolSpecs, ...mcpSpecs(state)],
    seenSeq: state.lastSeq,
    model: state.model ?? model,
  });
}
