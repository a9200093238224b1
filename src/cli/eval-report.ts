import type { CaseView, EvalView } from "../evals/schemas";
import { canonicalJson, type Json } from "../core/json";

// `npm run eval` output: pure text from the eval's report.

const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);

export function summaryTable(view: EvalView): string {
  const s = view.summary;
  const baseline = view.baseline.map((b) => `${b.variant} ${b.promptVersion} ${b.model} (${b.questions})`).join("; ");
  const rows: [string, string][] = [
    ["eval", view.id],
    ["agent", view.agent],
    ["candidate", `${view.candidate.variant} ${view.candidate.promptVersion} ${view.candidate.model}`],
    ["baseline", baseline],
    ["threads", String(view.threads)],
    ["questions", `${s.questions} (answered ${s.answered})`],
    ["same tool", `${s.sameTool} (${pct(s.answered ? s.sameTool / s.answered : null)})`],
    ["same tool and args", `${s.sameArgs}`],
    ["errors", String(s.errors)],
    ["agreement", pct(s.agreement)],
    ["tokens", `baseline ${s.tokens.baseline}, candidate ${s.tokens.candidate}`],
    ["latency", `p50 ${s.latencyMs.p50 ?? "-"} ms, p95 ${s.latencyMs.p95 ?? "-"} ms`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

export function differingCases(cases: readonly CaseView[]): string {
  if (cases.length === 0) return "no differing cases";
  const call = (c: CaseView["candidate"]) => ("error" in c ? `error ${c.error.code}: ${c.error.message}` : `${c.tool} ${canonicalJson(c.args as Json)}`);
  return [
    `${cases.length} differing case(s):`,
    ...cases.map((c) => `  ${c.threadId} @${c.seq}\n    baseline:  ${call(c.baseline)}\n    candidate: ${call(c.candidate)}`),
  ].join("\n");
}
