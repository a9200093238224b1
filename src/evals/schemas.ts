import { z } from "zod";
import { JsonObject } from "../core";

// Every shape the evals API takes and returns, in one file, so the OpenAPI contract
// (src/triggers/http/contract) can reference them when the routes are wired into it.

export const EvalId = z.string().regex(/^ev_[0-9a-f]{32}$/, "an eval id (ev_ and 32 hex digits)");
export type EvalId = z.infer<typeof EvalId>;

/** `7d`, `24h`, `90m`, or an ISO-8601 instant: threads created at or after it. */
export const Since = z.union([
  z.string().regex(/^\d{1,4}[dhm]$/, "a duration such as 7d, 24h or 90m"),
  z.iso.datetime({ offset: true }),
]);

export const EvalFilter = z.strictObject({
  status: z.enum(["running", "waiting_for_human", "paused", "done", "failed", "cancelled"]).optional(),
  variant: z.string().min(1).max(40).optional(),
  since: Since.optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

export const StartEvalBody = z
  .strictObject({
    threads: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
    filter: EvalFilter.optional(),
    /** The candidate prompt variant; the agent's default prompt when absent. */
    variant: z.string().min(1).max(40).optional(),
    /** The candidate model; the configured MODEL when absent. */
    model: z.string().regex(/^[\x21-\x7e]{1,200}$/, "1-200 printable ASCII characters").optional(),
    /** Every past model step of each thread, or only its first one. */
    steps: z.enum(["all", "first"]).default("all"),
  })
  .refine((b) => !(b.threads && b.filter), { message: "Give either `threads` or `filter`, not both." });
export type StartEvalBody = z.infer<typeof StartEvalBody>;

export const EvalStatus = z.enum(["running", "done"]);
export type EvalStatus = z.infer<typeof EvalStatus>;

/** A decision: the one tool call and its arguments. */
export const Decision = z.object({ tool: z.string(), args: JsonObject });
export type Decision = z.infer<typeof Decision>;

export const CandidateAnswer = z.union([Decision, z.object({ error: z.object({ code: z.string(), message: z.string() }) })]);
export type CandidateAnswer = z.infer<typeof CandidateAnswer>;

/** One past model step of one thread: what was decided, and what the candidate was asked with. */
export const Question = z.object({
  threadId: z.string(),
  /** The seq of the recorded `model_decided`. */
  seq: z.number().int().positive(),
  /** The last seq the recorded decision's context was rendered from. */
  seenSeq: z.number().int().nonnegative(),
  baseline: Decision.extend({
    promptVersion: z.string(),
    model: z.string(),
    variant: z.string(),
    tokens: z.number().int().nonnegative(),
  }),
});
export type Question = z.infer<typeof Question>;

/** What the candidate answered to one question. */
export const Answer = z.object({
  candidate: CandidateAnswer,
  tokens: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
});
export type Answer = z.infer<typeof Answer>;

export const Candidate = z.object({ variant: z.string(), model: z.string(), promptVersion: z.string() });
export type Candidate = z.infer<typeof Candidate>;

export const CaseView = z.object({
  threadId: z.string(),
  seq: z.number().int(),
  baseline: Decision,
  candidate: CandidateAnswer,
  same: z.boolean(),
});
export type CaseView = z.infer<typeof CaseView>;

export const Summary = z.object({
  questions: z.number().int(),
  answered: z.number().int(),
  sameTool: z.number().int(),
  sameArgs: z.number().int(),
  errors: z.number().int(),
  /** sameArgs / answered (an error counts as a disagreement); null before any answer. */
  agreement: z.number().nullable(),
  tokens: z.object({ baseline: z.number().int(), candidate: z.number().int() }),
  latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
});
export type Summary = z.infer<typeof Summary>;

export const BaselineVersion = z.object({ variant: z.string(), promptVersion: z.string(), model: z.string(), questions: z.number().int() });

export const EvalView = z.object({
  id: EvalId,
  agent: z.string(),
  status: EvalStatus,
  createdAt: z.string(),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  candidate: Candidate,
  baseline: z.array(BaselineVersion),
  threads: z.number().int(),
  steps: z.enum(["all", "first"]),
  summary: Summary,
  cases: z.array(CaseView),
  /** Pass as `?cursor=` for the next page of cases. */
  next: z.string().optional(),
});
export type EvalView = z.infer<typeof EvalView>;

export const CasesQuery = z.strictObject({
  cursor: z.string().regex(/^\d{1,9}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** `differing`: only the cases where the candidate decided otherwise (or failed). */
  only: z.enum(["all", "differing"]).default("all"),
});
export type CasesQuery = z.infer<typeof CasesQuery>;

export const EvalListItem = EvalView.pick({ id: true, agent: true, status: true, createdAt: true, progress: true, candidate: true }).extend({
  agreement: z.number().nullable(),
});
export const EvalList = z.object({ evals: z.array(EvalListItem) });

/** A start's answer: 202 running; a repeat with the same Idempotency-Key (200) shows the eval's status now. */
export const StartedEval = z.object({ id: EvalId, status: EvalStatus, total: z.number().int(), threads: z.number().int() });

/** One queue message: some questions of one eval (all of one thread, so its log is read once). */
export const EvalMessage = z.object({ evalId: EvalId, questions: z.array(z.number().int().nonnegative()).min(1).max(50) });
export type EvalMessage = z.infer<typeof EvalMessage>;
