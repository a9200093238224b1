import { Agent } from "agents";
import type { AgentRegistry } from "../agents";
import {
  decideCancel,
  decideMessage,
  decidePause,
  decideResponse,
  decideResume,
  next,
  nextDue,
  statusOf,
  timers,
  wakeSecond,
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
  type RuntimeRetries,
  type RuntimeRetryKind,
  type ThreadId,
  type ThreadState,
  type ThreadView,
  type TimeoutPolicy,
} from "../core";
import { sendWithBinding, type SendEmail } from "../channels/email/send";
import { applyEmailReply, type EmailReply } from "./email-replies";
import type { Appended } from "./event-store";
import { modelInput, modelOf, perform, type EffectsHost } from "./effects";
import { fullRejection, mustFill, threadCap } from "./thread-cap";
import { ChildReportSchema, Delegation } from "./delegation";
import { HumanRequests } from "./human-requests";
import { ThreadLog } from "./thread-log";
import { TimerPayload, WakeTimer } from "./timers";
import type { ThreadHost } from "./host";
import { IndexSync } from "./index-sync";
import { closedHow, replayed } from "./command-results";
import { variantForLaunch } from "../agents/variants";
import { checkFork, forkKey, type ForkInput } from "./fork";
import { countsChanged } from "./thread-index-stats";
import { logLine } from "../log";
import type { TimerOptions } from "../core";
import { StreamHub, type StreamOptions } from "./stream-hub";

/** What `stream()` answers: no such thread, an ended thread with nothing past the cursor, or the live SSE bytes. */
export type StreamOpened = { readonly kind: "not_found" } | { readonly kind: "ended" } | { readonly kind: "open"; readonly body: ReadableStream<Uint8Array> };

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
  /** Overrides the timeout policy of every human request of this thread. */
  readonly onHumanTimeout?: TimeoutPolicy;
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
    /** The correlation id of the newest input (request, mail, tick, timer): step log lines carry it. */
    #correlation: string | undefined;
    /** Types appended by the step in progress, for its log line. */
    #stepEvents: string[] | undefined;
    #wake: WakeTimer | undefined;
    /** Retries of calls that failed on the wire, which the log cannot see (see core/timers.ts). */
    readonly #retries: RuntimeRetries = {};
    #hub: StreamHub | undefined;

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
        retryAt: (kind, at) => this.retryAt(kind, at),
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

    get hub(): StreamHub {
      this.#hub ??= new StreamHub({ events: (after, limit) => this.log.events(after, limit), ended: () => Boolean(this.log.state?.end) });
      return this.#hub;
    }

    get index(): IndexSync {
      this.#index ??= new IndexSync(this.env, now, (at) => this.retryAt("sync_index", at));
      return this.#index;
    }

    /** The thread's one wake-up, armed at the earliest timed obligation in the log (invariant 9). */
    get wake(): WakeTimer {
      this.#wake ??= new WakeTimer(this, () => {
        const due = nextDue(timers(this.log.state, this.#retries, this.timerOptions()));
        return due === undefined ? undefined : wakeSecond(due);
      });
      return this.#wake;
    }

    /**
     * Runs on every start (after eviction, restart or deploy): continue unfinished work,
     * deliver due notifications, and re-arm the one wake-up from the log, so an alarm that
     * was lost or fired early heals here. Nothing here awaits a schedule: scheduling waits
     * for startup, and startup waits for this method.
     */
    override async onStart(): Promise<void> {
      if (!this.log.state) return;
      this.kick();
      this.humans.deliver();
      this.delegation.resume();
      void this.wake.rearm();
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
          ...(input.onHumanTimeout ? { onHumanTimeout: input.onHumanTimeout } : {}),
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
      // A retry of an answer that was taken gets its original, even once the thread is full.
      const original = key ? this.log.store.byKey(`response:${key}`) : undefined;
      if (original) return this.replayed(original, { type: "human_responded", data: answer });
      const full = this.full(state);
      if (full) return full;
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
      return this.command((state) => decideCancel(state, reason), undefined, undefined, false);
    }

    /**
     * Erases this thread: every row of its storage (the SDK's `destroy()`: log, snapshot,
     * timers) and its index entry. Only a finished thread, whose children have all ended and
     * whose own end has reached its parent: erasing earlier would lose work someone waits for.
     */
    async erase(): Promise<Result<{ erased: true }>> {
      await this.ready();
      const state = this.log.state;
      if (!state) return notFound("here");
      const refused = (code: string, message: string) => ({ ok: false as const, rejection: { status: 409 as const, code, message } });
      if (!state.end) return refused("thread_active", `Thread ${state.id} is ${statusOf(state)}; cancel it before erasing it.`);
      if (state.parent && !state.parentNotified) return refused("report_pending", `Thread ${state.id} has not yet reported its end to its parent ${state.parent.threadId}.`);
      const view = await this.delegation.withChildStatus(this.view());
      const running = (view.children ?? []).filter((c) => !["done", "failed", "cancelled", "timed_out"].includes(c.status));
      if (running.length > 0) {
        return refused("children_running", `Thread ${state.id} still has running children: ${running.map((c) => c.threadId).join(", ")}.`);
      }
      await this.index.remove(state.id);
      await this.destroy();
      // destroy() resets the object a moment later; until then this instance must not serve
      // the erased log from memory.
      this.#log = undefined;
      return { ok: true, value: { erased: true } };
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

    /**
     * The log from `after` on as Server-Sent Events, live. The open response keeps this
     * object in memory (an HTTP stream cannot hibernate) until the thread ends or
     * `options.maxMs` passes; then the client reconnects with Last-Event-ID.
     */
    async stream(after: number, options: StreamOptions): Promise<StreamOpened> {
      await this.ready();
      const state = this.log.state;
      if (!state) return { kind: "not_found" };
      if (state.end && after >= state.lastSeq) return { kind: "ended" };
      return { kind: "open", body: this.hub.subscribe(after, options) };
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
      const context = await modelInput(this.log, state, agent, modelOf(this.env, state));
      if (!context.ok) return { ok: false, rejection: { status: 409, code: context.code, message: context.message } };
      return { ok: true, value: context.input };
    }

    /**
     * Makes this (new) object a fork: copies events 1..atSeq of another thread, appends the
     * `thread_forked` marker and continues from there (see fork.ts for the checks).
     */
    async adoptFork(input: ForkInput, source?: EventSource): Promise<Result<{ created: boolean; thread: ThreadView }>> {
      await this.ready();
      const checked = checkFork(deps.agents, input, this.log.state, this.log.store.byKey(forkKey(input.threadId)));
      if (checked.kind !== "create") return checked.result;
      // The copied open requests keep their deadlines: the marker's append re-arms this
      // thread's one wake-up from the copied log, like any other append.
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
      await this.wake.settled;
      return this.log.state ? this.view() : null;
    }

    /**
     * The one timer handler: the thread's wake-up (see timers.ts). It does everything the
     * log says is due now, then re-arms from the resulting state. An early wake does
     * nothing but re-arm; a late or repeated one finds the work done. `schedule` is the
     * SDK's row for this run, which it deletes afterwards: the re-arm never keeps it.
     */
    async onTimer(payload: unknown, schedule?: { readonly id?: string }): Promise<void> {
      this.wake.firing(schedule?.id);
      await this.ready();
      this.#correlation = `timer-${crypto.randomUUID()}`;
      if (!TimerPayload.safeParse(payload).success) console.error("ignoring malformed timer payload", JSON.stringify(payload));
      else if ((await this.doDue()) === "erased") return; // the storage is gone, and so is every timer
      await this.wake.rearm();
    }

    /** Settings that add timed obligations: retention (THREAD_RETENTION_DAYS). */
    private timerOptions(): TimerOptions {
      const days = Number(this.env.THREAD_RETENTION_DAYS);
      return this.env.THREAD_RETENTION_DAYS && Number.isFinite(days) && days > 0 ? { retentionMs: days * 86_400_000 } : {};
    }

    /** Everything due at this moment, each part re-checking the log itself. */
    private async doDue(): Promise<"erased" | undefined> {
      const state = this.log.state;
      const at = now();
      const due = timers(state, this.#retries, this.timerOptions()).filter((o) => o.dueAt <= at);
      if (due.length > 0 && state) logLine("wake", { correlationId: this.#correlation, threadId: state.id, agent: state.agent, due: due.map((o) => o.kind) });
      for (const obligation of due) {
        switch (obligation.kind) {
          case "erase": {
            const erased = await this.erase();
            if (erased.ok) return "erased";
            // Refused (a child still runs): try again in an hour rather than every wake.
            this.#retries.erase = at + 3_600_000;
            logLine("erase_deferred", { threadId: state?.id, reason: erased.rejection.code }, "warn");
            break;
          }
          case "human_deadline":
            await this.humans.expireDue();
            break;
          case "notification":
            this.humans.deliver();
            break;
          case "agent_deadline":
            this.delegation.deadlineDue(obligation.callId);
            break;
          case "model_retry":
          case "drive":
            delete this.#retries.drive;
            this.kick();
            break;
          case "report_to_parent":
          case "launch_children":
          case "cancel_children":
            this.delegation.retry(obligation.kind);
            break;
          case "sync_index":
            delete this.#retries.sync_index;
            if (this.log.state) this.index.push(this.log.state);
            break;
        }
      }
      await this.humans.delivering;
      await this.delegation.busy;
      await this.index.settled;
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
      return this.log.store.sentAnyOf(messageIds);
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
      const decision = decideFor(state);
      // A retry finds its original first, even if that original has since closed the thread
      // (then there is no new event to compare, and the original stands) or filled it.
      const original = key ? this.log.store.byKey(key) : undefined;
      if (original) return this.replayed(original, decision.ok ? decision.event : original);
      const full = capped ? this.full(state) : undefined;
      if (full) return full;
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
     * Per-thread cap on events (MAX_THREAD_EVENTS, see thread-cap.ts): outside input past the
     * input limit gets 409 thread_full; the thread's own steps and cancel still run. A thread
     * that filled up before it could record so (an older log, a lowered cap) records it now.
     */
    private full(state: ThreadState): { ok: false; rejection: Rejection } | undefined {
      const { cap, inputLimit } = threadCap(this.env);
      const rejection = fullRejection(state, cap, inputLimit);
      if (!rejection) return undefined;
      this.fill();
      return { ok: false, rejection };
    }

    /**
     * Records once that the thread is full and escalates it: thread_filled puts the escalation
     * in the outbox (every channel, with ESCALATION_CONTACT), as a missed deadline's escalation
     * does. Exactly once: the check and the append run with no await between them, the event
     * has a fixed idempotency key, and the reducer ignores a second one.
     */
    private fill(): void {
      const state = this.log.state;
      const { cap, inputLimit } = threadCap(this.env);
      if (!state || !mustFill(state, inputLimit)) return;
      this.append({ type: "thread_filled", data: { cap, notify: this.humans.channelNames() }, key: "thread_filled" }, { kind: "runtime" });
      logLine("thread_full", { threadId: state.id, agent: state.agent, cap, seq: state.lastSeq + 1 }, "warn");
      this.humans.deliver();
    }

    private history(requestId: string): ClosedRequest | undefined {
      return closedHow(this.log.store, requestId);
    }

    private append(event: NewEvent, source?: EventSource): Appended {
      const before = this.log.state;
      const appended = this.log.append(source && !event.source ? { ...event, source } : event, iso());
      if (!appended.duplicate) {
        const correlationId = (event.source ?? source)?.correlationId;
        if (correlationId) this.#correlation = correlationId;
        this.#stepEvents?.push(appended.event.type);
      }
      const after = this.log.state;
      if (!appended.duplicate && after && (!before || statusOf(before) !== statusOf(after))) this.syncIndex();
      // Counts that change outside a step loop run (a timer's escalation) are pushed now;
      // inside one, the push at the end of the run carries them (see runLoop).
      else if (!appended.duplicate && after && !this.#driving && countsChanged(before, after)) this.syncIndex();
      // Factor 10: an end is reported to the parent and cancels the children (each retried by the wake-up).
      if (!appended.duplicate && after?.end && !before?.end) this.delegation.ended();
      // Whatever this event changed about deadlines and retries, the one wake-up follows it.
      if (!appended.duplicate) void this.wake.rearm();
      if (!appended.duplicate) this.#hub?.notify();
      // The event that reaches the input limit makes the thread full: it escalates at once.
      if (!appended.duplicate && after && mustFill(after, threadCap(this.env).inputLimit)) this.fill();
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
        this.retryAt("drive", now() + 5_000);
      }
    }

    /** Whether the loop has a step to take (pure: the same question drive() asks first). */
    private hasWork(): boolean {
      const state = this.log.state;
      if (!state) return false;
      const agent = deps.agents.get(state.agent);
      if (!agent) return !state.end;
      return next(state, agent.catalog, agent.plan, now()).kind !== "wait";
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
        const step = next(state, agent.catalog, agent.plan, now());
        if (step.kind === "wait") return;
        const started = Date.now();
        this.#stepEvents = [];
        try {
          await perform(this.effects, step, state, agent);
        } finally {
          logLine("step", {
            correlationId: this.#correlation,
            threadId: state.id,
            agent: state.agent,
            step: step.kind,
            seq: this.log.state?.lastSeq,
            events: this.#stepEvents,
            latencyMs: Date.now() - started,
          });
          this.#stepEvents = undefined;
        }
        if (this.log.state?.lastSeq === state.lastSeq) {
          // Every step appends at least one event; if one did not, stop rather than spin.
          throw new Error(`step ${step.kind} appended nothing at seq ${state.lastSeq}`);
        }
      }
    }

    /** A runtime-only retry is due at `at` (or no longer owed): the wake-up follows. */
    private retryAt(kind: RuntimeRetryKind, at: number | undefined): void {
      if (this.#retries[kind] === at) return;
      if (at === undefined) delete this.#retries[kind];
      else this.#retries[kind] = at;
      void this.wake.rearm();
    }

    /** The thread summary changed: its index shard hears of it (throttled, see index-sync.ts). */
    private syncIndex(): void {
      const state = this.log.state;
      if (state) this.index.changed(state);
    }
  };
}

export type ThreadObjectClass = ReturnType<typeof threadObject>;
