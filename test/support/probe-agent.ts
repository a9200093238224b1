/**
 * TEST ONLY: a probe agent whose tools make failures happen on cue: count real
 * executions, wait on gates (for eviction mid-tool), throw, hang, or return 5 MB.
 */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";
import { executions, gate } from "./harness";

const count = (label: string) => executions.set(label, (executions.get(label) ?? 0) + 1);

export const probe = defineAgent({
  name: "probe",
  description: "Test-only agent with tools that fail on cue.",
  prompt: { file: "test/support/probe-agent.ts", template: "You are {{agent}}, a test probe. Thread {{thread_id}}." },
  humanTimeoutSeconds: 60,
  tools: [
    defineTool({
      name: "echo",
      description: "Returns its text.",
      input: z.object({ text: z.string() }),
      idempotent: true,
      run: async ({ text }) => ({ echo: text }),
    }),
    defineTool({
      name: "side_effect",
      description: "A non-idempotent effect; counts real executions by label.",
      input: z.object({ label: z.string() }),
      run: async ({ label }) => {
        count(label);
        return { done: label };
      },
    }),
    defineTool({
      name: "wait_on_gate",
      description: "Counts, then waits on a test gate (not idempotent).",
      input: z.object({ gate: z.string() }),
      run: async (args) => {
        count(args.gate);
        await gate(args.gate).pass();
        return { passed: args.gate };
      },
    }),
    defineTool({
      name: "wait_on_gate_idempotent",
      description: "Counts, then waits on a test gate (idempotent: safe to re-run).",
      input: z.object({ gate: z.string() }),
      idempotent: true,
      run: async (args) => {
        count(args.gate);
        await gate(args.gate).pass();
        return { passed: args.gate };
      },
    }),
    defineTool({
      name: "explode",
      description: "Always throws.",
      input: z.object({}),
      run: async () => {
        throw new Error("probe exploded on purpose");
      },
    }),
    defineTool({
      name: "hang",
      description: "Never finishes; times out after 50 ms.",
      input: z.object({}),
      timeoutMs: 50,
      run: () => new Promise(() => {}),
    }),
    defineTool({
      name: "big",
      description: "Returns a large string.",
      input: z.object({ bytes: z.number().int() }),
      run: async ({ bytes }) => ({ blob: "x".repeat(bytes) }),
    }),
    defineTool({
      name: "guarded",
      description: "Always needs approval; counts executions by label.",
      input: z.object({ label: z.string() }),
      requiresApproval: true,
      run: async ({ label }) => {
        count(label);
        return { guarded: label };
      },
    }),
    defineTool({
      name: "guarded_escalate",
      description: "Needs approval; a missed deadline escalates once, then denies.",
      input: z.object({ label: z.string() }),
      requiresApproval: true,
      onHumanTimeout: "escalate",
      run: async ({ label }) => {
        count(label);
        return { guarded: label };
      },
    }),
    defineTool({
      name: "guarded_fail",
      description: "Needs approval; a missed deadline fails the thread.",
      input: z.object({ label: z.string() }),
      requiresApproval: true,
      onHumanTimeout: "fail",
      run: async ({ label }) => {
        count(label);
        return { guarded: label };
      },
    }),
    requestMoreInformation,
    doneForNow,
  ],
});
