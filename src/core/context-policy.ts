import { z } from "zod";
import type { Event } from "./events";

// Factor 3, own your context window: the agent, not the runtime, says what matters. A
// policy ranks each event the model could see; over budget the render drops low before
// normal before high, oldest first within a class, and never drops pinned.

export const ContextClass = z.enum(["pinned", "high", "normal", "low"]);
export type ContextClass = z.infer<typeof ContextClass>;

/** What a policy answers for one event: its class, and optionally a shorter block to show instead. */
export const ContextVerdict = z.strictObject({ class: ContextClass, text: z.string().optional() });
export type ContextVerdict = z.infer<typeof ContextVerdict>;

/** What the runtime knows about an event beyond the event itself; computed from the log, the same for every policy. */
export type ContextFacts = {
  /** The block the model would see by default (already compacted and capped). */
  readonly block: string;
  /** A failure nothing has resolved yet (invariant 11): pinned whatever the policy says. */
  readonly unresolved: boolean;
  /** A failure its own call's success, or a human's decision about it, resolved. */
  readonly resolved: boolean;
  /** A tool result that is the newest result of its tool. */
  readonly latestResult: boolean;
  /** A tool result with a newer result of the same tool and the same arguments after it. */
  readonly superseded: boolean;
  /** A human request nobody has answered yet. */
  readonly open: boolean;
};

/** An agent's context policy. `classify` must be pure: the render is a function of (log, policy, budget). */
export type ContextPolicy = {
  readonly name: string;
  readonly classify: (event: Event, facts: ContextFacts) => ContextVerdict;
};

/**
 * The default: pinned = the launch, every human decision and answer (and a request still
 * open), every unresolved error and unknown outcome, the newest result of each tool;
 * low = resolved errors and superseded results; high = user messages, answered requests
 * and summaries; the rest normal.
 */
export const defaultContextPolicy: ContextPolicy = {
  name: "default",
  classify(event, facts) {
    switch (event.type) {
      case "thread_launched":
      case "human_responded":
      case "human_timed_out":
        return { class: "pinned" };
      case "human_requested":
        return { class: facts.open ? "pinned" : "high" };
      case "tool_failed":
      case "model_failed":
        return { class: facts.unresolved ? "pinned" : "low" };
      case "tool_succeeded":
        return { class: facts.latestResult ? "pinned" : facts.superseded ? "low" : "normal" };
      case "user_messaged":
      case "context_compacted":
        return { class: "high" };
      default:
        return { class: "normal" };
    }
  },
};

/** Checks a policy at definition: it must have a name and a classify function. */
export function checkContextPolicy(policy: ContextPolicy, agent: string): ContextPolicy {
  if (typeof policy?.classify !== "function" || typeof policy.name !== "string" || policy.name.length === 0) {
    throw new Error(`${agent}: context.policy needs a name and a classify(event, facts) function`);
  }
  return policy;
}

/** The encodings the runtime can count with (src/runtime/tokenizer.ts). */
export const TokenizerName = z.enum(["cl100k_base"]);
export type TokenizerName = z.infer<typeof TokenizerName>;

export const CLASS_RANK: Readonly<Record<ContextClass, number>> = { low: 0, normal: 1, high: 2, pinned: 3 };
