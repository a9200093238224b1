/**
 * TEST ONLY: agents for the context window (Factor 3, issue 21): one with a small token
 * budget (compaction, escalation when pinned events alone do not fit) and one whose
 * context policy breaks on cue.
 */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";
import { defaultContextPolicy, type ContextPolicy } from "../../src/core";
import { executions, gate } from "./harness";

const echo = defineTool({
  name: "echo",
  description: "Returns its text.",
  input: z.object({ text: z.string() }),
  idempotent: true,
  run: async ({ text }) => ({ echo: text }),
});

/** Not idempotent, and waits on a test gate: the place to crash so its outcome is unknown (issue 21's deploy_backend). */
const deployBackend = defineTool({
  name: "deploy_backend",
  description: "Deploys the backend (waits on a test gate; not idempotent).",
  input: z.object({ gate: z.string() }),
  run: async (args) => {
    executions.set(args.gate, (executions.get(args.gate) ?? 0) + 1);
    await gate(args.gate).pass();
    return { deployed: "backend" };
  },
});

const deployFrontend = defineTool({
  name: "deploy_frontend",
  description: "Deploys the frontend.",
  input: z.object({ tag: z.string() }),
  run: async ({ tag }) => ({ deployed: "frontend", tag }),
});

/** A budget of 1,500 tokens: about a dozen echo turns fit, the rest is dropped or summarised. */
export const tight = defineAgent({
  name: "tight",
  description: "Test-only agent with a small context budget.",
  prompt: { file: "test/support/context-agents.ts", template: "You are {{agent}}. Thread {{thread_id}}." },
  tools: [echo, deployBackend, deployFrontend, doneForNow],
  context: { tokens: 1_500, tokenizer: "cl100k_base" },
});

/** Throws on a user message that says "policy-bug", answers garbage on one that says "policy-garbage". */
const brittle: ContextPolicy = {
  name: "brittle",
  classify(event, facts) {
    if (event.type === "thread_launched" && event.data.message.includes("policy-bug")) throw new Error("cannot rank this launch");
    if (event.type === "user_messaged" && event.data.text.includes("policy-garbage")) return { class: "urgent" } as unknown as ReturnType<ContextPolicy["classify"]>;
    return defaultContextPolicy.classify(event, facts);
  },
};

export const brittleAgent = defineAgent({
  name: "brittle",
  description: "Test-only agent whose context policy fails on cue.",
  prompt: { file: "test/support/context-agents.ts", template: "You are {{agent}}." },
  tools: [echo, requestMoreInformation, doneForNow],
  context: { policy: brittle },
});
