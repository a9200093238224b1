/**
 * TEST ONLY: an agent that pre-fetches context before its first model call (Factor 13)
 * and has three prompt variants (Factor 2): "default" and "terse" share new threads,
 * "canary" has weight 0 and runs only when pinned by a launch or a fork.
 */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";

const FILE = "test/support/scout-agent.ts";

export const scout = defineAgent({
  name: "scout",
  description: "Test-only agent that pre-fetches its context and has prompt variants.",
  prompt: { file: `${FILE}#default`, template: "You are {{agent}} (default prompt). Thread {{thread_id}}.", weight: 1 },
  variants: [
    { name: "terse", file: `${FILE}#terse`, template: "{{agent}}: terse prompt.", weight: 1 },
    { name: "canary", file: `${FILE}#canary`, template: "You are {{agent}} (canary prompt). Be careful.", weight: 0 },
  ],
  prefetch: [{ tool: "list_items" }, { tool: "lookup", args: { key: "status" } }],
  tools: [
    defineTool({
      name: "list_items",
      description: "Lists the items (pre-fetched).",
      input: z.object({}),
      idempotent: true,
      run: async () => ({ items: ["alpha-item", "beta-item"] }),
    }),
    defineTool({
      name: "lookup",
      description: "Looks a key up (pre-fetched); fails on cue for threads whose id starts with 'fail-'.",
      input: z.object({ key: z.string() }),
      idempotent: true,
      run: async ({ key }, ctx) => {
        if (ctx.threadId.startsWith("fail-")) throw new Error(`lookup of ${key} is down on purpose`);
        return { [key]: "green-status" };
      },
    }),
    defineTool({
      name: "guarded",
      description: "Always needs approval.",
      input: z.object({ label: z.string() }),
      requiresApproval: true,
      run: async ({ label }) => ({ guarded: label }),
    }),
    defineTool({
      name: "guarded_escalate",
      description: "Always needs approval; a missed deadline escalates once, then denies.",
      input: z.object({ label: z.string() }),
      requiresApproval: true,
      onHumanTimeout: "escalate",
      run: async ({ label }) => ({ guarded: label }),
    }),
    requestMoreInformation,
    doneForNow,
  ],
});
