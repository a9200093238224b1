import type { AgentDefinition } from "../../agents";
import { promptVersion, renderSystemPrompt } from "../../agents/prompt";
import { promptOfThread } from "../../agents/variants";
import { CallId, MAX_CONSECUTIVE_ERRORS, mayRun, modelRetryDelayMs, pinnedTool, RETRYABLE_MODEL_ERRORS, type ActiveCall, type EventSource, type NewEvent, type Step, type ThreadState } from "../../core";
import { decide, type ModelFailed } from "../../model/decide";
import { modelConfigFrom, withModelOverride } from "../../model/config";
import { contextInput, type ContextInput } from "../../model/context-input";
import { compact } from "../context/compaction";
import { contextOverBudget } from "../context/context-budget";
import { logSource } from "../context/context-source";
import type { Appended } from "../log/event-store";
import type { Delegation } from "./delegation";
import type { HumanRequests } from "../humans/human-requests";
import type { ThreadLog } from "../log/thread-log";
import { runTool } from "./tool-runner";
import { setting } from "../../settings";
import { mcpToolStep } from "../../mcp/call";
import { listServer } from "../../mcp/listing";
import { resolveServers } from "../../agents/mcp";
import { mcpSpecs, remoteChecks } from "../../mcp/tools";

/** What performing a step needs from its thread object; passed in, not reached for. */
export type EffectsHost = {
  readonly env: Env;
  readonly log: ThreadLog;
  readonly now: () => number;
  readonly fetch: typeof fetch;
  readonly humans: HumanRequests;
  readonly delegation: Delegation;
  append(event: NewEvent, source?: EventSource): Appended;
};

/**
 * Performs the one step `next` chose and appends its outcome (invariant 3): a model
 * call, a tool run (logged as started before it runs), a human request, or a pure
 * decision recorded as an event. Effects report their own failures as events.
 */
export async function perform(host: EffectsHost, step: Exclude<Step, { kind: "wait" }>, state: ThreadState, agent: AgentDefinition): Promise<void> {
  switch (step.kind) {
    case "call_model":
      return modelStep(host, state, agent);
    case "run_tool":
      return toolStep(host, state, agent, step.call, step.attempt);
    case "finish":
      host.append({ type: "thread_finished", data: { callId: step.call.callId, message: step.message }, key: `outcome:${step.call.callId}` });
      return;
    case "ask_human": {
      // Per-thread cap on open requests: past it the call fails as a tool error the model sees.
      const cap = setting(host.env, "MAX_OPEN_REQUESTS");
      const call = step.request.call;
      if (call && state.pending.length >= cap) {
        host.append({
          type: "tool_failed",
          data: { callId: call.callId, tool: call.tool, code: "too_many_open_requests", message: `This thread already has ${state.pending.length} open human requests (the cap is ${cap}); wait for answers before asking again.` },
          key: `outcome:${call.callId}`,
        });
        return;
      }
      return host.humans.ask(state, agent, step.request);
    }
    case "fail_call":
      host.append({
        type: "tool_failed",
        data: { callId: step.call.callId, tool: step.call.tool, code: step.code, message: step.message },
        key: `outcome:${step.call.callId}`,
      });
      return;
    case "fail_thread":
      host.append({ type: "thread_failed", data: { code: step.code, message: step.message } });
      return;
    case "delegate":
      return host.delegation.delegate(state, agent, step.call);
    case "list_tools": {
      // Invariant 12: the server's tools go into the log before the model first sees them.
      const server = resolveServers(agent.mcp, host.env).find((s) => s.name === step.server);
      host.append(await listServer(server, step.server, step.attempt, host.fetch, host.now));
      return;
    }
    case "plan_call":
      // Only the plan is logged here; the next step runs it like any decided call.
      host.append({ type: "call_planned", data: { ...step.call, by: step.by }, key: `plan:${step.call.callId}` });
      return;
  }
}

async function modelStep(host: EffectsHost, state: ThreadState, agent: AgentDefinition): Promise<void> {
  const configured = modelConfigFrom(host.env);
  if (!configured.ok) {
    host.append({ type: "thread_failed", data: { code: "model_not_configured", message: configured.message } });
    return;
  }
  // A fork may run this thread on another model; the model events then name it.
  const config = withModelOverride(configured.config, state.model);
  let context = await modelInput(host.log, state, agent, config.model);
  // Factor 3: a long enough run the budget left out is summarised once, as an event, then rendered again.
  if (context.ok && (await compact(host, agent, config, context.thread, context.counter))) context = await modelInput(host.log, state, agent, config.model);
  if (!context.ok) {
    const facts = { seenSeq: state.lastSeq, model: config.model, promptVersion: await promptVersion(promptOfThread(agent, state).template), latencyMs: 0 };
    host.append({ type: "model_failed", data: { code: context.code, message: context.message, ...facts } });
    return;
  }
  if (context.thread.overBudget) return host.humans.ask(state, agent, contextOverBudget(agent, context.input));
  const callId = CallId.parse(`call_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`);
  // The thread's pinned MCP tools are checked against their listed schemas, like ours against zod.
  const outcome = await decide({ input: context.input, agent, config, callId, fetch: host.fetch, remote: remoteChecks(state) });
  host.append(outcome.type === "model_failed" ? withRetryWait(host, outcome) : outcome);
}

/**
 * A retryable model error (429, 5xx, timeout, unreachable) waits before the next attempt:
 * exponential backoff with jitter, at least the endpoint's Retry-After (capped). The wait
 * is `retryAt` in the event, so the thread's one wake-up finds it in the log. The failure
 * that completes a streak escalates to a human instead (Factor 9), so it waits for nobody.
 */
function withRetryWait(host: EffectsHost, failed: ModelFailed): ModelFailed {
  const failures = (host.log.state?.consecutiveErrors ?? 0) + 1;
  if (!RETRYABLE_MODEL_ERRORS.has(failed.data.code) || failures >= MAX_CONSECUTIVE_ERRORS) return failed;
  // The jitter is the runtime's randomness; the event records its effect (retryAt), so a replay needs none.
  const delay = modelRetryDelayMs(failures, Math.random(), failed.data.retryAfterMs);
  return { ...failed, data: { ...failed.data, retryAt: new Date(host.now() + delay).toISOString() } };
}

/** Exactly what a model step sends, rendered from the log as it is now (or why the agent's context policy could not). */
export async function modelInput(log: ThreadLog, state: ThreadState, agent: AgentDefinition, model: string): Promise<ContextInput> {
  const version = await promptVersion(promptOfThread(agent, state).template);
  // Read after the await above: events may have landed meanwhile.
  const current = log.state ?? state;
  // The tools include the MCP tools this thread was offered, as pinned in its log (invariant 12).
  return contextInput({ agent, systemPrompt: renderSystemPrompt(agent, current), promptVersion: version, source: logSource(log), seenSeq: current.lastSeq, model, tools: [...agent.toolSpecs, ...mcpSpecs(current)] });
}

/** The model a thread's steps run on (a fork's override first); "" when none is configured, which counts with the fallback encoding. */
export function modelOf(env: Env, state: ThreadState): string {
  const configured = modelConfigFrom(env);
  return state.model ?? (configured.ok ? configured.config.model : "");
}

async function toolStep(host: EffectsHost, state: ThreadState, agent: AgentDefinition, call: ActiveCall, attempt: number): Promise<void> {
  const tool = agent.tool(call.tool);
  const pinned = tool ? undefined : pinnedTool(state, call.tool);
  if (pinned) return mcpToolStep(host, state, agent, call, attempt, pinned);
  const facts = agent.catalog(call.tool);
  const fail = (code: "unknown_tool" | "approval_missing", message: string) =>
    host.append({ type: "tool_failed", data: { callId: call.callId, tool: call.tool, code, message }, key: `outcome:${call.callId}` });
  if (!tool || tool.intent !== "act" || !facts) return void fail("unknown_tool", `No runnable tool named ${call.tool}.`);
  // Invariant 5, checked again at the last moment, whatever `next` decided.
  if (!mayRun(call, facts)) return void fail("approval_missing", `${call.tool} needs a human's approval of these exact arguments.`);
  host.append({
    type: "tool_started",
    data: { callId: call.callId, tool: call.tool, args: call.args, attempt },
    key: `start:${call.callId}:${attempt}`,
  });
  const outcome = await runTool(tool, call, { env: host.env, threadId: state.id, callId: call.callId, attempt, fetch: host.fetch }, host.now);
  host.append({ ...outcome, key: `outcome:${call.callId}` });
}
