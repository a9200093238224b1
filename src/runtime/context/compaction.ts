import compactionPrompt from "../../../prompts/compaction.md";
import type { AgentDefinition } from "../../agents";
import { promptVersion } from "../../agents/prompt";
import { block, DEFAULT_LIMITS, modelRetryDelayMs, type CompactionMark, type Event, type ContextSection, type EventSource, type NewEvent, type RenderedThread, type Tokenizer } from "../../core";
import type { ModelConfig } from "../../model/config";
import { summarise } from "../../model/summarise";
import { logLine } from "../../log";
import type { Appended } from "../log/event-store";
import type { ThreadLog } from "../log/thread-log";

/** A range is summarised only once it holds this many events: fewer are cheaper dropped than summarised. */
export const MIN_COMPACT_EVENTS = 32;
/** At most this many events are read for one summary. */
const MAX_COMPACT_READ = 512;

export type CompactionHost = {
  readonly log: ThreadLog;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  append(event: NewEvent, source?: EventSource): Appended;
};

/** A failed summary waits before the next try, like a retryable model call; in memory only, since nothing waits on it. */
const backoff = new WeakMap<ThreadLog, { failures: number; until: number }>();

/**
 * Factor 3, compaction as an event: when the render left out a long enough run of events
 * (none of them pinned: pinned events are always shown, so never inside an omitted
 * section), asks the model for a summary of it and appends `context_compacted`. The render
 * then shows the summary in that range's place, in this step and every replay, fork and
 * eval after it. A failed call never blocks the step: it returns false, the render keeps
 * dropping, and the next model step tries again after a backoff.
 */
export async function compact(host: CompactionHost, agent: AgentDefinition, config: ModelConfig, rendered: RenderedThread, counter: Tokenizer): Promise<boolean> {
  const waiting = backoff.get(host.log);
  if (waiting && host.now() < waiting.until) return false;
  const range = rangeToCompact(rendered.sections, host.log.state?.context?.compactions ?? []);
  if (!range) return false;
  // The summary request must itself fit the budget: take the range's oldest events that do.
  const room = Math.floor(agent.context.tokens / 2);
  const blocks: string[] = [];
  let tokens = 0;
  let toSeq = range.fromSeq;
  for (const event of oldestFirst(host.log, range.fromSeq, Math.min(range.toSeq, range.fromSeq + MAX_COMPACT_READ - 1))) {
    const text = block(event, DEFAULT_LIMITS.maxBlockChars);
    if (text !== undefined) {
      const n = counter.count(`${text}\n\n`);
      if (tokens + n > room && blocks.length > 0) break;
      blocks.push(text);
      tokens += n;
    }
    toSeq = event.seq;
  }
  if (blocks.length === 0) return false;
  const launch = host.log.store.first();
  const version = await promptVersion(compactionPrompt);
  const text = `<thread_start>\n${launch && launch.type === "thread_launched" ? launch.data.message.slice(0, 2_000) : ""}\n</thread_start>\n\nSummarise events ${range.fromSeq} to ${toSeq}:\n\n${blocks.join("\n\n")}`;
  const summary = await summarise({ config, prompt: compactionPrompt, text, fetch: host.fetch });
  const state = host.log.state;
  if (!summary.ok) {
    const failures = (waiting?.failures ?? 0) + 1;
    backoff.set(host.log, { failures, until: host.now() + modelRetryDelayMs(failures, Math.random(), summary.retryAfterMs) });
    logLine("compaction_failed", { threadId: state?.id, agent: agent.name, code: summary.code, message: summary.message, failures }, "warn");
    return false;
  }
  backoff.delete(host.log);
  const after = counter.count(`<summary from_seq="${range.fromSeq}" to_seq="${toSeq}">\n${summary.summary}\n</summary>\n\n`);
  const appended = host.append({
    type: "context_compacted",
    data: {
      fromSeq: range.fromSeq,
      toSeq,
      summary: summary.summary,
      tokensBefore: tokens,
      tokensAfter: after,
      model: config.model,
      promptVersion: version,
      ...(summary.usage ? { usage: summary.usage } : {}),
      latencyMs: summary.latencyMs,
    },
    key: `compact:${range.fromSeq}:${toSeq}`,
  }, { kind: "runtime" });
  return !appended.duplicate;
}

/** Rows per read of a range being summarised: a summary that fills its room early reads at most one page past it (rows read are billed). */
export const COMPACT_PAGE = 32;

/** Events fromSeq..toSeq, oldest first, read a page at a time as the caller goes. */
export function* oldestFirst(log: ThreadLog, fromSeq: number, toSeq: number): Generator<Event> {
  for (let after = fromSeq - 1; after < toSeq; ) {
    const want = Math.min(COMPACT_PAGE, toSeq - after);
    const page = log.events(after, want);
    for (const event of page) {
      if (event.seq > toSeq) return;
      yield event;
    }
    const last = page[page.length - 1];
    if (!last || page.length < want) return; // the log ends here
    after = last.seq;
  }
}

/**
 * The oldest omitted run, after everything already summarised, long enough to be worth a
 * summary. Summaries go oldest first, so what lies before the newest one's end was
 * summarised once (even if that summary is now too old to be read back) and never is again.
 */
export function rangeToCompact(sections: readonly ContextSection[], done: readonly CompactionMark[]): { fromSeq: number; toSeq: number } | undefined {
  const after = Math.max(0, ...done.map((c) => c.toSeq));
  for (const s of sections) {
    if (s.as !== "omitted" || s.reason.startsWith("summary") || s.toSeq <= after) continue;
    const fromSeq = Math.max(s.fromSeq, after + 1);
    if (s.toSeq - fromSeq + 1 >= MIN_COMPACT_EVENTS) return { fromSeq, toSeq: s.toSeq };
  }
  return undefined;
}
