import { Agent } from "agents";
import type { AgentDefinition, AgentRegistry } from "../agents";
import { promptVersion, renderSystemPrompt } from "../agents/prompt";
import {
  buildModelInput,
  CallId,
  decideCancel,
  decideMessage,
  decidePause,
  decideResponse,
  decideResume,
  next,
  mayRun,
  RequestId,
  renderThread,
  statusOf,
  threadView,
  type ActiveCall,
  type ClosedRequest,
  type Decision,
  type Event,
  type EventSource,
  type HumanAnswer,
  type JsonObject,
  type ModelInput,
  type NewEvent,
  type Rejection,
  type Step,
  type ThreadId,
  type ThreadState,
  type ThreadView,
  type OutboxItem,
  type PendingRequest,
  type PendingView,
  pendingView,
} from "../core";
import { activeChannels, MAX_NOTIFICATION_ATTEMPTS, retryDelayMs, type Notification } from "../channels";
import { linkUrl, signLink } from "../channels/links";
import { decide } from "../model/decide";
import { modelConfigFrom } from "../model/config";
import type { Appended } from "./event-store";
import { indexShard } from "./thread-index";
import { ThreadLog } from "./thread-log";
import { TimerPayload } from "./timers";
import { runTool } from "./tool-runner";

/** What the runtime is built from; passed in, never read from ambient globals. */
export type RuntimeDeps = {
  readonly agents: AgentRegistry;
  /** Outbound HTTP for the model and for tools. Tests pass a scripted OpenAI-compatible server. */
  readonly fetch?: typeof fetch;
  /** The clock, in epoch ms. */
  readonly now?: () => number;
};

export type LaunchInput = {
  readonly threadId: ThreadId;
  readonly agent: string;
  readonly message: string;
  readonly metadata?: JsonObject;
  readonly humanTimeoutSeconds?: number;
};

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejection: Rejection };

const notFound = (what: string): { ok: false; rejection: Rejection } => ({
  ok: false,
  rejection: { status: 404, code: "thread_not_found", message: `No thread ${what}.` },
});

/**
 * Builds the thread Durable Object class for a set of agents. The object is a thin
 * shell: it appends events (ThreadLog), asks the pure core what to do next, performs
 * that one effect, and appends the outcome. Every loop iteration re-reads the state,
 * so pause, cancel or new input land at the next step boundary.
 */
export function threadObject(deps: RuntimeDeps) {
  const now = deps.now ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString();
  const outbound = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  return class ThreadObject extends Agent<Env> {
    #log: ThreadLog | undefined;
    #driving: Promise<void> | undefined;
    #again = false;
    #indexSync: Promise<void> = Promise.resolve();
    #delivering: Promise<void> | undefined;

    get log(): ThreadLog {
      this.#log ??= new ThreadLog(this.ctx.storage.sql);
      return this.#log;
    }

    /**
     * Runs on every wake: continue unfinished work and deliver due notifications.
     * Nothing here awaits a schedule: scheduling waits for startup, and startup waits
     * for this method. Deadline timers are armed before their request is appended
     * (see askHuman), so no wake ever needs to re-arm one.
     */
    override async onStart(): Promise<void> {
      if (!this.log.state) return;
      this.kick();
      this.deliverOutbox();
    }

    private async ready(): Promise<void> {
      await this.lifecycle.start();
    }

    // ---- RPC: commands (each validated by the pure core before anything is appended) ----

    async launch(input: LaunchInput, source?: EventSource): Promise<Result<{ created: boolean; thread: ThreadView }>> {
      await this.ready();
      const existing = this.log.state;
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
      this.append({
        type: "thread_launched",
        data: {
          threadId: input.threadId,
          agent: input.agent as ThreadState["agent"],
          message: input.message,
          ...(input.metadata ? { metadata: input.metadata } : {}),
          ...(input.humanTimeoutSeconds ? { humanTimeoutSeconds: input.humanTimeoutSeconds } : {}),
        },
        key: "launch",
        ...(source ? { source } : {}),
      });
      this.kick();
      return { ok: true, value: { created: true, thread: this.view() } };
    }

    async message(text: string, key?: string, source?: EventSource) {
      return this.command((state) => decideMessage(state, text), key && `message:${key}`, source);
    }

    async respond(answer: HumanAnswer, key?: string, source?: EventSource): Promise<Result<{ thread: ThreadView; event: Event; duplicate: boolean }>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      if (key) {
        const duplicate = this.duplicateOf(`response:${key}`, { type: "human_responded", data: answer });
        if (duplicate) return duplicate;
      }
      const decision = decideResponse(state, answer, iso(), this.history(answer.requestId));
      if (!decision.ok && "expire" in decision) {
        // The deadline passed but its timer has not fired yet: the log settles the race now.
        const request = state.pending.find((r) => r.requestId === decision.expire);
        if (request) await this.expire(request);
        const extended = this.log.state?.pending.find((r) => r.requestId === decision.expire);
        // An escalation extended the deadline: this answer is in time after all.
        if (extended) return this.respond(answer, key, source);
        return { ok: false as const, rejection: decision.rejection };
      }
      return this.apply(decision, key && `response:${key}`, source);
    }

    async pause(reason?: string) {
      return this.command((state) => decidePause(state, reason));
    }

    async resume() {
      return this.command((state) => decideResume(state));
    }

    async cancel(reason?: string) {
      const result = await this.command((state) => decideCancel(state, reason));
      if (result.ok) await this.cancelTimers();
      return result;
    }

    // ---- RPC: queries ----

    async thread(): Promise<ThreadView | null> {
      await this.ready();
      if (!this.log.state) return null;
      const view = this.view();
      const withLinks = await Promise.all(view.pendingRequests.map((request) => this.withLink(request)));
      return { ...view, pendingRequests: withLinks, ...(withLinks[0] ? { pending: withLinks[0] } : {}) };
    }

    async events(after: number, limit: number): Promise<{ events: Event[]; next?: number }> {
      await this.ready();
      const events = this.log.events(after, limit + 1);
      const page = events.slice(0, limit);
      const last = page[page.length - 1];
      return events.length > limit && last ? { events: page, next: last.seq } : { events: page };
    }

    /** The exact model input the next step would send (Factor 3, inspectable). */
    async context(): Promise<Result<ModelInput>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const agent = deps.agents.get(state.agent);
      if (!agent) return { ok: false, rejection: { status: 409, code: "unknown_agent", message: `Agent ${state.agent} is no longer deployed.` } };
      return { ok: true, value: await this.modelInput(state, agent) };
    }

    /** Resolves once the step loop has nothing left to do: for tests, and for callers that want to wait. */
    async idle(): Promise<ThreadView | null> {
      await this.ready();
      while (this.#driving || this.#delivering) {
        await this.#driving;
        await this.#delivering;
      }
      await this.#indexSync;
      return this.log.state ? this.view() : null;
    }

    /** The one timer handler (see timers.ts). At-least-once: every branch re-checks the log. */
    async onTimer(payload: unknown): Promise<void> {
      await this.ready();
      const timer = TimerPayload.safeParse(payload);
      if (!timer.success) {
        console.error("ignoring malformed timer payload", JSON.stringify(payload));
        return;
      }
      switch (timer.data.type) {
        case "human_deadline": {
          const requestId = timer.data.requestId;
          const request = this.log.state?.pending.find((r) => r.requestId === requestId);
          if (!request) return; // answered, cancelled or already timed out: nothing to do
          if (now() < Date.parse(request.deadline)) {
            await this.armDeadline(request.requestId, request.deadline); // fired early: wait again
            return;
          }
          await this.expire(request);
          return;
        }
        case "notify":
          this.deliverOutbox();
          await this.#delivering;
          return;
        case "sync_index":
          this.syncIndex();
          await this.#indexSync;
          return;
        case "drive":
          this.kick();
          return;
      }
    }

    // ---- internals ----

    private view(): ThreadView {
      const state = this.log.state;
      if (!state) throw new Error("view() before launch");
      return threadView(state);
    }

    private async command(
      decideFor: (state: ThreadState) => Decision,
      key?: string | undefined | "",
      source?: EventSource,
    ): Promise<Result<{ thread: ThreadView; event: Event; duplicate: boolean }>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const decision = decideFor(state);
      // A retry finds its original first, even if that original has since closed the thread.
      if (key && this.log.store.byKey(key)) {
        const original = decision.ok ? decision.event : this.log.store.byKey(key);
        const duplicate = original && this.duplicateOf(key, original);
        if (duplicate) return duplicate;
      }
      return this.apply(decision, key, source);
    }

    private apply(decision: Decision, key?: string | undefined | "", source?: EventSource) {
      if (!decision.ok) return { ok: false as const, rejection: decision.rejection };
      const appended = this.append({ ...decision.event, ...(key ? { key } : {}), ...(source ? { source } : {}) });
      this.kick();
      return { ok: true as const, value: { thread: this.view(), event: appended.event, duplicate: appended.duplicate } };
    }

    /** A repeated idempotency key returns the original result, or 409 if the payload differs. */
    private duplicateOf(key: string, attempt: { type: string; data: unknown }) {
      const original = this.log.store.byKey(key);
      if (!original) return undefined;
      if (original.type !== attempt.type || JSON.stringify(original.data) !== JSON.stringify(attempt.data)) {
        return {
          ok: false as const,
          rejection: {
            status: 409 as const,
            code: "idempotency_key_reused",
            message: "This Idempotency-Key was already used with a different request.",
          },
        };
      }
      return { ok: true as const, value: { thread: this.view(), event: original, duplicate: true } };
    }

    private history(requestId: string): ClosedRequest | undefined {
      const closings = this.log.store.closingsOf(requestId);
      const first = closings[0];
      if (first) return first.type === "human_timed_out" ? "timed_out" : "answered";
      return this.log.store.wasRequested(requestId) ? "withdrawn" : undefined;
    }

    private append(event: NewEvent, source?: EventSource): Appended {
      const before = this.log.state;
      const appended = this.log.append(source && !event.source ? { ...event, source } : event, iso());
      const after = this.log.state;
      if (!appended.duplicate && after && (!before || statusOf(before) !== statusOf(after))) this.syncIndex();
      return appended;
    }

    /** Starts the step loop unless it is running; a running loop re-reads state each step. */
    private kick(): void {
      if (this.#driving) {
        this.#again = true;
        return;
      }
      this.#driving = this.runLoop().finally(() => {
        this.#driving = undefined;
      });
    }

    private async runLoop(): Promise<void> {
      try {
        do {
          this.#again = false;
          await this.keepAliveWhile(() => this.drive());
        } while (this.#again);
      } catch (error) {
        // Storage or programming errors only: effects report their own failures as events.
        // After an abort this instance can no longer touch storage; the next one resumes from the log.
        console.error("step loop failed; retrying in 5 s", error);
        await this.schedule(5, "onTimer", { type: "drive" }, { idempotent: true }).catch(() => undefined);
      }
    }

    private async drive(): Promise<void> {
      for (;;) {
        const state = this.log.state;
        if (!state) return;
        const agent = deps.agents.get(state.agent);
        if (!agent) {
          if (!state.end) {
            this.append({ type: "thread_failed", data: { code: "unknown_agent", message: `Agent ${state.agent} is not deployed.` } });
          }
          return;
        }
        const step = next(state, agent.catalog);
        if (step.kind === "wait") return;
        await this.perform(step, state, agent);
        if (this.log.state?.lastSeq === state.lastSeq) {
          // Every step appends at least one event; if one did not, stop rather than spin.
          throw new Error(`step ${step.kind} appended nothing at seq ${state.lastSeq}`);
        }
      }
    }

    private async perform(step: Exclude<Step, { kind: "wait" }>, state: ThreadState, agent: AgentDefinition): Promise<void> {
      switch (step.kind) {
        case "call_model":
          return this.modelStep(state, agent);
        case "run_tool":
          return this.toolStep(state, agent, step.call, step.attempt);
        case "finish":
          this.append({ type: "thread_finished", data: { callId: step.call.callId, message: step.message }, key: `outcome:${step.call.callId}` });
          await this.cancelTimers();
          return;
        case "ask_human":
          return this.askHuman(state, agent, step.request);
        case "fail_call":
          this.append({
            type: "tool_failed",
            data: { callId: step.call.callId, tool: step.call.tool, code: step.code, message: step.message },
            key: `outcome:${step.call.callId}`,
          });
          return;
        case "fail_thread":
          this.append({ type: "thread_failed", data: { code: step.code, message: step.message } });
          await this.cancelTimers();
          return;
      }
    }

    private async modelStep(state: ThreadState, agent: AgentDefinition): Promise<void> {
      const config = modelConfigFrom(this.env);
      if (!config.ok) {
        this.append({ type: "thread_failed", data: { code: "model_not_configured", message: config.message } });
        return;
      }
      const input = await this.modelInput(state, agent);
      const callId = CallId.parse(`call_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`);
      const outcome = await decide({ input, agent, config: config.config, callId, fetch: outbound });
      this.append(outcome);
    }

    private async modelInput(state: ThreadState, agent: AgentDefinition): Promise<ModelInput> {
      const version = await promptVersion(agent.prompt.template);
      const launch = this.log.store.first();
      if (!launch) throw new Error("a launched thread has no first event");
      // Render from the log as it is now, after the await above.
      const current = this.log.state ?? state;
      return buildModelInput({
        systemPrompt: renderSystemPrompt(agent, current),
        promptVersion: version,
        thread: renderThread(launch, this.log.store.newestFirst()),
        tools: agent.toolSpecs,
        seenSeq: current.lastSeq,
      });
    }

    private async toolStep(state: ThreadState, agent: AgentDefinition, call: ActiveCall, attempt: number): Promise<void> {
      const tool = agent.tool(call.tool);
      const facts = agent.catalog(call.tool);
      const fail = (code: "unknown_tool" | "approval_missing", message: string) =>
        this.append({ type: "tool_failed", data: { callId: call.callId, tool: call.tool, code, message }, key: `outcome:${call.callId}` });
      if (!tool || tool.intent !== "act" || !facts) return void fail("unknown_tool", `No runnable tool named ${call.tool}.`);
      // Invariant 5, checked again at the last moment, whatever `next` decided.
      if (!mayRun(call, facts)) return void fail("approval_missing", `${call.tool} needs a human's approval of these exact arguments.`);
      this.append({
        type: "tool_started",
        data: { callId: call.callId, tool: call.tool, args: call.args, attempt },
        key: `start:${call.callId}:${attempt}`,
      });
      const outcome = await runTool(tool, call, { env: this.env, threadId: state.id, callId: call.callId, attempt, fetch: outbound }, now);
      this.append({ ...outcome, key: `outcome:${call.callId}` });
    }

    private async askHuman(state: ThreadState, agent: AgentDefinition, request: Extract<Step, { kind: "ask_human" }>["request"]) {
      const requestId = RequestId.parse(request.call ? `req_${request.call.callId}` : `req_esc_${state.lastSeq}`);
      const tool = request.call ? agent.tool(request.call.tool) : undefined;
      // Most specific wins: the thread's launch setting, then the tool's, then the agent's.
      const seconds = state.humanTimeoutSeconds ?? tool?.humanTimeoutSeconds ?? agent.humanTimeoutSeconds;
      const deadline = new Date(now() + seconds * 1000).toISOString();
      // Armed first: a crash right after leaves at worst a timer that finds nothing open.
      await this.armDeadline(requestId, deadline);
      this.append({
        type: "human_requested",
        data: {
          requestId,
          kind: request.kind,
          reason: request.reason,
          message: request.message,
          ...(request.call ? { call: { callId: request.call.callId, tool: request.call.tool, args: request.call.args } } : {}),
          deadline,
          // An unanswered escalation after repeated errors always fails the thread (see reduce).
          onTimeout: tool?.onHumanTimeout ?? agent.onHumanTimeout,
          notify: activeChannels(this.env, now).map((c) => c.name),
        },
        key: `request:${requestId}`,
      });
      this.deliverOutbox();
    }

    /** The deadline passed: escalate once if the policy says so, otherwise record the timeout. */
    private async expire(request: PendingRequest): Promise<void> {
      if (request.onTimeout === "escalate" && !request.escalated) {
        const extension = Date.parse(request.deadline) - Date.parse(request.requestedAt);
        const deadline = new Date(now() + extension).toISOString();
        this.append(
          {
            type: "human_escalated",
            data: { requestId: request.requestId, deadline, notify: activeChannels(this.env, now).map((c) => c.name) },
            key: `escalate:${request.requestId}`,
          },
          { kind: "timer" },
        );
        await this.armDeadline(request.requestId, deadline);
        this.deliverOutbox();
        return;
      }
      this.append({ type: "human_timed_out", data: { requestId: request.requestId }, key: `timeout:${request.requestId}` }, { kind: "timer" });
      this.kick();
    }

    /**
     * Sends every due notification in the outbox (derived from the log). Each attempt's
     * outcome is an event; failures are retried with backoff by a timer, then given up
     * on with a final notification_failed event. The request itself is never lost: the
     * API always shows it.
     */
    private deliverOutbox(): void {
      if (this.#delivering) return;
      // Cleared in a `.finally` attached after assignment: an async body that never awaits
      // would otherwise run its own `finally` before the assignment and leave it set forever.
      this.#delivering = this.deliverDue()
        .catch((error) => console.error("outbox delivery failed", error))
        .finally(() => {
          this.#delivering = undefined;
        });
    }

    private async deliverDue(): Promise<void> {
      for (;;) {
        const before = this.log.state?.lastSeq;
        const due = (this.log.state?.outbox ?? []).filter((item) => !item.retryAt || Date.parse(item.retryAt) <= now());
        if (due.length === 0) break;
        for (const item of due) await this.deliver(item);
        // Every attempt appends an outcome; if none did, stop rather than spin.
        if (this.log.state?.lastSeq === before) break;
      }
      const next = (this.log.state?.outbox ?? []).flatMap((item) => (item.retryAt ? [Date.parse(item.retryAt)] : []));
      if (next.length > 0) await this.schedule(new Date(Math.min(...next)), "onTimer", { type: "notify" }, { idempotent: true });
    }

    private async deliver(item: OutboxItem): Promise<void> {
      const state = this.log.state;
      const request = state?.pending.find((r) => r.requestId === item.requestId);
      const channel = activeChannels(this.env, now).find((c) => c.name === item.channel);
      const attempt = item.attempts + 1;
      const base = { requestId: item.requestId, channel: item.channel, purpose: item.purpose, attempt };
      if (!state || !request) return;
      if (!channel) {
        this.append({ type: "notification_failed", data: { ...base, message: `channel ${item.channel} is no longer configured` } });
        return;
      }
      const notification: Notification = {
        purpose: item.purpose,
        thread: { id: state.id, agent: state.agent },
        request: await this.withLink(pendingView(request)),
        ...(item.purpose === "escalation" && this.env.ESCALATION_CONTACT ? { escalationContact: this.env.ESCALATION_CONTACT } : {}),
      };
      const link = notification.request.link;
      try {
        await channel.send(link ? { ...notification, link } : notification, outbound);
        this.append({ type: "notification_sent", data: base, key: `notified:${item.requestId}:${item.channel}:${item.purpose}` });
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        const retryAt = attempt < MAX_NOTIFICATION_ATTEMPTS ? new Date(now() + retryDelayMs(attempt)).toISOString() : undefined;
        this.append({ type: "notification_failed", data: { ...base, message, ...(retryAt ? { retryAt } : {}) } });
      }
    }

    /** Adds the signed approval-page link, valid until the request's deadline. */
    private async withLink(request: PendingView): Promise<PendingView> {
      const secret = this.env.HUMAN_LINK_SECRET;
      const state = this.log.state;
      if (!secret || !state) return request;
      const exp = Math.ceil(Date.parse(request.deadline) / 1000);
      const token = await signLink(secret, { threadId: state.id, requestId: request.requestId, exp });
      return { ...request, link: linkUrl(this.env.PUBLIC_URL || "http://localhost:8787", token) };
    }

    private async armDeadline(requestId: string, deadline: string): Promise<void> {
      await this.schedule(new Date(deadline), "onTimer", { type: "human_deadline", requestId }, { idempotent: true });
    }

    private async cancelTimers(): Promise<void> {
      for (const schedule of await this.listSchedules()) {
        const payload = TimerPayload.safeParse(schedule.payload);
        if (payload.success && payload.data.type === "human_deadline") await this.cancelSchedule(schedule.id);
      }
    }

    /** Pushes the thread summary to its index shard; a failed push is retried by a timer. */
    private syncIndex(): void {
      const state = this.log.state;
      if (!state) return;
      const summary = {
        id: state.id,
        agent: state.agent,
        status: statusOf(state),
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        lastSeq: state.lastSeq,
      };
      this.#indexSync = this.#indexSync.then(async () => {
        try {
          await indexShard(this.env, state.id).upsert(summary);
        } catch (error) {
          console.error("thread index update failed; retrying in 10 s", error);
          await this.schedule(10, "onTimer", { type: "sync_index" }, { idempotent: true });
        }
      });
    }
  };
}

export type ThreadObjectClass = ReturnType<typeof threadObject>;
