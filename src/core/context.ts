import type { ContextMarks } from "./state";
import { CLASS_RANK, ContextVerdict, type ContextClass, type ContextFacts, type ContextPolicy } from "./context-policy";
import type { Event } from "./events";
import { block, DEFAULT_MAX_BLOCK_CHARS, truncate } from "./context-blocks";
import { canonicalJson, type JsonObject } from "./json";

// Factor 3, own your context window: the thread is rendered as compact tagged blocks in
// one user message. The agent's policy ranks every event; within a token budget the render
// keeps the launch, every pinned event and the most important of the rest, newest first.

/** Counts tokens; the runtime passes a real tokenizer (src/runtime/tokenizer.ts), core never loads one. */
export type Tokenizer = { readonly name: string; readonly count: (text: string) => number };

export type ContextLimits = {
  /** The whole model input: messages plus tool schemas, in tokens. */
  readonly tokens: number;
  /** Tokens already taken by the system prompt, the tool schemas and the instruction. */
  readonly reserved: number;
  /** Upper bound for any single block, in characters, so one huge result cannot crowd out the rest. */
  readonly maxBlockChars: number;
  /**
   * Upper bound on the events read, shown or not: events the model never sees (tool_started,
   * notifications, pauses) cost no tokens, so without it a run of them would be read to the
   * launch, and the read would grow with the log.
   */
  readonly maxEvents: number;
};

export const DEFAULT_CONTEXT_TOKENS = 32_000;
/**
 * At most 1,000 events read: no more than the runtime keeps parsed in memory (event-tail.ts,
 * 1,024), so a warm step reads no row from SQLite for its context however long the log.
 */
export const DEFAULT_LIMITS = { tokens: DEFAULT_CONTEXT_TOKENS, reserved: 0, maxBlockChars: DEFAULT_MAX_BLOCK_CHARS, maxEvents: 1_000 } as const satisfies ContextLimits;

/** Where the render reads the log: the newest events, plus the few pinned ones older than that, by seq. */
export type ContextSource = {
  readonly launch: Event;
  /** From the thread's state at the newest event (context-marks.ts). */
  readonly marks: ContextMarks | undefined;
  /** Events after the launch, newest first, lazily: the render stops reading when its budget is full. */
  readonly newestFirst: Iterable<Event>;
  /** The seqs of the open human requests (the state's `pending`). */
  readonly openRequests: readonly number[];
  /** The events with these seqs, in any order (pinned results, unresolved errors, open requests, summaries). */
  readonly bySeq: (seqs: readonly number[]) => readonly Event[];
  /** Human answers and timeouts before `seq` (each is pinned by the default policy). */
  readonly answersBefore: (seq: number) => readonly Event[];
};

/** A range of the log and how the context shows it. */
export type ContextSection = {
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly as: "full" | "summary" | "omitted";
  readonly reason: string;
};

export type RenderedThread = {
  readonly text: string;
  /** Tokens of `text` (the sum of its blocks and separators). */
  readonly tokens: number;
  /** Blocks rendered (after ranking and budgeting). */
  readonly shown: number;
  /** Events (of any kind) left out: dropped for budget, or older than the read. */
  readonly omitted: number;
  /** Tokens of the pinned blocks alone; over the budget the thread escalates (effects.ts). */
  readonly pinnedTokens: number;
  /** Pinned blocks alone do not fit the budget: everything pinned is shown anyway, nothing else. */
  readonly overBudget: boolean;
  readonly sections: readonly ContextSection[];
};

export type RenderOutcome =
  | { readonly ok: true; readonly thread: RenderedThread }
  | { readonly ok: false; readonly code: "context_policy_failed"; readonly message: string };

type Item = {
  /** Where the block sits: its event's seq (a summary sits at its range's start). */
  readonly seq: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly text: string;
  readonly tokens: number;
  readonly cls: ContextClass;
  readonly summary: boolean;
};

const SEPARATOR = "\n\n";
const MARKER_RESERVE = '<omitted events="1000000000" reason="context budget: older or less important events left out"/>';
/** At most this many summaries are read (the newest); older ones are themselves summarised or dropped. */
const MAX_SUMMARIES_READ = 16;

/**
 * Renders a thread as the model sees it: a pure function of the log (through `source`),
 * the agent's policy and the limits. Reads newest first until one budget's worth of
 * blocks has been read (or `maxEvents`); older events come in only if pinned (found by
 * seq from the state's marks and open requests, and the human answers) or summarised.
 */
export function renderContext(source: ContextSource, policy: ContextPolicy, limits: ContextLimits, tokenizer: Tokenizer): RenderOutcome {
  const { launch, marks } = source;
  const available = Math.max(0, limits.tokens - limits.reserved);
  const count = (text: string) => tokenizer.count(text + SEPARATOR);
  const markerTokens = count(MARKER_RESERVE);
  const unresolved = new Set((marks?.unresolved ?? []).map((e) => e.seq));
  const unresolvedArgs = new Map((marks?.unresolved ?? []).map((e) => [e.seq, e.args]));
  const latest = new Set(Object.values(marks?.latestResults ?? {}));
  const open = new Set(source.openRequests);

  // 1. The newest events, until one budget's worth of blocks is read.
  const window: { event: Event; text: string; tokens: number }[] = [];
  let read = 0;
  let readTokens = 0;
  let windowStart = launch.seq + 1;
  let lastSeq = launch.seq;
  let complete = true;
  for (const event of source.newestFirst) {
    if (event.seq <= launch.seq) break;
    lastSeq = Math.max(lastSeq, event.seq);
    if (++read > limits.maxEvents || readTokens > available) {
      windowStart = event.seq + 1;
      complete = false;
      break;
    }
    windowStart = event.seq;
    const text = blockOf(event, limits.maxBlockChars, unresolvedArgs);
    if (text === undefined) continue;
    const tokens = count(text);
    readTokens += tokens;
    window.push({ event, text, tokens });
  }
  if (complete) windowStart = launch.seq + 1;

  // 2. Pinned candidates older than the read, and the newest summaries.
  const olderSeqs = new Set<number>();
  for (const seq of [...unresolved, ...latest, ...open]) if (seq < windowStart && seq > launch.seq) olderSeqs.add(seq);
  const compactions = (marks?.compactions ?? []).slice(-MAX_SUMMARIES_READ);
  for (const c of compactions) if (c.seq < windowStart) olderSeqs.add(c.seq);
  const older = [...(olderSeqs.size > 0 ? source.bySeq([...olderSeqs]) : []), ...(windowStart > launch.seq + 1 ? source.answersBefore(windowStart) : [])]
    .filter((e) => e.seq > launch.seq && e.seq < windowStart)
    .sort((a, b) => a.seq - b.seq);
  const olderBlocks = dedupe(older).flatMap((event) => {
    const text = blockOf(event, limits.maxBlockChars, unresolvedArgs);
    return text === undefined ? [] : [{ event, text, tokens: count(text) }];
  });

  // 3. Facts, then the policy's verdict on each block.
  const candidates = [...olderBlocks, ...window.slice().reverse()]; // oldest first
  const facts = factsOf(candidates.map((c) => c.event), unresolved, latest, open);
  const items: Item[] = [];
  const launchText = blockOf(launch, limits.maxBlockChars, unresolvedArgs);
  try {
    if (launchText !== undefined) items.push(itemOf(launch, launchText, verdictOf(policy, launch, { ...NO_FACTS, block: launchText }), true, count, limits.maxBlockChars));
    for (const c of candidates) {
      const f = { ...(facts.get(c.event.seq) ?? NO_FACTS), block: c.text };
      items.push(itemOf(c.event, c.text, verdictOf(policy, c.event, f), f.unresolved, count, limits.maxBlockChars));
    }
  } catch (error) {
    return { ok: false, code: "context_policy_failed", message: error instanceof PolicyError ? error.message : `Context policy "${policy.name}" failed: ${String(error)}` };
  }

  // 4. Summaries stand in for their ranges; what they cover (unless pinned) is not shown twice.
  const chosen = chooseSummaries(items);
  const covered = (item: Item) => !item.summary && item.cls !== "pinned" && chosen.some((s) => item.seq >= s.fromSeq && item.seq <= s.toSeq);
  const coveredItems = items.filter(covered);
  const shownCandidates = items.filter((i) => !covered(i) && (!i.summary || chosen.includes(i)));

  // 5. Over budget: drop low, then normal, then high, oldest first within a class.
  const droppable = shownCandidates.filter((i) => i.cls !== "pinned").sort((a, b) => CLASS_RANK[a.cls] - CLASS_RANK[b.cls] || a.seq - b.seq);
  const kept = new Set(shownCandidates);
  let total = shownCandidates.reduce((sum, i) => sum + i.tokens, 0);
  // A summary that a newer overlapping one replaced leaves nothing out: its events are in that
  // summary or shown in full. Only the unread events, or a block dropped, need the marker.
  const budgetFor = () => available - (!complete || kept.size < shownCandidates.length ? markerTokens : 0);
  for (const item of droppable) {
    if (total <= budgetFor()) break;
    kept.delete(item);
    total -= item.tokens;
  }
  const pinnedTokens = shownCandidates.filter((i) => i.cls === "pinned").reduce((sum, i) => sum + i.tokens, 0);
  const shown = shownCandidates.filter((i) => kept.has(i)).sort((a, b) => a.seq - b.seq);
  const sections = sectionsOf(launch.seq, lastSeq, windowStart, items.filter((i) => !i.summary || chosen.includes(i)), shown, coveredItems);
  const omitted = sections.filter((s) => s.as === "omitted").reduce((n, s) => n + s.toSeq - s.fromSeq + 1, 0);
  const marker = omitted > 0 ? `<omitted events="${omitted}" reason="context budget: older or less important events left out"/>` : undefined;
  const [first, ...rest] = shown;
  const parts = first && first.seq === launch.seq ? [first.text, ...(marker ? [marker] : []), ...rest.map((i) => i.text)] : [...(marker ? [marker] : []), ...shown.map((i) => i.text)];
  return {
    ok: true,
    thread: {
      text: parts.join(SEPARATOR),
      tokens: total + (marker ? count(marker) : 0),
      shown: shown.length,
      omitted,
      pinnedTokens,
      overBudget: pinnedTokens + (marker ? count(marker) : 0) > available,
      sections,
    },
  };
}

const NO_FACTS: ContextFacts = { block: "", unresolved: false, resolved: false, latestResult: false, superseded: false, open: false };

class PolicyError extends Error {}

function verdictOf(policy: ContextPolicy, event: Event, facts: ContextFacts): ContextVerdict {
  let answer: unknown;
  try {
    answer = policy.classify(event, facts);
  } catch (error) {
    throw new PolicyError(`Context policy "${policy.name}" threw on event ${event.seq} (${event.type}): ${error instanceof Error ? error.message : String(error)}`.slice(0, 400));
  }
  const parsed = ContextVerdict.safeParse(answer);
  if (!parsed.success) {
    const shown = (() => {
      try {
        return JSON.stringify(answer)?.slice(0, 120) ?? String(answer);
      } catch {
        return String(answer).slice(0, 120);
      }
    })();
    throw new PolicyError(`Context policy "${policy.name}" answered ${shown} for event ${event.seq} (${event.type}); expected {class: "pinned" | "high" | "normal" | "low", text?: string}.`);
  }
  return parsed.data;
}

function itemOf(event: Event, text: string, verdict: ContextVerdict, forcePinned: boolean, count: (t: string) => number, maxBlockChars: number): Item {
  // The launch and an unresolved error are pinned whatever the policy says (invariant 11); a policy may shorten them.
  const pinned = forcePinned || event.type === "thread_launched";
  const shown = verdict.text !== undefined ? truncate(verdict.text, maxBlockChars) : text;
  const range = event.type === "context_compacted" ? { fromSeq: event.data.fromSeq, toSeq: event.data.toSeq } : { fromSeq: event.seq, toSeq: event.seq };
  return {
    seq: event.type === "context_compacted" ? event.data.fromSeq : event.seq,
    ...range,
    text: shown,
    tokens: shown === text ? count(text) : count(shown),
    cls: pinned ? "pinned" : verdict.class,
    summary: event.type === "context_compacted",
  };
}

/** Newest first, the summaries that overlap no newer chosen one. */
function chooseSummaries(items: readonly Item[]): Item[] {
  const chosen: Item[] = [];
  const summaries = items.filter((i) => i.summary).sort((a, b) => b.toSeq - a.toSeq || b.fromSeq - a.fromSeq);
  for (const s of summaries) if (!chosen.some((c) => s.fromSeq <= c.toSeq && c.fromSeq <= s.toSeq)) chosen.push(s);
  return chosen;
}

/** Facts the policy gets: resolution from the state's marks, supersession from the events read. */
function factsOf(events: readonly Event[], unresolved: ReadonlySet<number>, latest: ReadonlySet<number>, open: ReadonlySet<number>): Map<number, ContextFacts> {
  const argsOf = new Map<string, JsonObject>();
  for (const e of events) if (e.type === "model_decided" || e.type === "call_planned") argsOf.set(e.data.callId, e.data.args);
  const facts = new Map<number, ContextFacts>();
  const newerResults = new Set<string>();
  let newerDecision = false;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as Event;
    if (e.type === "model_decided") newerDecision = true;
    if (e.type === "human_requested") {
      facts.set(e.seq, { ...NO_FACTS, open: open.has(e.seq) });
    } else if (e.type === "tool_failed") {
      const open = unresolved.has(e.seq);
      facts.set(e.seq, { ...NO_FACTS, unresolved: open, resolved: !open });
    } else if (e.type === "model_failed") {
      facts.set(e.seq, { ...NO_FACTS, unresolved: !newerDecision, resolved: newerDecision });
    } else if (e.type === "tool_succeeded") {
      const args = argsOf.get(e.data.callId);
      const key = args ? `${e.data.tool}\u0000${canonicalJson(args)}` : undefined;
      facts.set(e.seq, { ...NO_FACTS, latestResult: latest.has(e.seq), superseded: key !== undefined && newerResults.has(key) });
      if (key) newerResults.add(key);
    }
  }
  return facts;
}

function dedupe(events: readonly Event[]): Event[] {
  return events.filter((e, i) => i === 0 || (events[i - 1] as Event).seq !== e.seq);
}

/**
 * What each range of the log became: shown in full, summarised, or omitted and why.
 * Events the model never sees take the label of the range around them.
 */
function sectionsOf(launchSeq: number, lastSeq: number, windowStart: number, items: readonly Item[], shown: readonly Item[], coveredItems: readonly Item[]): ContextSection[] {
  const kept = new Set(shown);
  const covered = new Set(coveredItems);
  const spans: ContextSection[] = [];
  for (const item of items) {
    if (item.summary) {
      spans.push({ fromSeq: item.fromSeq, toSeq: item.toSeq, as: kept.has(item) ? "summary" : "omitted", reason: kept.has(item) ? "summarised" : "summary over budget" });
    } else if (covered.has(item)) {
      continue; // inside a summary's span
    } else {
      spans.push({ fromSeq: item.seq, toSeq: item.seq, as: kept.has(item) ? "full" : "omitted", reason: kept.has(item) ? (item.cls === "pinned" ? "pinned" : item.cls) : `over budget (${item.cls})` });
    }
  }
  spans.sort((a, b) => a.fromSeq - b.fromSeq || a.toSeq - b.toSeq);
  // The unread gap between the launch and the read, around what was found in it.
  const gaps: ContextSection[] = [];
  let cursor = launchSeq + 1;
  for (const span of spans.filter((s) => s.fromSeq < windowStart)) {
    if (span.fromSeq > cursor) gaps.push({ fromSeq: cursor, toSeq: span.fromSeq - 1, as: "omitted", reason: "older than the read" });
    cursor = Math.max(cursor, span.toSeq + 1);
  }
  if (cursor < windowStart) gaps.push({ fromSeq: cursor, toSeq: windowStart - 1, as: "omitted", reason: "older than the read" });
  const all = [...spans, ...gaps].sort((a, b) => a.fromSeq - b.fromSeq || a.toSeq - b.toSeq);
  // Merge neighbours with the same outcome; a hole between two spans is events the model
  // never sees, and joins the span after it.
  const merged: ContextSection[] = [];
  for (const s of all) {
    const last = merged[merged.length - 1];
    if (last && s.fromSeq > last.toSeq && last.as === s.as && last.reason === s.reason) merged[merged.length - 1] = { ...last, toSeq: s.toSeq };
    else if (last && s.fromSeq > last.toSeq + 1) merged.push({ ...s, fromSeq: last.toSeq + 1 });
    else merged.push(s);
  }
  const tail = merged[merged.length - 1];
  if (tail && tail.toSeq < lastSeq) merged[merged.length - 1] = { ...tail, toSeq: lastSeq };
  return merged;
}

/** A block, with an unresolved error's arguments (its decision may be long gone from the context). */
function blockOf(event: Event, maxBlockChars: number, unresolvedArgs: ReadonlyMap<number, JsonObject>): string | undefined {
  const text = block(event, maxBlockChars);
  const args = unresolvedArgs.get(event.seq);
  if (text === undefined || args === undefined || event.type !== "tool_failed") return text;
  return text.replace(/\n<\/error>$/, `\nargs: ${truncate(canonicalJson(args), 1_000)}\n</error>`);
}
