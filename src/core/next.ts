import { DEFAULT_MAX_CHILDREN, delegationRefusal } from "./delegation";
import type { HumanRequestKind, ThreadErrorCode, ToolErrorCode } from "./events";
import type { CallId } from "./ids";
import { canonicalJson, type JsonObject } from "./json";
import type { ActiveCall, ThreadState } from "./state";
import { nextListing } from "./mcp-reduce";

/** What a tool declares about itself. Core reads these facts, never a tool's name. */
export type ToolFacts = {
  /** act: run our code; ask_human: a question to a human; finish: end the thread with `args.message`. */
  readonly intent: "act" | "ask_human" | "finish" | "delegate";
  /** Safe to run again after a crash left its outcome unknown. */
  readonly idempotent: boolean;
  /** Approval policy, evaluated against the exact arguments of the call. */
  readonly needsApproval: (args: JsonObject) => boolean;
  /** For delegates: how many children a thread may launch (fan-out limit). */
  readonly maxChildren?: number;
};

export type ToolCatalog = (toolName: string) => ToolFacts | undefined;

/** After this many errors in a row the thread asks a human instead of looping (Factor 9). */
export const MAX_CONSECUTIVE_ERRORS = 3;

/**
 * The next step of a thread (Factor 8, own your control flow). Pure: the runtime
 * performs the step and appends its outcome, then asks again.
 */
export type Step =
  | { readonly kind: "wait"; readonly reason: "terminal" | "paused" | "human" | "idle" | "agent" | "model_retry" | "mcp_retry" | "tool_retry" }
  /** List one MCP server's tools into the log (invariant 12); `attempt` > 1 after it was unreachable. */
  | { readonly kind: "list_tools"; readonly server: string; readonly attempt: number }
  | { readonly kind: "call_model" }
  | { readonly kind: "run_tool"; readonly call: ActiveCall; readonly attempt: number }
  | { readonly kind: "finish"; readonly call: ActiveCall; readonly message: string }
  | {
      readonly kind: "ask_human";
      readonly request: {
        readonly kind: HumanRequestKind;
        readonly reason: "model_asked" | "approval_policy" | "repeated_errors" | "context_over_budget";
        readonly message: string;
        readonly call?: ActiveCall;
      };
    }
  | { readonly kind: "fail_call"; readonly call: ActiveCall; readonly code: ToolErrorCode; readonly message: string }
  | { readonly kind: "fail_thread"; readonly code: ThreadErrorCode; readonly message: string }
  /** Hand the call to a child thread of another agent (Factor 10). */
  | { readonly kind: "delegate"; readonly call: ActiveCall }
  /** Log a call the runtime makes itself (a pre-fetch); it then runs like any decided call. */
  | { readonly kind: "plan_call"; readonly call: PlannedCall; readonly by: "prefetch" };

/** A tool call an agent declares to run before the first model call (Factor 13). */
export type PlannedCall = { readonly callId: CallId; readonly tool: string; readonly args: JsonObject };

/** What an agent plans around the model; optional, so callers without a plan are unchanged. */
export type AgentPlan = {
  /** Run in order before the first model call; their results are in the first context. */
  readonly prefetch?: readonly { readonly tool: string; readonly args: JsonObject }[];
  /** MCP servers configured now, by name: the first step lists each one (invariant 12). */
  readonly mcpServers?: readonly string[];
};

/** Deterministic ids, so a replay or a fork names each pre-fetched call the same way. */
export function prefetchCallId(index: number): CallId {
  return `prefetch-${index + 1}` as CallId;
}

/**
 * `now` (epoch ms, from the runtime's clock) matters only to a model retry wait: without
 * it, a thread inside its backoff waits.
 */
export function next(state: ThreadState, catalog: ToolCatalog, plan: AgentPlan = {}, now?: number): Step {
  if (state.escalationExpired && !state.end) {
    return {
      kind: "fail_thread",
      code: "escalation_timed_out",
      message: `Stopped after ${state.consecutiveErrors} errors in a row; nobody answered the escalation in time.`,
    };
  }
  if (state.timeoutFailure && !state.end) {
    return {
      kind: "fail_thread",
      code: "human_timeout",
      message: `Nobody answered request ${state.timeoutFailure} before its deadline, and its policy is to fail.`,
    };
  }
  if (state.end) return { kind: "wait", reason: "terminal" };
  if (state.paused) return { kind: "wait", reason: "paused" };

  for (const call of state.calls) {
    if (call.phase.kind === "decided" && state.needsModel && call.by !== "prefetch") {
      // Input arrived while the model was deciding ("stop, not production!"): the
      // decision was made without it, so set it aside and decide again.
      return {
        kind: "fail_call",
        call,
        code: "superseded",
        message: `New input arrived while ${call.tool} was being decided; it was not run. Decide again with the new input.`,
      };
    }
    const step = stepForCall(state, call, catalog, now);
    if (step) return step;
  }

  const listing = nextListing(state, plan.mcpServers, now);
  if (listing) return listing;

  const prefetch = nextPrefetch(state, plan);
  if (prefetch) return prefetch;

  if (state.consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
    if (state.pending.some((r) => r.reason === "repeated_errors")) return { kind: "wait", reason: "human" };
    return {
      kind: "ask_human",
      request: {
        kind: "input",
        reason: "repeated_errors",
        message:
          `The agent hit ${state.consecutiveErrors} errors in a row` +
          (state.lastError ? ` (last: ${state.lastError.code}: ${state.lastError.message})` : "") +
          ". Reply with guidance to continue.",
      },
    };
  }
  // What must stay in the context does not fit its budget: a human has it (see effects.ts).
  if (state.needsModel && state.pending.some((r) => r.reason === "context_over_budget")) return { kind: "wait", reason: "human" };
  if (state.needsModel && state.modelRetryAt && (now === undefined || now < Date.parse(state.modelRetryAt))) {
    return { kind: "wait", reason: "model_retry" };
  }
  if (state.needsModel) return { kind: "call_model" };
  if (state.pending.length > 0) return { kind: "wait", reason: "human" };
  return { kind: "wait", reason: state.calls.some((c) => c.phase.kind === "delegated") ? "agent" : "idle" };
}

/**
 * Factor 13: before the model's first turn, plan the agent's pre-fetch calls one at a
 * time (each runs, and its outcome is logged, before the next is planned). A failing
 * pre-fetch is an ordinary tool error the model sees. Once the model has been called,
 * nothing more is pre-fetched, even if the agent's plan changed since.
 */
function nextPrefetch(state: ThreadState, plan: AgentPlan): Step | undefined {
  const done = state.prefetched ?? 0;
  const wanted = plan.prefetch?.[done];
  if (!wanted || state.modelTurns > 0) return undefined;
  return { kind: "plan_call", call: { callId: prefetchCallId(done), tool: wanted.tool, args: wanted.args }, by: "prefetch" };
}

function stepForCall(state: ThreadState, call: ActiveCall, catalog: ToolCatalog, now: number | undefined): Step | undefined {
  const facts = catalog(call.tool);
  switch (call.phase.kind) {
    case "retrying":
      // Its server was unreachable, so nothing ran: the next attempt is due at retryAt.
      if (now === undefined || now < Date.parse(call.phase.retryAt)) return { kind: "wait", reason: "tool_retry" };
      if (facts && !mayRun(call, facts)) return { kind: "fail_call", call, code: "approval_missing", message: `${call.tool} needs a human's approval of these exact arguments.` };
      return { kind: "run_tool", call, attempt: call.phase.attempt + 1 };
    case "awaiting_approval":
    case "delegated":
      return undefined;
    case "started":
      // A crash left this call without an outcome (invariant 3): never run twice silently.
      // A re-run is a new run, so it needs the same approval as the first (invariant 5).
      if (facts?.idempotent && mayRun(call, facts)) return { kind: "run_tool", call, attempt: call.phase.attempt + 1 };
      return {
        kind: "fail_call",
        call,
        code: "outcome_unknown",
        message: `The runtime restarted while ${call.tool} was running; it may or may not have taken effect. It was not re-run. Check before retrying.`,
      };
    case "approved":
      // The approval must cover exactly these arguments (invariant 5), not just this call id.
      if (facts && !mayRun(call, facts)) {
        return { kind: "fail_call", call, code: "approval_missing", message: `${call.tool} was approved with other arguments; it was not run.` };
      }
      return { kind: "run_tool", call, attempt: 1 };
    case "decided":
      if (!facts) {
        return { kind: "fail_call", call, code: "unknown_tool", message: `No tool named ${call.tool}.` };
      }
      switch (facts.intent) {
        case "finish":
          return { kind: "finish", call, message: messageArg(call.args) };
        case "ask_human":
          return {
            kind: "ask_human",
            request: { kind: "input", reason: "model_asked", message: messageArg(call.args), call },
          };
        case "act":
          if (facts.needsApproval(call.args)) {
            return {
              kind: "ask_human",
              request: {
                kind: "approval",
                reason: "approval_policy",
                message: `Approve ${call.tool} with ${canonicalJson(call.args)}?`,
                call,
              },
            };
          }
          return { kind: "run_tool", call, attempt: 1 };
        case "delegate": {
          const refusal = delegationRefusal(state, call, facts.maxChildren ?? DEFAULT_MAX_CHILDREN);
          return refusal ? { kind: "fail_call", call, ...refusal } : { kind: "delegate", call };
        }
      }
  }
}

/**
 * Invariant 5 as a predicate: a call may run only if its tool needs no approval for
 * these arguments, or a human approved exactly these arguments for exactly this call.
 * The executor checks it again right before running, whatever `next` said.
 */
export function mayRun(call: ActiveCall, facts: ToolFacts): boolean {
  if (!facts.needsApproval(call.args)) return true;
  const approved = "approvedArgs" in call.phase ? call.phase.approvedArgs : undefined;
  return approved !== undefined && canonicalJson(approved) === canonicalJson(call.args);
}

function messageArg(args: JsonObject): string {
  const message = args["message"];
  return typeof message === "string" ? message : canonicalJson(args);
}
