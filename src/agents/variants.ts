import { chooseVariant, placeholders, type ThreadState } from "../core";
import type { AgentDefinition, PromptVariant } from "./types";

export type VariantInput = { name: string; file: string; template: string; weight: number };

/** The name of the variant made from `prompt` itself. */
export const DEFAULT_VARIANT = "default";

const VARIANT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * Resolves and checks an agent's variants at setup: `prompt` is the variant "default"
 * (weight 1 unless given), then the declared ones. Bad names, duplicates, bad weights,
 * no positive weight, or unknown placeholders throw here, not at the first launch.
 */
export function resolveVariants(
  agent: string,
  prompt: { file: string; template: string; weight?: number },
  variants: readonly VariantInput[],
  allowed: readonly string[],
): PromptVariant[] {
  const all: PromptVariant[] = [
    { name: DEFAULT_VARIANT, file: prompt.file, template: prompt.template, weight: prompt.weight ?? 1 },
    ...variants.map((v) => ({ name: v.name, file: v.file, template: v.template, weight: v.weight })),
  ];
  const seen = new Set<string>();
  for (const v of all) {
    if (!VARIANT_NAME.test(v.name)) throw new Error(`${agent}: invalid prompt variant name "${v.name}"`);
    if (seen.has(v.name)) throw new Error(`${agent}: prompt variant "${v.name}" is defined twice`);
    seen.add(v.name);
    if (!Number.isInteger(v.weight) || v.weight < 0 || v.weight > 10_000) {
      throw new Error(`${agent}: prompt variant "${v.name}" needs an integer weight from 0 to 10000`);
    }
    const unknown = placeholders(v.template).filter((p) => !allowed.includes(p.split(".")[0] as string));
    if (unknown.length > 0) throw new Error(`${agent}: prompt ${v.file} uses unknown placeholders ${unknown.join(", ")}`);
  }
  if (!all.some((v) => v.weight > 0)) throw new Error(`${agent}: at least one prompt variant needs a positive weight`);
  return all;
}

/**
 * The variant a thread uses: the one its log names, else the default. A variant removed
 * from the code after threads were launched with it falls back to the default; the model
 * events record the prompt version actually sent, so the audit trail stays exact.
 */
export function promptFor(agent: AgentDefinition, variant: string | undefined): PromptVariant {
  const named = variant !== undefined ? agent.variants.find((v) => v.name === variant) : undefined;
  return named ?? (agent.variants[0] as PromptVariant);
}

export function promptOfThread(agent: AgentDefinition, state: Pick<ThreadState, "variant">): PromptVariant {
  return promptFor(agent, state.variant);
}

export type VariantChoice =
  | { readonly ok: true; readonly variant?: string }
  | { readonly ok: false; readonly code: "unknown_variant"; readonly message: string };

/**
 * The variant to record for a new thread: the pinned one if it exists, else the weighted
 * choice from the thread id. An agent with a single prompt records none (it is "default").
 */
export function variantForLaunch(agent: AgentDefinition, threadId: string, pinned?: string): VariantChoice {
  if (pinned !== undefined) {
    if (!agent.variants.some((v) => v.name === pinned)) return unknownVariant(agent, pinned);
    return { ok: true, variant: pinned };
  }
  if (agent.variants.length < 2) return { ok: true };
  const chosen = chooseVariant(threadId, agent.variants);
  return chosen ? { ok: true, variant: chosen } : { ok: true };
}

export function unknownVariant(agent: AgentDefinition, name: string): VariantChoice & { ok: false } {
  return {
    ok: false,
    code: "unknown_variant",
    message: `Agent ${agent.name} has no prompt variant "${name.slice(0, 40)}" (it has: ${agent.variants.map((v) => v.name).join(", ")}).`,
  };
}
