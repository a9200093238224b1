import type { AgentDefinition } from "../agents";
import { DEFAULT_VARIANT } from "../agents/variants";
import { ThreadId, type Event } from "../core";
import { listThreads } from "../runtime/index/thread-index";
import { threadStub } from "../runtime/thread-stub";
import { questionsOf } from "./questions";
import type { Question, StartEvalBody } from "./schemas";
import { setting, SETTINGS } from "../settings";

export type Limits = { readonly maxThreads: number; readonly maxQuestions: number };

export const DEFAULT_LIMITS: Limits = { maxThreads: SETTINGS.EVAL_MAX_THREADS.default, maxQuestions: SETTINGS.EVAL_MAX_QUESTIONS.default };

/** A refusal with the HTTP status and code the route answers with. */
export type SelectionError = { readonly status: 400 | 404 | 413; readonly code: string; readonly message: string; readonly details?: unknown };

export type Selection = { readonly ok: true; readonly threads: number; readonly questions: Question[] } | ({ readonly ok: false } & SelectionError);

export function limitsFrom(env: Pick<Env, "EVAL_MAX_THREADS" | "EVAL_MAX_QUESTIONS">): Limits {
  return { maxThreads: setting(env, "EVAL_MAX_THREADS"), maxQuestions: setting(env, "EVAL_MAX_QUESTIONS") };
}

/**
 * The threads an eval covers and their questions. Threads are read only, through their
 * public RPCs (`thread`, `events`); nothing here can change one.
 */
export async function select(env: Env, agent: AgentDefinition, body: StartEvalBody, limits: Limits, now: number): Promise<Selection> {
  const ids = body.threads ? await named(env, agent, body.threads, limits) : await filtered(env, agent, body.filter ?? {}, limits, now);
  if (!ids.ok) return ids;
  const questions: Question[] = [];
  for (const id of ids.ids) {
    questions.push(...questionsOf(await logOf(env, id), body.steps));
    if (questions.length > limits.maxQuestions) {
      return refuse(413, "selection_too_large", `The selection has more than ${limits.maxQuestions} model steps (EVAL_MAX_QUESTIONS); narrow it or use "steps": "first".`, {
        maxQuestions: limits.maxQuestions,
      });
    }
  }
  if (questions.length === 0) {
    return refuse(400, "empty_selection", `The selected threads (${ids.ids.length}) have no recorded model decisions to evaluate.`, { threads: ids.ids.length });
  }
  return { ok: true, threads: ids.ids.length, questions };
}

type Ids = { readonly ok: true; readonly ids: ThreadId[] } | ({ readonly ok: false } & SelectionError);

async function named(env: Env, agent: AgentDefinition, raw: readonly string[], limits: Limits): Promise<Ids> {
  const unique = [...new Set(raw)];
  if (unique.length > limits.maxThreads) return tooMany(limits);
  const ids: ThreadId[] = [];
  for (const value of unique) {
    const id = ThreadId.safeParse(value);
    if (!id.success) return refuse(400, "invalid_thread_id", `"${value.slice(0, 80)}" is not a valid thread id.`);
    const view = await threadStub(env, id.data).thread();
    if (!view) return refuse(404, "thread_not_found", `No thread ${id.data}.`);
    if (view.agent !== agent.name) {
      return refuse(400, "thread_of_other_agent", `Thread ${id.data} belongs to agent ${view.agent}, not ${agent.name}.`, { threadId: id.data, agent: view.agent });
    }
    ids.push(id.data);
  }
  return { ok: true, ids };
}

async function filtered(env: Env, agent: AgentDefinition, filter: NonNullable<StartEvalBody["filter"]>, limits: Limits, now: number): Promise<Ids> {
  if (filter.variant !== undefined && !agent.variants.some((v) => v.name === filter.variant)) {
    return refuse(400, "unknown_variant", `Agent ${agent.name} has no prompt variant "${filter.variant}".`);
  }
  const since = filter.since !== undefined ? sinceInstant(filter.since, now) : undefined;
  const want = filter.limit ?? limits.maxThreads;
  if (want > limits.maxThreads) return tooMany(limits);
  const ids: ThreadId[] = [];
  let before: { createdAt: string; id: string } | undefined;
  // Newest first, so paging stops at the first thread older than `since`.
  for (;;) {
    const page = await listThreads(env, { agent: agent.name, limit: 100, ...(filter.status ? { status: filter.status } : {}), ...(before ? { before } : {}) });
    for (const summary of page.threads) {
      if (since !== undefined && summary.createdAt < since) return done(ids);
      if (filter.variant !== undefined && (summary.variant ?? DEFAULT_VARIANT) !== filter.variant) continue;
      if (ids.length === want) {
        // More match than the cap allows and no limit was asked for: say so rather than cut silently.
        return filter.limit === undefined ? tooMany(limits) : done(ids);
      }
      ids.push(ThreadId.parse(summary.id));
    }
    if (!page.next) return done(ids);
    before = page.next;
  }
}

const done = (ids: ThreadId[]): Ids => ({ ok: true, ids });

const tooMany = (limits: Limits) =>
  refuse(413, "selection_too_large", `The selection has more than ${limits.maxThreads} threads (EVAL_MAX_THREADS); narrow the filter or pass "limit".`, {
    maxThreads: limits.maxThreads,
  });

function refuse(status: SelectionError["status"], code: string, message: string, details?: unknown): { ok: false } & SelectionError {
  return { ok: false, status, code, message, ...(details !== undefined ? { details } : {}) };
}

/** `7d` / `24h` / `90m` before now, or the instant itself, as an ISO string comparable with createdAt. */
export function sinceInstant(since: string, now: number): string {
  const relative = /^(\d+)([dhm])$/.exec(since);
  if (!relative) return new Date(since).toISOString();
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as "d" | "h" | "m"];
  return new Date(now - Number(relative[1]) * unit).toISOString();
}

async function logOf(env: Env, id: ThreadId): Promise<Event[]> {
  const thread = threadStub(env, id);
  const events: Event[] = [];
  let after = 0;
  for (;;) {
    const page = await thread.events(after, 1000);
    events.push(...page.events);
    if (page.next === undefined) return events;
    after = page.next;
  }
}
