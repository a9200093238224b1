import { z } from "zod";
import type { AgentDefinition, AgentRegistry } from "../../agents";
import {
  CallId,
  ChildEndStatus,
  childrenToCancel,
  decideChildReport,
  decideChildTimeout,
  delegatedCalls,
  reportForParent,
  ThreadId,
  type ActiveCall,
  type ChildReport,
  type ThreadState,
  type ThreadView,
} from "../../core";
import { sha256Hex } from "../../hmac";
import { threadStub } from "../thread-stub";
import type { DuePart, ThreadHost } from "./host";
import type { Result } from "../thread-rpc";

/** What delegation needs from its thread object; passed in, not reached for. */
export type DelegationHost = ThreadHost & { readonly agents: AgentRegistry };

/** A child's report crosses an object boundary: parsed again on arrival. */
export const ChildReportSchema = z.object({
  callId: CallId,
  childThreadId: ThreadId,
  agent: z.string().max(40),
  status: ChildEndStatus,
  message: z.string().max(100_000),
  code: z.string().max(100).optional(),
});

/** Retries of launches, cancellations and reports that failed on the wire. */
export const DELEGATION_RETRY_MS = 30_000;

/** The child's thread id, derived from the parent's id and the call: a relaunch after a crash finds the same child. */
export async function childThreadId(parent: string, callId: string, agent: string): Promise<ThreadId> {
  const hex = await sha256Hex(`${parent}\n${callId}`);
  return ThreadId.parse(`${agent.slice(0, 30)}-${hex.slice(0, 32)}`);
}

/**
 * Factor 10 in the runtime. Parent side: log the delegation, launch the child in its
 * own Durable Object, take its report as the call's outcome exactly once, time it out,
 * cancel children when the parent ends. Child side: report the end to the parent,
 * at least once, until the parent acknowledges (then `parent_notified` is logged).
 * Every retry is due at a time the thread's one wake-up reads (see core/timers.ts), and
 * every wake re-derives what is still owed from the log.
 */
export class Delegation {
  #busy: Promise<void> | undefined;

  constructor(private readonly host: DelegationHost) {}

  /** Resolves when no background launch, cancel or report is in flight. */
  get busy(): Promise<void> | undefined {
    return this.#busy;
  }

  /** The timed obligations it owns (see due-work.ts): child deadlines, and retries of launches, cancellations and reports. */
  readonly duePart: DuePart = {
    kinds: ["agent_deadline", "report_to_parent", "launch_children", "cancel_children"],
    due: (obligation) => {
      if (obligation.kind === "agent_deadline") this.deadlineDue(obligation.callId);
      else if (obligation.kind === "report_to_parent" || obligation.kind === "launch_children" || obligation.kind === "cancel_children") this.retry(obligation.kind);
    },
    start: () => this.resume(),
    settled: () => this.busy,
  };

  /** The step: hand a decided delegate call to a child thread. */
  async delegate(state: ThreadState, agent: AgentDefinition, call: ActiveCall): Promise<void> {
    const { host } = this;
    const tool = agent.tool(call.tool);
    const fail = (code: "unknown_tool" | "invalid_arguments", message: string) =>
      void host.append({ type: "tool_failed", data: { callId: call.callId, tool: call.tool, code, message }, key: `outcome:${call.callId}` });
    if (!tool || tool.intent !== "delegate") return fail("unknown_tool", `No delegate named ${call.tool}.`);
    if (!host.agents.has(tool.agent)) return fail("unknown_tool", `Agent ${tool.agent} is not deployed.`);
    const parsed = tool.input.safeParse(call.args);
    if (!parsed.success) return fail("invalid_arguments", parsed.error.issues.map((i) => i.message).join("; "));

    const childId = await childThreadId(state.id, call.callId, tool.agent);
    const deadline = new Date(host.now() + tool.timeoutSeconds * 1000).toISOString();
    // The deadline is in the event: appending it re-arms the thread's one wake-up (invariant 9).
    // Re-check after the awaits: a cancel or new input may have landed (then the loop re-reads the state).
    const current = host.log.state?.calls.find((c) => c.callId === call.callId);
    if (!current || current.phase.kind !== "decided" || host.log.state?.end) return;
    host.append({
      type: "agent_delegated",
      data: { callId: call.callId, tool: call.tool, agent: tool.agent, childThreadId: childId, depth: (state.depth ?? 0) + 1, deadline },
      key: `delegate:${call.callId}`,
    });
    await this.launchChildren();
  }

  /** A child's report as it arrived over RPC: parsed, then accepted exactly once. */
  reported(report: unknown): Result<{ accepted: boolean; duplicate: boolean }> {
    const parsed = ChildReportSchema.safeParse(report);
    if (!parsed.success) return { ok: false, rejection: { status: 400, code: "invalid_report", message: parsed.error.issues.map((i) => i.message).join("; ") } };
    return { ok: true, value: this.accept(parsed.data) };
  }

  /** A child's report arrives (RPC). Duplicates and late reports append nothing new. */
  accept(report: ChildReport): { accepted: boolean; duplicate: boolean } {
    const state = this.host.log.state;
    if (!state) return { accepted: false, duplicate: false };
    const decision = decideChildReport(state, report);
    if (!decision.event) return { accepted: false, duplicate: true };
    this.host.append(decision.event, { kind: "runtime", detail: { childThreadId: report.childThreadId } });
    if (decision.accepted) this.host.kick();
    return { accepted: decision.accepted, duplicate: false };
  }

  /** Every wake and every end: continue whatever the log says is still owed. */
  resume(): void {
    const state = this.host.log.state;
    if (!state) return;
    if (!state.end && delegatedCalls(state).length > 0) this.background(() => this.launchChildren());
    if (state.end && reportForParent(state)) this.background(() => this.reportToParent());
    if (childrenToCancel(state).length > 0) this.background(() => this.cancelChildren());
  }

  /** Called once when this thread reaches a terminal state. */
  ended(): void {
    this.resume();
  }

  /** A wake: a delegated call's deadline passed. At-least-once: the log decides again. */
  deadlineDue(callId: string): void {
    this.background(() => this.deadline(callId));
  }

  /** A wake: a retry of a call that failed on the wire is due. */
  retry(kind: "report_to_parent" | "launch_children" | "cancel_children"): void {
    switch (kind) {
      case "report_to_parent":
        return this.background(() => this.reportToParent());
      case "launch_children":
        return this.background(() => this.launchChildren());
      case "cancel_children":
        return this.background(() => this.cancelChildren());
    }
  }

  /** Running children show their own live status (waiting_for_human, ...); the parent's log knows only "running". */
  async withChildStatus(view: ThreadView): Promise<ThreadView> {
    if (!view.children) return view;
    const children = await Promise.all(
      view.children.map(async (child) => {
        if (child.status !== "running") return child;
        const live = await threadStub(this.host.env, child.threadId as ThreadId)
          .thread()
          .catch(() => null);
        return live ? { ...child, status: live.status } : child;
      }),
    );
    return { ...view, children };
  }

  // ---- parent side ----

  /** Launches the child of every waiting call. Idempotent: the child's id is derived, so a repeat finds it. */
  private async launchChildren(): Promise<void> {
    const { host } = this;
    const state = host.log.state;
    const agent = state && host.agents.get(state.agent);
    if (!state || !agent || state.end) return;
    let failed = false;
    for (const call of delegatedCalls(state)) {
      const tool = agent.tool(call.tool);
      const parsed = tool?.intent === "delegate" ? tool.input.safeParse(call.args) : undefined;
      if (!tool || tool.intent !== "delegate" || !parsed?.success) continue;
      try {
        const result = await threadStub(host.env, call.phase.childThreadId).launch(
          {
            threadId: call.phase.childThreadId,
            agent: call.phase.agent,
            message: tool.message(parsed.data),
            parent: { threadId: state.id, callId: call.callId },
            depth: (state.depth ?? 0) + 1,
          },
          { kind: "runtime", detail: { parentThreadId: state.id, callId: call.callId } },
        );
        if (!result.ok) {
          // Only a foreign thread squatting on the derived id gets here: the call cannot be served.
          this.accept({ callId: call.callId, childThreadId: call.phase.childThreadId, agent: call.phase.agent, status: "failed", code: result.rejection.code, message: result.rejection.message });
        }
      } catch (error) {
        console.error(`launching child ${call.phase.childThreadId} failed; retrying`, error);
        failed = true;
      }
    }
    host.retryAt("launch_children", failed ? host.now() + DELEGATION_RETRY_MS : undefined);
  }

  /** A delegated call's deadline: take the child's end if it has one, else time out and cancel it. */
  private async deadline(callId: string): Promise<void> {
    const { host } = this;
    const state = host.log.state;
    const decision = state && decideChildTimeout(state, callId, host.now());
    if (!state || !decision) return; // answered, or the thread ended: nothing to do
    const call = delegatedCalls(state).find((c) => c.callId === callId);
    if (!call) return;
    if (decision === "not_due") return; // woke early: the re-arm after this wake waits again
    // The child may have ended with its report still in flight: its own end beats a timeout.
    const child = await threadStub(host.env, call.phase.childThreadId)
      .thread()
      .catch(() => null);
    if (child && (child.status === "done" || child.status === "failed" || child.status === "cancelled")) {
      const message = child.status === "done" ? child.result?.message : child.error?.message;
      this.accept({
        callId: call.callId,
        childThreadId: call.phase.childThreadId,
        agent: call.phase.agent,
        status: child.status,
        message: message ?? child.status,
        ...(child.error ? { code: child.error.code } : {}),
      });
      return;
    }
    // Re-read after the await: the report may have landed meanwhile; the decision is made again.
    const now = host.log.state && decideChildTimeout(host.log.state, callId, host.now());
    if (!now || now === "not_due") return;
    host.append(now, { kind: "timer" });
    host.kick();
    await this.cancelChildren();
  }

  /** Cancels every child this thread ended or gave up on. Retried by a timer until each call went through. */
  private async cancelChildren(): Promise<void> {
    const { host } = this;
    const state = host.log.state;
    if (!state) return;
    let failed = false;
    for (const child of childrenToCancel(state)) {
      const reason = state.end ? `parent thread ${state.id} is ${state.end.status}` : `parent thread ${state.id} stopped waiting (deadline ${child.deadline})`;
      try {
        // A child that already ended answers thread_closed: that is as good as cancelled; its report is on its way.
        await threadStub(host.env, child.threadId).cancel(reason);
      } catch (error) {
        console.error(`cancelling child ${child.threadId} failed; retrying`, error);
        failed = true;
      }
    }
    host.retryAt("cancel_children", failed ? host.now() + DELEGATION_RETRY_MS : undefined);
  }

  // ---- child side ----

  /** Tells the parent how this thread ended. At least once: the retry is armed before the call and cleared after the ack. */
  private async reportToParent(): Promise<void> {
    const { host } = this;
    const state = host.log.state;
    const report = state && reportForParent(state);
    if (!state?.parent || !report) return;
    host.retryAt("report_to_parent", host.now() + DELEGATION_RETRY_MS);
    try {
      const ack = await threadStub(host.env, state.parent.threadId).childReported(report);
      host.append(
        {
          type: "parent_notified",
          data: { threadId: state.parent.threadId, callId: state.parent.callId, status: report.status, accepted: ack.ok && ack.value.accepted },
          key: "parent_notified",
        },
        { kind: "runtime" },
      );
      host.retryAt("report_to_parent", undefined);
    } catch (error) {
      console.error(`reporting to parent ${state.parent.threadId} failed; the timer retries`, error);
    }
  }

  /** Background work runs one piece at a time; errors are logged, and timers or the next wake retry. */
  private background(work: () => Promise<void>): void {
    const run = (this.#busy ?? Promise.resolve()).then(work).catch((error) => console.error("delegation work failed", error));
    this.#busy = run;
    // Attached after assignment (see the common rules): clears only if nothing queued behind it.
    void run.finally(() => {
      if (this.#busy === run) this.#busy = undefined;
    });
  }
}
