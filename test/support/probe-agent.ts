/**
 * TEST ONLY: a probe agent whose tools make failures happen on cue: count real
 * executions, wait on gates (for eviction mid-tool), throw, hang, or return 5 MB.
 */
import { z } from "zod";
import { defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";
import type { TimeoutPolicy } from "../../src/core";
import { executions, gate } from "./harness";

const count = (label: string) => executions.set(label, (executions.get(label) ?? 0) + 1);

/** Counts, then waits on a test gate: the place to evict or abort an object mid-tool. */
function gateTool(name: string, idempotent: boolean) {
  return defineTool({
    name,
    description: `Counts, then waits on a test gate (${idempotent ? "idempotent: safe to re-run" : "not idempotent"}).`,
    input: z.object({ gate: z.string() }),
    idempotent,
    run: async (args) => {
      count(args.gate);
      await gate(args.gate).pass();
      return { passed: args.gate };
    },
  });
}

/** A tool that always needs approval and counts real executions by label. */
export function guardedTool(name: string, description: string, onHumanTimeout?: TimeoutPolicy, approvers?: readonly string[] | (() => readonly string[])) {
  return defineTool({
    name,
    description,
    input: z.object({ label: z.string() }),
    requiresApproval: true,
    ...(onHumanTimeout ? { onHumanTimeout } : {}),
    ...(approvers ? { approvers } : {}),
    run: async ({ label }) => {
      count(label);
      return { guarded: label };
    },
  });
}

/** Invariant 13: two distinct approvers, never the launcher; an approver may fix the label, never the env. Counts executions by label. */
export function boardTool(name: string) {
  return defineTool({
    name,
    description: "A change that needs two approvers other than its requester; the label is editable.",
    input: z.object({ label: z.string().min(1).max(100), env: z.enum(["staging", "production"]) }),
    requiresApproval: true,
    approvals: { required: 2 },
    selfApproval: false,
    editable: ["label"],
    run: async ({ label }) => {
      count(label);
      return { changed: label };
    },
  });
}

export const probe = defineAgent({
  name: "probe",
  description: "Test-only agent with tools that fail on cue.",
  prompt: { file: "test/support/probe-agent.ts", template: "You are {{agent}}, a test probe. Thread {{thread_id}}." },
  humanTimeoutSeconds: 60,
  // Only this sender, besides EMAIL_ALLOWED_SENDERS: the per-agent allowlist under test.
  email: { allowedSenders: ["carol@probe.example"] },
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
    gateTool("wait_on_gate", false),
    gateTool("wait_on_gate_idempotent", true),
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
    guardedTool("guarded", "Always needs approval; counts executions by label."),
    guardedTool("guarded_escalate", "Needs approval; a missed deadline escalates once, then denies.", "escalate"),
    guardedTool("guarded_fail", "Needs approval; a missed deadline fails the thread.", "fail"),
    // Named approvers (invariant 10): only the credential release-manager, or alice by mail or link.
    guardedTool("guarded_named", "Needs approval from a named approver.", undefined, ["release-manager", "alice@example.com"]),
    boardTool("board_change"),
    requestMoreInformation,
    doneForNow,
  ],
});
