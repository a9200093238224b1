import {
  decideResponse,
  type ClosedRequest,
  type Decision,
  type Event,
  type EventSource,
  type HumanAnswer,
  type Rejection,
  sameAnswer,
  threadView,
  type ThreadState,
  type ThreadView,
} from "../../core";
import { logLine } from "../../log";
import type { HumanRequests } from "../humans/human-requests";
import { variantForLaunch } from "../../agents/variants";
import { notConfigured } from "../../mcp/plan";
import type { AgentRegistry } from "../../agents";
import type { CommandResult, Launched, LaunchInput, Result } from "../thread-rpc";
import { closedHow, replayed } from "./command-results";
import type { ThreadHost } from "./host";
import { fullRejection, mustFill, threadCap } from "./thread-cap";
import { editCheck } from "../humans/approval-policy";

export type AdmissionHost = Pick<ThreadHost, "log" | "now" | "append" | "kick"> & {
  /** Read at each use: the caps may change under a live object (tests do). */
  env(): Env;
  readonly agents: AgentRegistry;
  readonly humans: HumanRequests;
  /** The thread as the API shows it (after launch). */
  view(): ThreadView;
};

export const notFound = (what: string): { ok: false; rejection: Rejection } => ({
  ok: false,
  rejection: { status: 404, code: "thread_not_found", message: `No thread ${what}.` },
});

/**
 * What lets outside input into the log: each command is decided by the pure core, a retry
 * under the same idempotency key gets its original (replay), and a full thread turns
 * input away (the caps, thread-cap.ts). Nothing is appended for a rejection.
 */
export class Admission {
  constructor(private readonly host: AdmissionHost) {}

  /** A new thread (or the existing one again: a launch is idempotent by its thread id, for one agent). */
  launch(input: LaunchInput, source?: EventSource): Result<Launched> {
    const { log } = this.host;
    const existing = log.state;
    if (existing) {
      if (existing.agent !== input.agent) {
        return {
          ok: false,
          rejection: {
            status: 409,
            code: "thread_exists",
            message: `Thread ${input.threadId} already exists for agent ${existing.agent}.`,
          },
        };
      }
      return { ok: true, value: { created: false, thread: threadView(existing) } };
    }
    const definition = this.host.agents.get(input.agent);
    const unconfigured = definition && notConfigured(definition, this.host.env());
    if (unconfigured) return { ok: false, rejection: unconfigured };
    const choice = definition ? variantForLaunch(definition, input.threadId, input.variant) : { ok: true as const };
    if (!choice.ok) return { ok: false, rejection: { status: 400, code: choice.code, message: choice.message } };
    this.host.append({
      type: "thread_launched",
      data: {
        threadId: input.threadId,
        agent: input.agent as ThreadState["agent"],
        message: input.message,
        ...(input.metadata ? { metadata: input.metadata } : {}),
        ...(input.humanTimeoutSeconds ? { humanTimeoutSeconds: input.humanTimeoutSeconds } : {}),
        ...(input.onHumanTimeout ? { onHumanTimeout: input.onHumanTimeout } : {}),
        ...(input.parent ? { parent: input.parent, depth: input.depth ?? 1 } : {}),
        ...(choice.variant ? { variant: choice.variant } : {}),
        ...(input.replyChannels?.length ? { replyChannels: [...input.replyChannels] } : {}),
        ...(input.by ? { by: input.by } : {}),
      },
      key: "launch",
      ...(source ? { source } : {}),
    });
    this.host.kick();
    return { ok: true, value: { created: true, thread: this.host.view() } };
  }

  command(decideFor: (state: ThreadState) => Decision, key?: string | undefined | "", source?: EventSource, capped = true): Result<CommandResult> {
    const { log } = this.host;
    const state = log.state;
    if (!state) return notFound("here");
    const decision = decideFor(state);
    // A retry finds its original first, even if that original has since closed the thread
    // (then there is no new event to compare, and the original stands) or filled it.
    const original = key ? log.store.byKey(key) : undefined;
    if (original) return this.replayed(original, decision.ok ? decision.event : original);
    const full = capped ? this.full(state) : undefined;
    if (full) return full;
    return this.apply(decision, key, source);
  }

  /** A human's answer: like a command, but a deadline that passed without its timer is settled first. */
  async respond(answer: HumanAnswer, key?: string, source?: EventSource): Promise<Result<CommandResult>> {
    const { log, humans, now } = this.host;
    const state = log.state;
    if (!state) return notFound("here");
    // A retry of an answer that was taken gets its original, even once the thread is full.
    const original = key ? log.store.byKey(`response:${key}`) : undefined;
    if (original) return this.replayedAnswer(original, answer);
    const full = this.full(state);
    if (full) return full;
    const check = editCheck(this.host.agents.get(state.agent), this.host.env());
    const decision = decideResponse(state, answer, new Date(now()).toISOString(), this.history(answer.requestId), check);
    if (!decision.ok && "expire" in decision) {
      // The deadline passed but its timer has not fired yet: the log settles the race now.
      const request = state.pending.find((r) => r.requestId === decision.expire);
      if (request) await humans.expire(request);
      const extended = log.state?.pending.find((r) => r.requestId === decision.expire);
      // An escalation extended the deadline: this answer is in time after all.
      if (extended) return this.respond(answer, key, source);
      return { ok: false as const, rejection: decision.rejection };
    }
    if (!decision.ok && "record" in decision) {
      // Kept for the audit trail (who tried to answer), never acted on. Keyed apart from
      // answers, so a later allowed answer under the same key is not mistaken for a replay,
      // while a replay of this very refusal (a Slack click sent twice) is recorded once.
      this.host.append({ ...decision.record, ...(key ? { key: `refused:${key}` } : {}), ...(source ? { source } : {}) });
      return { ok: false as const, rejection: decision.rejection };
    }
    return this.apply(decision, key && `response:${key}`, source);
  }

  /** What closed a request that is no longer open, as the log says. */
  history(requestId: string): ClosedRequest | undefined {
    return closedHow(this.host.log.store, requestId);
  }

  /**
   * Records once that the thread is full and escalates it: thread_filled puts the escalation
   * in the outbox (every channel, with ESCALATION_CONTACT), as a missed deadline's escalation
   * does. Exactly once: the check and the append run with no await between them, the event
   * has a fixed idempotency key, and the reducer ignores a second one.
   */
  fill(): void {
    const { log, humans } = this.host;
    const state = log.state;
    const { cap, inputLimit } = threadCap(this.host.env());
    if (!state || !mustFill(state, inputLimit)) return;
    this.host.append({ type: "thread_filled", data: { cap, notify: humans.channelNames() }, key: "thread_filled" }, { kind: "runtime" });
    logLine("thread_full", { threadId: state.id, agent: state.agent, cap, seq: state.lastSeq + 1 }, "warn");
    humans.deliver();
  }

  /** Whether this state has reached the input limit and must record that it is full. */
  mustFill(state: ThreadState): boolean {
    return mustFill(state, threadCap(this.host.env()).inputLimit);
  }

  private apply(decision: Decision, key?: string | undefined | "", source?: EventSource): Result<CommandResult> {
    if (!decision.ok) return { ok: false as const, rejection: decision.rejection };
    const appended = this.host.append({ ...decision.event, ...(key ? { key } : {}), ...(source ? { source } : {}) });
    this.host.kick();
    return { ok: true as const, value: { thread: this.host.view(), event: appended.event, duplicate: appended.duplicate } };
  }

  /** A retried answer (same key): the logged one if it is the same answer, else 409 idempotency_key_reused. */
  private replayedAnswer(original: Event, answer: HumanAnswer): Result<CommandResult> {
    if (original.type === "human_responded" && sameAnswer(original.data, answer)) return { ok: true, value: { thread: this.host.view(), event: original, duplicate: true } };
    return this.replayed(original, { type: "retry", data: answer });
  }

  private replayed(original: Event, attempt: { type: string; data: unknown }): Result<CommandResult> {
    return replayed(original, attempt, this.host.view());
  }

  /**
   * Per-thread cap on events (MAX_THREAD_EVENTS, see thread-cap.ts): outside input past the
   * input limit gets 409 thread_full; the thread's own steps and cancel still run. A thread
   * that filled up before it could record so (an older log, a lowered cap) records it now.
   */
  private full(state: ThreadState): { ok: false; rejection: Rejection } | undefined {
    const { cap, inputLimit } = threadCap(this.host.env());
    const rejection = fullRejection(state, cap, inputLimit);
    if (!rejection) return undefined;
    this.fill();
    return { ok: false, rejection };
  }
}
