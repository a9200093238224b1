import type { AgentRegistry } from "../agents";
import { ThreadId, type Event } from "../core";
import { modelConfigFrom, withModelOverride } from "../model/config";
import { threadStub } from "../runtime/thread-stub";
import { ask } from "./ask";
import { DEFAULT_RETRY } from "./retry";
import { EvalMessage } from "./schemas";
import { evalStub } from "./stubs";
import { setting } from "../settings";

export type ConsumerDeps = { readonly agents: AgentRegistry; readonly fetch?: typeof fetch };

/**
 * The EVAL_QUEUE consumer: for each message, lease its questions from the eval, read the
 * thread's log once through the thread's public events RPC (read only), ask each question
 * (up to EVAL_CONCURRENCY at once) and record the answers. Nothing is appended to any
 * thread and no tool runs: the only outbound call is the model's.
 */
export function evalQueueHandler(deps: ConsumerDeps) {
  const outbound = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async (batch: MessageBatch<unknown>, env: Env): Promise<void> => {
    for (const message of batch.messages) {
      const parsed = EvalMessage.safeParse(message.body);
      if (!parsed.success) {
        console.error("ignoring malformed eval message", JSON.stringify(message.body).slice(0, 200));
        message.ack();
        continue;
      }
      try {
        await answerMessage(deps, outbound, env, parsed.data);
        message.ack();
      } catch (error) {
        // Storage or RPC trouble, not the model's (those are answers): let the queue retry.
        console.error("eval message failed; the queue will retry it", error);
        message.retry();
      }
    }
  };
}

async function answerMessage(deps: ConsumerDeps, outbound: typeof fetch, env: Env, message: EvalMessage): Promise<void> {
  const stub = evalStub(env, message.evalId);
  const leased = await stub.lease(message.questions);
  if (!leased || leased.questions.length === 0) return;
  const { spec, questions } = leased;
  const agent = deps.agents.get(spec.agent);
  const config = modelConfigFrom(env);
  const fail = async (code: string, text: string) => {
    for (const { n } of questions) await stub.record(n, { candidate: { error: { code, message: text } }, tokens: 0, latencyMs: 0 });
  };
  if (!agent) return fail("unknown_agent", `Agent ${spec.agent} is no longer deployed.`);
  if (!config.ok) return fail("model_not_configured", config.message);

  // A message holds the questions of one thread (see EvalObject's #send).
  const threadId = ThreadId.parse(questions[0]?.question.threadId);
  const upTo = Math.max(...questions.map((q) => q.question.seenSeq));
  const events = await logUpTo(env, threadId, upTo);
  const asking = {
    agent,
    config: withModelOverride(config.config, spec.candidate.model),
    variant: spec.candidate.variant,
    fetch: outbound,
    policy: DEFAULT_RETRY,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  const limit = concurrency(env);
  const queue = [...questions];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      await stub.record(next.n, await ask(asking, events, next.question));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, questions.length) }, worker));
}

/** Events 1..upTo of a thread, paged through its public (read-only) events RPC. */
async function logUpTo(env: Env, threadId: ThreadId, upTo: number): Promise<Event[]> {
  const thread = threadStub(env, threadId);
  const events: Event[] = [];
  let after = 0;
  while (after < upTo) {
    const page = await thread.events(after, Math.min(1000, upTo - after));
    events.push(...page.events);
    const last = page.events[page.events.length - 1];
    if (!last || page.next === undefined) break;
    after = last.seq;
  }
  return events.filter((e) => e.seq <= upTo);
}

export function concurrency(env: Pick<Env, "EVAL_CONCURRENCY">): number {
  return Math.min(setting(env, "EVAL_CONCURRENCY"), 32);
}
