import type { AgentRegistry } from "../../agents";
import { next, type RuntimeRetryKind } from "../../core";
import { infoLines, logLine } from "../../log";
import type { ThreadLog } from "../log/thread-log";
import { perform, type EffectsHost } from "./effects";
import type { DuePart } from "./host";
import { threadCatalog } from "../../mcp/tools";
import { threadPlan } from "../../mcp/plan";

export type StepLoopHost = {
  /** Which MCP servers are configured, and the policy of their tools (docs/mcp.md). */
  readonly env: Env;
  readonly log: ThreadLog;
  readonly agents: AgentRegistry;
  readonly now: () => number;
  /** What a step performs with (effects.ts). */
  effects(): EffectsHost;
  append: EffectsHost["append"];
  /** The SDK's keep-alive: the object stays in memory while `work` runs. */
  keepAliveWhile(work: () => Promise<void>): Promise<void>;
  /** After each run: its step, error and escalation counts to the index, and whatever it queued to the outbox. */
  afterRun(): void;
  retryAt(kind: RuntimeRetryKind, at: number | undefined): void;
  /** The correlation id of the newest input, for the step log lines. */
  correlation(): string | undefined;
};

/**
 * The step loop: ask the pure core for the next step, perform it, repeat until it says
 * wait. One run at a time; a kick during a run makes the run go round again, and every
 * iteration re-reads the state, so pause, cancel or new input land at the next step boundary.
 */
export class StepLoop {
  #driving: Promise<void> | undefined;
  #again = false;
  /** Types appended by the step in progress, for its log line. */
  #stepEvents: string[] | undefined;

  constructor(private readonly host: StepLoopHost) {}

  /** The run in progress, if any. */
  get driving(): Promise<void> | undefined {
    return this.#driving;
  }

  /** The obligations it owns: a model call whose backoff is over, and a run that stopped on an error. */
  readonly duePart: DuePart = {
    kinds: ["model_retry", "mcp_list_retry", "tool_retry", "drive"],
    due: (_obligation, _at, retries) => {
      retries.clear("drive");
      this.kick();
    },
    start: () => this.kick(),
  };

  /** An event was appended: the step in progress names it in its log line. */
  appended(type: string): void {
    this.#stepEvents?.push(type);
  }

  /** Starts the step loop unless it is running; a running loop re-reads state each step. */
  kick(): void {
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
        if (this.hasWork()) await this.host.keepAliveWhile(() => this.drive());
      } while (this.#again);
      this.host.afterRun();
    } catch (error) {
      // Storage or programming errors only: effects report their own failures as events.
      // After an abort this instance can no longer touch storage; the next one resumes from the log.
      console.error("step loop failed; retrying in 5 s", error);
      this.host.retryAt("drive", this.host.now() + 5_000);
    }
  }

  /** Whether the loop has a step to take (pure: the same question drive() asks first). */
  private hasWork(): boolean {
    const { log, agents, now, env } = this.host;
    const state = log.state;
    if (!state) return false;
    const agent = agents.get(state.agent);
    if (!agent) return !state.end;
    return next(state, threadCatalog(agent, state, env), threadPlan(agent, env), now()).kind !== "wait";
  }

  private async drive(): Promise<void> {
    const { log, agents, now, env } = this.host;
    for (;;) {
      const state = log.state;
      if (!state) return;
      const agent = agents.get(state.agent);
      if (!agent) {
        if (!state.end) {
          this.host.append({ type: "thread_failed", data: { code: "unknown_agent", message: `Agent ${state.agent} is not deployed.` } });
        }
        return;
      }
      // The agent's own tools and the thread's pinned MCP tools; the MCP servers configured now (invariant 12).
      const step = next(state, threadCatalog(agent, state, env), threadPlan(agent, env), now());
      if (step.kind === "wait") return;
      const started = Date.now();
      this.#stepEvents = [];
      try {
        await perform(this.host.effects(), step, state, agent);
      } finally {
        if (infoLines(env)) logLine("step", {
          correlationId: this.host.correlation(),
          threadId: state.id,
          agent: state.agent,
          step: step.kind,
          seq: log.state?.lastSeq,
          events: this.#stepEvents,
          latencyMs: Date.now() - started,
        });
        this.#stepEvents = undefined;
      }
      if (log.state?.lastSeq === state.lastSeq) {
        // Every step appends at least one event; if one did not, stop rather than spin.
        throw new Error(`step ${step.kind} appended nothing at seq ${state.lastSeq}`);
      }
    }
  }
}
