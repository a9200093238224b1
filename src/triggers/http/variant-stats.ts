import type { AgentDefinition } from "../../agents";
import { promptVersion } from "../../agents/prompt";
import { variantStats } from "../../runtime/index/thread-index";
import { emptyVariantTotals } from "../../runtime/index/thread-index-stats";

/**
 * `GET /v1/agents/{agent}/variants`: each declared variant with its version and weight,
 * and what its threads did. Counts come from the thread index, which each thread updates
 * at every status change and after every step loop run: eventually consistent with the
 * logs, which stay the truth. Variants no longer declared but still in the index are
 * listed with `retired: true`.
 */
export async function variantStatsView(env: Env, agent: AgentDefinition) {
  const totals = await variantStats(env, agent.name);
  const declared = await Promise.all(
    agent.variants.map(async (v) => ({
      name: v.name,
      file: v.file,
      version: await promptVersion(v.template),
      weight: v.weight,
      ...(totals[v.name] ?? emptyVariantTotals()),
    })),
  );
  const retired = Object.entries(totals)
    .filter(([name]) => !agent.variants.some((v) => v.name === name))
    .map(([name, t]) => ({ name, retired: true, ...t }));
  return { agent: agent.name, consistency: "eventual", variants: [...declared, ...retired] };
}
