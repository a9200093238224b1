import { canonicalJson, type Event } from "../core";
import { DEFAULT_VARIANT } from "../agents/variants";
import type { Answer, CaseView, Question } from "./schemas";

// Pure: which past steps of a thread are questions, and whether an answer agrees.

/**
 * The questions of one thread's log: each recorded model decision, with the context
 * frontier (`seenSeq`) it was rendered from. A failed model step decided nothing, and
 * a pre-fetched call (Factor 13) was not the model's choice, so neither is a question.
 */
export function questionsOf(events: readonly Event[], steps: "all" | "first"): Question[] {
  const launch = events[0];
  if (!launch || launch.type !== "thread_launched") return [];
  const variant = launch.data.variant ?? DEFAULT_VARIANT;
  const questions: Question[] = [];
  for (const event of events) {
    if (event.type !== "model_decided") continue;
    const usage = event.data.usage;
    questions.push({
      threadId: launch.data.threadId,
      seq: event.seq,
      seenSeq: event.data.seenSeq,
      baseline: {
        tool: event.data.tool,
        args: event.data.args,
        promptVersion: event.data.promptVersion,
        model: event.data.model,
        variant,
        tokens: usage ? usage.promptTokens + usage.completionTokens : 0,
      },
    });
    if (steps === "first") break;
  }
  return questions;
}

/** Same tool, and arguments equal as canonical JSON (key order does not matter). */
export function compare(question: Question, answer: Answer): { sameTool: boolean; same: boolean } {
  const candidate = answer.candidate;
  if ("error" in candidate) return { sameTool: false, same: false };
  const sameTool = candidate.tool === question.baseline.tool;
  return { sameTool, same: sameTool && canonicalJson(candidate.args) === canonicalJson(question.baseline.args) };
}

export function caseView(question: Question, answer: Answer): CaseView {
  return {
    threadId: question.threadId,
    seq: question.seq,
    baseline: { tool: question.baseline.tool, args: question.baseline.args },
    candidate: answer.candidate,
    same: compare(question, answer).same,
  };
}
