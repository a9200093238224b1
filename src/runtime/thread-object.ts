import { Agent } from "agents";
import type { AgentRegistry } from "../agents";
import {
  decideCancel,
  decideMessage,
  decidePause,
  decideResponse,
  decideResume,
  next,
  statusOf,
  threadView,
  type CallId,
  type ClosedRequest,
  type Decision,
  type Event,
  type EventSource,
  type HumanAnswer,
  type JsonObject,
  type ModelInput,
  type NewEvent,
  type Principal,
  type Rejection,
  type ThreadId,
  type ThreadState,
  type ThreadView,
} from "../core";
import { sendWithBinding, type SendEmail } from "../channels/email/send";
import { applyEmailReply, type EmailReply } from "./email-replies";
import { emailHistory } from "./email-thread";
import type { Appended } from "./event-store";
import { modelInput, perform, positiveInt, type EffectsHost } from "./effects";

/** Default cap on events per thread (MAX_THREAD_EVENTS). */
export const DEFAULT_MAX_THREAD_EVENTS = 5000;
import { ChildReportSchema, Delegation } from "./delegation";
import { HumanRequests } from "./human-requests";
import { ThreadLog } from "./thread-log";
import { TimerPayload, timerControl } from "./timers";
import type { ThreadHost } from "./host";
import { IndexSync } from "./index-sync";
import { closedHow, replayed } from "./command-results";
import { variantForLaunch } from "../agents/variants";
import { checkFork, forkKey, type ForkInput } from "./fork";
import { countsChanged } from "./thread-index-stats";

/** What the runtime is built from; passed in, never read from ambient globals. */
export type RuntimeDeps = {
  readonly agents: AgentRegistry;
  /** Outbound HTTP for the model and for tools. Tests pass a scripted OpenAI-compatible server. */
  readonly fetch?: typeof fetch;
  /** The clock, in epoch ms. */
  readonly now?: () => number;
  /** Outbound email; defaults to the `EMAIL` send_email binding. Tests capture mail instead. */
  readonly sendEmail?: SendEmail;
};

export type LaunchInput = {
  readonly threadId: ThreadId;
  readonly agent: string;
  readonly message: string;
  readonly metadata?: JsonObject;
  readonly humanTimeoutSeconds?: number;
  /** Set when another thread delegated this one (Factor 10). */
  readonly parent?: { readonly threadId: ThreadId; readonly callId: CallId };
  readonly depth?: number;
  /** Pin a prompt variant; otherwise a weighted choice from the thread id (Factor 2). */
  readonly variant?: string;
  /** Channels that carry requests and the outcome back to whoever started the thread (e.g. "email"). */
  readonly replyChannels?: readonly string[];
};

/** What a command (message, response, pause, resume, cancel) answers with. */
export type CommandResult = { readonly thread: ThreadView; readonly event: Event; readonly duplicate: boolean };

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
    #host: ThreadHost | undefined;
    #index: IndexSync | undefined;
    #humans: HumanRequests | undefined;
    #effects: EffectsHost | undefined;
    #delegation: Delegation | undefined;

    get log(): ThreadLog {
      this.#log ??= new ThreadLog(this.ctx.storage.sql);
      return this.#log;
    }

    /** What the parts that do the work borrow from this object (see host.ts). */
    get host(): ThreadHost {
      this.#host ??= {
        env: this.env,
        log: this.log,
        now,
        append: (event, source) => this.append(event, source),
        kick: () => this.kick(),
        ...timerControl(this),
      };
      return this.#host;
    }

    get effects(): EffectsHost {
      this.#effects ??= { ...this.host, fetch: outbound, humans: this.humans, delegation: this.delegation };
      return this.#effects;
    }

    get delegation(): Delegation {
      this.#delegation ??= new Delegation({ ...this.host, agents: deps.agents });
      return this.#delegation;
    }

    get humans(): HumanRequests {
      this.#humans ??= new HumanRequests({ ...this.host, fetch: outbound, sendEmail: deps.sendEmail ?? sendWithBinding });
      return this.#humans;
    }

    get index(): IndexSync {
      this.#index ??= new IndexSync(this.env, now, (seconds) => this.schedule(seconds, "onTimer", { type: "sync_index" }, { idempotent: true }));
      return this.#index;
    }

    /**
     * Runs on every wake: continue unfinished work and deliver due notifications.
     * Nothing here awaits a schedule: scheduling waits for startup, and startup waits
     * for this method. Deadline timers are armed before their request is appended
     * (see HumanRequests.ask), so no wake ever needs to re-arm one.
     */
    override async onStart(): Promise<void> {
      if (!this.log.state) return;
      this.kick();
      this.humans.deliver();
      this.delegation.resume();
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
      const definition = deps.agents.get(input.agent);
      const choice = definition ? variantForLaunch(definition, input.threadId, input.variant) : { ok: true as const };
      if (!choice.ok) return { ok: false, rejection: { status: 400, code: choice.code, message: choice.message } };
      this.append({
        type: "thread_launched",
        data: {
          threadId: input.threadId,
          agent: input.agent as ThreadState["agent"],
          message: input.message,
          ...(input.metadata ? { metadata: input.metadata } : {}),
          ...(input.humanTimeoutSeconds ? { humanTimeoutSeconds: input.humanTimeoutSeconds } : {}),
          ...(input.parent ? { parent: input.parent, depth: input.depth ?? 1 } : {}),
          ...(choice.variant ? { variant: choice.variant } : {}),
          ...(input.replyChannels?.length ? { replyChannels: [...input.replyChannels] } : {}),
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

    async respond(answer: HumanAnswer, key?: string, source?: EventSource): Promise<Result<CommandResult>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const full = this.full(state);
      if (full) return full;
      const original = key ? this.log.store.byKey(`response:${key}`) : undefined;
      if (original) return this.replayed(original, { type: "human_responded", data: answer });
      const decision = decideResponse(state, answer, iso(), this.history(answer.requestId));
      if (!decision.ok && "expire" in decision) {
        // The deadline passed but its timer has not fired yet: the log settles the race now.
        const request = state.pending.find((r) => r.requestId === decision.expire);
        if (request) await this.humans.expire(request);
        const extended = this.log.state?.pending.find((r) => r.requestId === decision.expire);
        // An escalation extended the deadline: this answer is in time after all.
        if (extended) return this.respond(answer, key, source);
        return { ok: false as const, rejection: decision.rejection };
      }
      if (!decision.ok && "record" in decision) {
        // Kept for the audit trail (who tried to answer), never acted on; no idempotency key,
        // so a later allowed answer under the same key is not mistaken for a replay.
        this.append({ ...decision.record, ...(source ? { source } : {}) });
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
      // Cancel is never capped: a full thread must still be stoppable.
      const result = await this.command((state) => decideCancel(state, reason), undefined, undefined, false);
      if (result.ok) await this.humans.cancelDeadlines();
      return result;
    }

    // ---- RPC: queries ----

    /** The thread; `viewer` (an API principal) gets links issued to itself, so an answer through them is recorded as it. */
    async thread(viewer?: Principal): Promise<ThreadView | null> {
      await this.ready();
      if (!this.log.state) return null;
      const view = this.view();
      const to = viewer ? `${viewer.kind}:${viewer.id}` : "api";
      const withLinks = await Promise.all(view.pendingRequests.map((request) => this.humans.withLink(request, to)));
      const linked = { ...view, pendingRequests: withLinks, ...(withLinks[0] ? { pending: withLinks[0] } : {}) };
      return this.delegation.withChildStatus(linked);
    }

    async events(after: number, limit: number): Promise<{ events: Event[]; next?: number }> {
      await this.ready();
      const events = this.log.events(after, limit + 1);
      const page = events.slice(0, limit);
      const last = page[page.length - 1];
      return events.length > limit && last ? { events: page, next: last.seq } : { events: page };
    }

    /** What closed a request that is no longer open, as the log says (null: never closed, or never existed). */
    async requestHistory(requestId: string): Promise<ClosedRequest | null> {
      await this.ready();
      return this.history(requestId) ?? null;
    }

    /** The exact model input the next step would send (Factor 3, inspectable). */
    async context(): Promise<Result<ModelInput>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const agent = deps.agents.get(state.agent);
      if (!agent) return { ok: false, rejection: { status: 409, code: "unknown_agent", message: `Agent ${state.agent} is no longer deployed.` } };
      return { ok: true, value: await modelInput(this.log, state, agent) };
    }

    /**
     * Makes this (new) object a fork: copies events 1..atSeq of another thread, appends the
     * `thread_forked` marker and continues from there (see fork.ts for the checks).
     */
    async adoptFork(input: ForkInput, source?: EventSource): Promise<Result<{ created: boolean; thread: ThreadView }>> {
      await this.ready();
      const checked = checkFork(deps.agents, input, this.log.state, this.log.store.byKey(forkKey(input.threadId)));
      if (checked.kind !== "create") return checked.result;
      // Deadline timers of the copied open requests are armed before the copy lands (as
      // HumanRequests.ask does), so no wake ever has to re-arm one.
      for (const request of checked.pending) await this.humans.armDeadline(request.requestId, request.deadline);
      // Re-check after the awaits: a concurrent fork may have landed meanwhile.
      const again = checkFork(deps.agents, input, this.log.state, this.log.store.byKey(forkKey(input.threadId)));
      if (again.kind !== "create") return again.result;
      this.log.copyIn(checked.events);
      this.append({ ...checked.marker, ...(source ? { source } : {}) });
      this.syncIndex();
      this.kick();
      this.humans.deliver();
      return { ok: true, value: { created: true, thread: this.view() } };
    }

    /** Resolves once the step loop has nothing left to do: for tests, and for callers that want to wait. */
    async idle(): Promise<ThreadView | null> {
      await this.ready();
      while (this.#driving || this.humans.delivering || this.delegation.busy) {
        await this.#driving;
        await this.humans.delivering;
        await this.delegation.busy;
      }
      if (this.log.state) this.index.flush(this.log.state);
      await this.index.settled;
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
            await this.humans.armDeadline(request.requestId, request.deadline); // fired early: wait again
            return;
          }
          await this.humans.expire(request);
          return;
        }
        case "notify":
          this.humans.deliver();
          await this.humans.delivering;
          return;
        case "sync_index":
          if (this.log.state) this.index.push(this.log.state);
          await this.index.settled;
          return;
        case "drive":
          this.kick();
          return;
        case "agent_deadline":
        case "cancel_children":
        case "report_to_parent":
        case "launch_children":
          return this.delegation.onTimer(timer.data);
      }
    }

    /** A child thread reports its end (Factor 10). Exactly once per call: duplicates and late reports append no outcome. */
    async childReported(report: unknown): Promise<Result<{ accepted: boolean; duplicate: boolean }>> {
      await this.ready();
      if (!this.log.state) return notFound("here");
      const parsed = ChildReportSchema.safeParse(report);
      if (!parsed.success) return { ok: false, rejection: { status: 400, code: "invalid_report", message: parsed.error.issues.map((i) => i.message).join("; ") } };
      return { ok: true, value: this.delegation.accept(parsed.data) };
    }

    // ---- RPC: email (src/triggers/email) ----

    /** A human's email reply: answers the open request it replied to, else becomes a user message. */
    async emailReply(reply: EmailReply, source: EventSource) {
      await this.ready();
      return applyEmailReply(
        {
          log: this.log,
          secret: this.env.HUMAN_LINK_SECRET,
          respond: (answer, key, src) => this.respond(answer, key, src),
          message: (text, key, src) => this.message(text, key, src),
        },
        reply,
        source,
      );
    }

    /** Whether this thread sent a mail with one of these Message-IDs: a reply is routed here only if it did. */
    async sentEmail(messageIds: readonly string[]): Promise<boolean> {
      await this.ready();
      return emailHistory(this.log).sent.some((s) => messageIds.includes(s.messageId));
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
      capped = true,
    ): Promise<Result<CommandResult>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const full = capped ? this.full(state) : undefined;
      if (full) return full;
      const decision = decideFor(state);
      // A retry finds its original first, even if that original has since closed the thread
      // (then there is no new event to compare, and the original stands).
      const original = key ? this.log.store.byKey(key) : undefined;
      if (original) return this.replayed(original, decision.ok ? decision.event : original);
      return this.apply(decision, key, source);
    }

    private apply(decision: Decision, key?: string | undefined | "", source?: EventSource) {
      if (!decision.ok) return { ok: false as const, rejection: decision.rejection };
      const appended = this.append({ ...decision.event, ...(key ? { key } : {}), ...(source ? { source } : {}) });
      this.kick();
      return { ok: true as const, value: { thread: this.view(), event: appended.event, duplicate: appended.duplicate } };
    }

    private replayed(original: Event, attempt: { type: string; data: unknown }): Result<CommandResult> {
      return replayed(original, attempt, this.view());
    }

    /**
     * Per-thread cap on events (MAX_THREAD_EVENTS): outside input past it gets 409
     * thread_full and appends nothing; the thread's own steps and cancel still run.
     */
    private full(state: ThreadState): { ok: false; rejection: Rejection } | undefined {
      const cap = positiveInt(this.env.MAX_THREAD_EVENTS) ?? DEFAULT_MAX_THREAD_EVENTS;
      if (state.lastSeq < cap) return undefined;
      return { ok: false, rejection: { status: 409, code: "thread_full", message: `Thread ${state.id} holds ${state.lastSeq} events (the cap is ${cap}); it accepts no more input. Fork it or start a new one.` } };
    }

    private history(requestId: string): ClosedRequest | undefined {
      return closedHow(this.log.store, requestId);
    }

    private append(event: NewEvent, source?: EventSource): Appended {
      const before = this.log.state;
      const appended = this.log.append(source && !event.source ? { ...event, source } : event, iso());
      const after = this.log.state;
      if (!appended.duplicate && after && (!before || statusOf(before) !== statusOf(after))) this.syncIndex();
      // Counts that change outside a step loop run (a timer's escalation) are pushed now;
      // inside one, the push at the end of the run carries them (see runLoop).
      else if (!appended.duplicate && after && !this.#driving && countsChanged(before, after)) this.syncIndex();
      // Factor 10: an end is reported to the parent and cancels the children (each retried by a timer).
      if (!appended.duplicate && after?.end && !before?.end) this.delegation.ended();
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
          // The keep-alive heartbeat costs alarm bookkeeping on the way in and out; a kick
          // with nothing to do (paused, waiting, or input that only queues) skips it.
          if (this.hasWork()) await this.keepAliveWhile(() => this.drive());
        } while (this.#again);
        this.syncIndex(); // the run's step, error and escalation counts (variant stats)
        // Whatever the loop appended may have queued notifications (e.g. the outcome to a reply channel).
        this.humans.deliver();
      } catch (error) {
        // Storage or programming errors only: effects report their own failures as events.
        // After an abort this instance can no longer touch storage; the next one resumes from the log.
        console.error("step loop failed; retrying in 5 s", error);
        await this.schedule(5, "onTimer", { type: "drive" }, { idempotent: true }).catch(() => undefined);
      }
    }

    /** Whether the loop has a step to take (pure: the same question drive() asks first). */
    private hasWork(): boolean {
      const state = this.log.state;
      if (!state) return false;
      const agent = deps.agents.get(state.agent);
      if (!agent) return !state.end;
      return next(state, agent.catalog, agent.plan).kind !== "wait";
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
        const step = next(state, agent.catalog, agent.plan);
        if (step.kind === "wait") return;
        await perform(this.effects, step, state, agent);
        if (this.log.state?.lastSeq === state.lastSeq) {
          // Every step appends at least one event; if one did not, stop rather than spin.
          throw new Error(`step ${step.kind} appended nothing at seq ${state.lastSeq}`);
        }
      }
    }

    /** The thread summary changed: its index shard hears of it (throttled, see index-sync.ts). */
    private syncIndex(): void {
      const state = this.log.state;
      if (state) this.index.changed(state);
    }
  };
}

export type ThreadObjectClass = ReturnType<typeof threadObject>;
