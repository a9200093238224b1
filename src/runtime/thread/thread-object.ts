import { Agent } from "agents";
import {
  decideCancel,
  decideMessage,
  decidePause,
  decideResume,
  threadView,
  type ClosedRequest,
  type Event,
  type EventSource,
  type HumanAnswer,
  type ModelInput,
  type NewEvent,
  type Principal,
  type ThreadView,
} from "../../core";
import { sendWithBinding } from "../../channels/email/send";
import { applyEmailReply } from "../humans/email-replies";
import { HumanRequests } from "../humans/human-requests";
import { IndexSync } from "../index/index-sync";
import { decisionRows } from "../index/decision-rows";
import type { Appended } from "../log/event-store";
import { ThreadLog } from "../log/thread-log";
import type { CommandResult, EmailReply, ForkInput, Launched, LaunchInput, Result, RuntimeDeps, StreamOpened, StreamOptions, ThreadRpc } from "../thread-rpc";
import { Admission, notFound } from "./admission";
import { Delegation } from "./delegation";
import { DueWork } from "./due-work";
import { Erasure } from "./erasure";
import { modelInput, modelOf, type EffectsHost } from "./effects";
import { checkFork, forkKey } from "./fork";
import type { ThreadHost } from "./host";
import { reactions, type Reaction } from "./reactions";
import { StepLoop } from "./step-loop";
import { StreamHub } from "./stream-hub";
import { TraceExport } from "./trace-export";

/**
 * Builds the thread Durable Object class for a set of agents. The object is a thin
 * shell around its parts, each taking a host: it admits input (admission.ts), appends
 * events (ThreadLog) and runs the reactions to each (reactions.ts), drives the step loop
 * (step-loop.ts: ask the pure core what to do next, perform that one effect, append the
 * outcome), and hands due work to the part that owns it (due-work.ts). Human requests
 * (humans/) and delegation (delegation.ts) are parts too. This file is the RPC surface
 * (ThreadRpc, thread-rpc.ts) and the wiring.
 */
export function threadObject(deps: RuntimeDeps) {
  const now = deps.now ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString();
  const outbound = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  return class ThreadObject extends Agent<Env> implements ThreadRpc {
    #log: ThreadLog | undefined;
    #host: ThreadHost | undefined;
    #index: IndexSync | undefined;
    #humans: HumanRequests | undefined;
    #effects: EffectsHost | undefined;
    #delegation: Delegation | undefined;
    #loop: StepLoop | undefined;
    #due: DueWork | undefined;
    #admission: Admission | undefined;
    #erasure: Erasure | undefined;
    #reactions: readonly Reaction[] | undefined;
    /** The correlation id of the newest input (request, mail, tick, timer): step log lines carry it. */
    #correlation: string | undefined;
    #hub: StreamHub | undefined;
    readonly traces = new TraceExport({ env: () => this.env, log: () => this.log, sql: () => this.ctx.storage.sql, now, fetch: outbound, retryAt: (at) => this.due.retryAt("export_traces", at) });

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
        kick: () => this.loop.kick(),
        retryAt: (kind, at) => this.due.retryAt(kind, at),
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
      this.#humans ??= new HumanRequests({ ...this.host, fetch: outbound, sendEmail: deps.sendEmail ?? sendWithBinding, agents: deps.agents });
      return this.#humans;
    }

    get hub(): StreamHub {
      this.#hub ??= new StreamHub({ events: (after, limit) => this.log.events(after, limit), ended: () => Boolean(this.log.state?.end) });
      return this.#hub;
    }

    get index(): IndexSync {
      this.#index ??= new IndexSync(this.env, now, (at) => this.due.retryAt("sync_index", at), (after) => decisionRows(this.log.store, this.log.state, after));
      return this.#index;
    }

    get loop(): StepLoop {
      this.#loop ??= new StepLoop({
        env: this.env,
        log: this.log,
        agents: deps.agents,
        now,
        effects: () => this.effects,
        append: (event, source) => this.append(event, source),
        keepAliveWhile: (work) => this.due.keepAliveWhile(work),
        afterRun: () => {
          this.syncIndex(); // the run's step, error and escalation counts (variant stats)
          // Whatever the loop appended may have queued notifications (e.g. the outcome to a reply channel).
          this.humans.deliver();
          this.traces.flush(); // the spans this run ended, as one batch in the background (trace-export.ts)
        },
        retryAt: (kind, at) => this.due.retryAt(kind, at),
        correlation: () => this.#correlation,
      });
      return this.#loop;
    }

    /** The timer handler and the one wake-up; each part below does the obligation kinds it owns. */
    get due(): DueWork {
      const host = { env: () => this.env, log: this.log, now, alarm: this.ctx.storage, sql: this.ctx.storage.sql, correlation: () => this.#correlation };
      this.#due ??= new DueWork(host, () => [
        this.loop.duePart,
        this.humans.duePart,
        this.delegation.duePart,
        this.index.duePart(() => this.log.state),
        this.erasure.duePart,
        this.traces.duePart,
      ]);
      return this.#due;
    }

    get erasure(): Erasure {
      this.#erasure ??= new Erasure({
        log: () => this.log,
        delegation: this.delegation,
        index: this.index,
        view: () => this.view(),
        destroy: () => this.destroy(),
        forget: () => {
          // destroy() resets the object a moment later; until then this instance must not serve
          // the erased log from memory.
          this.#log = undefined;
        },
      });
      return this.#erasure;
    }

    get admission(): Admission {
      this.#admission ??= new Admission({ ...this.host, env: () => this.env, agents: deps.agents, humans: this.humans, view: () => this.view() });
      return this.#admission;
    }

    /** What happens after each append, in order (reactions.ts). */
    get reactions(): readonly Reaction[] {
      this.#reactions ??= reactions({
        correlate: (id) => {
          this.#correlation = id;
        },
        stepAppended: (type) => this.loop.appended(type),
        syncIndex: () => this.syncIndex(),
        looping: () => Boolean(this.loop.driving),
        ended: () => (this.delegation.ended(), this.traces.flush()),
        rearm: () => void this.due.wake.rearm(),
        notifyStreams: () => this.#hub?.notify(),
        mustFill: (state) => this.admission.mustFill(state),
        fill: () => this.admission.fill(),
      });
      return this.#reactions;
    }

    /**
     * Runs on every start (after eviction, restart or deploy): each part continues its
     * unfinished work (the step loop, due notifications, delegation) and the one wake-up
     * is re-armed from the log (due-work.ts).
     */
    override async onStart(): Promise<void> {
      if (!this.log.state) return;
      this.due.start();
    }

    private async ready(): Promise<void> {
      await this.lifecycle.start();
      this.due.started();
    }

    // ---- RPC: commands (each admitted by the pure core before anything is appended, admission.ts) ----

    async launch(input: LaunchInput, source?: EventSource): Promise<Result<Launched>> {
      await this.ready();
      return this.admission.launch(input, source);
    }

    async message(text: string, key?: string, source?: EventSource): Promise<Result<CommandResult>> {
      await this.ready();
      return this.admission.command((state) => decideMessage(state, text), key && `message:${key}`, source);
    }

    async respond(answer: HumanAnswer, key?: string, source?: EventSource): Promise<Result<CommandResult>> {
      await this.ready();
      return this.admission.respond(answer, key, source);
    }

    async pause(reason?: string): Promise<Result<CommandResult>> {
      await this.ready();
      return this.admission.command((state) => decidePause(state, reason));
    }

    async resume(): Promise<Result<CommandResult>> {
      await this.ready();
      return this.admission.command((state) => decideResume(state));
    }

    async cancel(reason?: string): Promise<Result<CommandResult>> {
      await this.ready();
      // Cancel is never capped: a full thread must still be stoppable.
      return this.admission.command((state) => decideCancel(state, reason), undefined, undefined, false);
    }

    /**
     * Erases this thread: every row of its storage (the SDK's `destroy()`: log, snapshot,
     * timers) and its index entry. Only a finished thread, whose children have all ended and
     * whose own end has reached its parent: erasing earlier would lose work someone waits for.
     */
    async erase(): Promise<Result<{ erased: true }>> {
      await this.ready();
      return this.erasure.erase();
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
      return this.admission.history(requestId) ?? null;
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
    async adoptFork(input: ForkInput, source?: EventSource): Promise<Result<Launched>> {
      await this.ready();
      const checked = checkFork(deps.agents, input, this.log.state, this.log.store.byKey(forkKey(input.threadId)));
      if (checked.kind !== "create") return checked.result;
      // The copied open requests keep their deadlines: the marker's append re-arms this
      // thread's one wake-up from the copied log, like any other append.
      this.log.copyIn(checked.events);
      this.append({ ...checked.marker, ...(source ? { source } : {}) });
      this.syncIndex();
      this.loop.kick();
      this.humans.deliver();
      return { ok: true, value: { created: true, thread: this.view() } };
    }

    /** Resolves once the step loop has nothing left to do: for tests, and for callers that want to wait. */
    async idle(): Promise<ThreadView | null> {
      await this.ready();
      while (this.loop.driving || this.humans.delivering || this.delegation.busy) {
        await this.loop.driving;
        await this.humans.delivering;
        await this.delegation.busy;
      }
      if (this.log.state) this.index.flush(this.log.state);
      await Promise.all([this.index.settled, this.traces.settled]);
      await this.due.wake.settled;
      return this.log.state ? this.view() : null;
    }

    /** The alarm: the thread's one wake-up (due-work.ts); the SDK's handler first only while its queue holds a row (sdk-jobs.ts). */
    override async alarm(): Promise<void> {
      await this.ready();
      if (this.due.sdk.due !== undefined) {
        await super.alarm();
        if (!this.due.sdk.afterDriver()) return; // the SDK ran a pending destroy
      }
      this.#correlation = `timer-${crypto.randomUUID()}`;
      await this.due.fire();
    }

    /** The callback of wake-up rows an older version scheduled through the SDK (sdk-jobs.ts): a plain wake. */
    async onTimer(payload: unknown): Promise<void> {
      await this.ready();
      this.#correlation = `timer-${crypto.randomUUID()}`;
      await this.due.fire(payload);
    }

    /** A child thread reports its end (Factor 10). Exactly once per call: duplicates and late reports append no outcome. */
    async childReported(report: unknown): Promise<Result<{ accepted: boolean; duplicate: boolean }>> {
      await this.ready();
      if (!this.log.state) return notFound("here");
      return this.delegation.reported(report);
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

    /** Appends one event; a new one (not a duplicate) gets every reaction, in order. */
    private append(event: NewEvent, source?: EventSource): Appended {
      const before = this.log.state;
      const appended = this.log.append(source && !event.source ? { ...event, source } : event, iso());
      if (appended.duplicate) return appended;
      this.index.saw(appended.event);
      const change = { event: appended.event, source: event.source ?? source, before, after: this.log.state };
      for (const reaction of this.reactions) reaction.react(change);
      return appended;
    }

    /** The thread summary changed: its index shard hears of it (throttled, see index-sync.ts). */
    private syncIndex(): void {
      if (this.log.state) this.index.changed(this.log.state);
    }
  };
}
