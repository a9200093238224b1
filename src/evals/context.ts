import type { AgentDefinition } from "../agents";
import { promptVersion, renderSystemPrompt } from "../agents/prompt";
import { promptFor } from "../agents/variants";
import { mcpSpecs } from "../mcp/tools";
import { buildModelInput, renderThread, replay, type Event, type ModelInput } from "../core";

/**
 * The exact input of a past model step, asked again with another prompt variant: the
 * thread as the log stood at `seenSeq` (the frontier the recorded decision was rendered
 * from), rendered as src/runtime/thread/effects.ts `modelInput` renders it, with the candidate's
 * system prompt. With the thread's own variant this is byte for byte what was sent.
 */
export async function contextAt(agent: AgentDefinition, events: readonly Event[], seenSeq: number, variant: string): Promise<ModelInput> {
  const seen = events.filter((e) => e.seq <= seenSeq);
  const state = replay(seen);
  const launch = seen[0];
  if (!state || !launch) throw new Error(`no thread state at seq ${seenSeq}`);
  const prompt = promptFor(agent, variant);
  return buildModelInput({
    systemPrompt: renderSystemPrompt(agent, { ...state, variant: prompt.name }),
    promptVersion: await promptVersion(prompt.template),
    thread: renderThread(launch, [...seen].reverse()),
    // The MCP tools this thread was offered, as pinned in its log (invariant 12).
    tools: [...agent.toolSpecs, ...mcpSpecs(state)],
    seenSeq: state.lastSeq,
  });
}
