import type { Answer, Question, Summary } from "./schemas";
import { compare } from "./questions";

// Pure: the report's numbers from the questions and the answers so far.

export function summarize(questions: readonly Question[], answers: ReadonlyMap<number, Answer>): Summary {
  let sameTool = 0;
  let sameArgs = 0;
  let errors = 0;
  let baselineTokens = 0;
  let candidateTokens = 0;
  const latencies: number[] = [];
  questions.forEach((question, n) => {
    baselineTokens += question.baseline.tokens;
    const answer = answers.get(n);
    if (!answer) return;
    candidateTokens += answer.tokens;
    latencies.push(answer.latencyMs);
    if ("error" in answer.candidate) errors++;
    const verdict = compare(question, answer);
    if (verdict.sameTool) sameTool++;
    if (verdict.same) sameArgs++;
  });
  const answered = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    questions: questions.length,
    answered,
    sameTool,
    sameArgs,
    errors,
    agreement: answered === 0 ? null : sameArgs / answered,
    tokens: { baseline: baselineTokens, candidate: candidateTokens },
    latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
  };
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? null;
}
