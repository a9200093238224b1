/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { z } from "zod";
import type { CandidateAnswer, CaseView, EvalListItem, EvalView } from "../../evals/schemas";
import { Layout, StackTable, StatusBadge } from "./layout";

// Evals in the console (docs/evals.md): start one from the agent page, watch its progress,
// read the differing cases side by side. The live part is one server-rendered section that
// the client script re-fetches while the eval runs.

const STATUSES = ["done", "failed", "cancelled", "running", "waiting_for_human", "paused"] as const;
const percent = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);

/** The start form. `requestKey` is this form's Idempotency-Key: submitting it twice starts one eval. */
export const EvalStartForm: FC<{ agent: string; variants: readonly string[]; model?: string; requestKey: string }> = ({ agent, variants, model, requestKey }) => (
  <form method="post" action={`/console/agents/${agent}/evals`} class="card" aria-labelledby="eval-start-h">
    <h3 id="eval-start-h">Start an eval</h3>
    <p class="muted">Asks the candidate prompt or model each recorded decision of the chosen threads again. Nothing runs: no tool, no thread changes.</p>
    <input type="hidden" name="key" value={requestKey} />
    <div class="filters">
      <div>
        <label for="ev-variant">Candidate variant</label>
        <select id="ev-variant" name="variant">
          {variants.map((v) => (
            <option value={v}>{v}</option>
          ))}
        </select>
      </div>
      <div>
        <label for="ev-model">Candidate model</label>
        <input id="ev-model" name="model" maxlength={200} placeholder={model ?? "the configured MODEL"} />
      </div>
      <div>
        <label for="ev-steps">Steps</label>
        <select id="ev-steps" name="steps">
          <option value="all">every model step</option>
          <option value="first">each thread's first step</option>
        </select>
      </div>
    </div>
    <fieldset>
      <legend>Threads: by filter (newest first) …</legend>
      <div class="filters">
        <div>
          <label for="ev-status">Status</label>
          <select id="ev-status" name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s.replaceAll("_", " ")}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="ev-since">Created since</label>
          <input id="ev-since" name="since" maxlength={40} placeholder="7d, 24h, 90m or an ISO time" />
        </div>
        <div>
          <label for="ev-limit">At most</label>
          <input id="ev-limit" name="limit" type="number" min={1} max={10000} inputmode="numeric" placeholder="threads" />
        </div>
      </div>
      <label for="ev-threads">… or these thread ids</label>
      <textarea id="ev-threads" name="threads" rows={2} maxlength={20000} placeholder="t_… t_… (spaces, commas or lines)"></textarea>
    </fieldset>
    <p>
      <button type="submit">Start eval</button>
    </p>
  </form>
);

export const EvalListTable: FC<{ evals: readonly z.infer<typeof EvalListItem>[] }> = ({ evals }) =>
  evals.length === 0 ? (
    <p class="muted">No evals yet.</p>
  ) : (
    <StackTable
      id="evals"
      columns={["Eval", "Candidate", "Status", "Progress", "Agreement", "Started"]}
      rows={evals.map((e) => ({
        cells: [
          <a href={`/console/evals/${e.id}`}>{e.id}</a>,
          `${e.candidate.variant} · ${e.candidate.model}`,
          <StatusBadge status={e.status} />,
          `${e.progress.done} of ${e.progress.total}`,
          percent(e.agreement),
          <time datetime={e.createdAt}>{e.createdAt}</time>,
        ],
      }))}
    />
  );

const Decision: FC<{ answer: z.infer<typeof CandidateAnswer> }> = ({ answer }) =>
  "error" in answer ? (
    <p class="error-box">
      <code>{answer.error.code}</code>: {answer.error.message}
    </p>
  ) : (
    <>
      <strong class="tool">{answer.tool}</strong>
      <pre>{JSON.stringify(answer.args, null, 2)}</pre>
    </>
  );

/** Each case side by side: what was decided then, what the candidate decides now. */
const Cases: FC<{ cases: readonly z.infer<typeof CaseView>[] }> = ({ cases }) => (
  <StackTable
    id="eval-cases"
    class="cases"
    columns={["Step", "Baseline", "Candidate"]}
    rows={cases.map((k) => ({
      attrs: { "data-case": `${k.threadId}@${k.seq}`, class: k.same ? "same" : "differs" },
      cells: [
        <>
          <a href={`/console/threads/${k.threadId}#e${k.seq}`}>{k.threadId}</a> #{k.seq} <StatusBadge status={k.same ? "same" : "differs"} />
        </>,
        <Decision answer={k.baseline} />,
        <Decision answer={k.candidate} />,
      ],
    }))}
  />
);

export type CasesShown = { only: "all" | "differing"; cursor?: string };

/** The live part of the eval page: status, progress, summary and the cases shown. */
export const EvalReport: FC<{ view: z.infer<typeof EvalView>; shown: CasesShown }> = ({ view, shown }) => {
  const s = view.summary;
  const query = (q: CasesShown) => new URLSearchParams({ only: q.only, ...(q.cursor ? { cursor: q.cursor } : {}) }).toString();
  return (
    <section id="eval" data-status={view.status} data-live={`/console/evals/${view.id}/report?${query(shown)}`} aria-labelledby="eval-status-h">
      <h2 id="eval-status-h">
        <StatusBadge status={view.status} />{" "}
        {view.progress.done} of {view.progress.total} questions answered
      </h2>
      <progress id="eval-progress" max={view.progress.total} value={view.progress.done} aria-label="Questions answered">
        {view.progress.done} of {view.progress.total}
      </progress>
      <table id="eval-summary">
        <tbody>
          <tr>
            <th scope="row">Agreement (same tool and arguments)</th>
            <td>{percent(s.agreement)}</td>
          </tr>
          <tr>
            <th scope="row">Same tool</th>
            <td>
              {s.sameTool} of {s.answered}
            </td>
          </tr>
          <tr>
            <th scope="row">Same tool and arguments</th>
            <td>
              {s.sameArgs} of {s.answered}
            </td>
          </tr>
          <tr>
            <th scope="row">Candidate errors</th>
            <td>{s.errors}</td>
          </tr>
          <tr>
            <th scope="row">Tokens</th>
            <td>
              baseline {s.tokens.baseline}, candidate {s.tokens.candidate}
            </td>
          </tr>
          <tr>
            <th scope="row">Latency</th>
            <td>
              p50 {s.latencyMs.p50 ?? "-"} ms, p95 {s.latencyMs.p95 ?? "-"} ms
            </td>
          </tr>
        </tbody>
      </table>
      <h2 id="cases-h">{shown.only === "differing" ? "Differing cases" : "All answered cases"}</h2>
      <nav class="actions" aria-label="Cases shown">
        <a href={`/console/evals/${view.id}?only=differing`} aria-current={shown.only === "differing" ? "page" : undefined}>
          Differing only
        </a>
        <a href={`/console/evals/${view.id}?only=all`} aria-current={shown.only === "all" ? "page" : undefined}>
          All cases
        </a>
      </nav>
      {view.cases.length ? <Cases cases={view.cases} /> : <p class="muted">{view.status === "running" ? "No such case answered yet." : "None."}</p>}
      {view.next ? (
        <p>
          <a href={`/console/evals/${view.id}?${query({ only: shown.only, cursor: view.next })}`} rel="next">
            Next cases
          </a>
        </p>
      ) : null}
    </section>
  );
};

export const EvalPage: FC<{ who: string; view: z.infer<typeof EvalView>; shown: CasesShown }> = ({ who, view, shown }) => (
  <Layout title={`Eval ${view.id}`} nav="agents" who={who}>
    <h1>Eval {view.id}</h1>
    <p>
      Agent <a href={`/console/agents/${view.agent}`}>{view.agent}</a> · candidate variant <strong>{view.candidate.variant}</strong> (
      <code>{view.candidate.promptVersion.slice(0, 19)}</code>), model <strong>{view.candidate.model}</strong> · {view.threads} thread(s), {view.steps === "first" ? "first steps" : "every step"} · started{" "}
      <time datetime={view.createdAt}>{view.createdAt}</time>
    </p>
    <p class="muted">
      Baseline:{" "}
      {view.baseline.map((b) => `${b.variant} ${b.promptVersion.slice(0, 19)} ${b.model} (${b.questions})`).join("; ") || "none"}
    </p>
    <EvalReport view={view} shown={shown} />
  </Layout>
);
