import type { CaseView, EvalView } from "../evals/schemas";
import { parseEvalArgs, USAGE } from "./eval-args";
import { differingCases, summaryTable } from "./eval-report";

export type CliIo = {
  readonly fetch: typeof fetch;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
};

/** The whole CLI as a function of its arguments, environment and I/O; returns the exit code. */
export async function runEvalCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parsed = parseEvalArgs(argv);
  if (!parsed.ok) {
    io.err(`${parsed.message}\n${USAGE}`);
    return 2;
  }
  const { args } = parsed;
  const base = (env["EDGE_AGENTS_URL"] || "http://localhost:8787").replace(/\/+$/, "");
  const token = env["API_TOKEN"];
  if (!token) {
    io.err(`API_TOKEN is not set\n${USAGE}`);
    return 2;
  }
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await io.fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const started = await call(`/v1/agents/${encodeURIComponent(args.agent)}/evals`, { method: "POST", body: JSON.stringify(args.body) });
  if (started.status !== 202) {
    const error = started.body["error"] as { code?: string; message?: string } | undefined;
    io.err(`refused (${started.status} ${error?.code ?? "error"}): ${error?.message ?? JSON.stringify(started.body)}`);
    return 2;
  }
  const id = String(started.body["id"]);
  io.err(`eval ${id}: ${String(started.body["total"])} questions over ${String(started.body["threads"])} threads`);

  const giveUp = io.now() + args.timeoutSeconds * 1000;
  let view: EvalView;
  let shown = -1;
  for (;;) {
    const polled = await call(`/v1/evals/${id}?limit=1`);
    if (polled.status !== 200) {
      io.err(`eval ${id} vanished (${polled.status})`);
      return 2;
    }
    view = polled.body as unknown as EvalView;
    if (view.progress.done !== shown) {
      shown = view.progress.done;
      io.err(`progress ${view.progress.done}/${view.progress.total}`);
    }
    if (view.status === "done") break;
    if (io.now() > giveUp) {
      io.err(`eval ${id} did not finish within ${args.timeoutSeconds} s; it keeps running: GET /v1/evals/${id}`);
      return 1;
    }
    await io.sleep(args.pollMs);
  }

  const differing: CaseView[] = [];
  let cursor: string | undefined;
  do {
    const page = (await call(`/v1/evals/${id}?only=differing&limit=500${cursor ? `&cursor=${cursor}` : ""}`)).body as unknown as EvalView;
    differing.push(...page.cases);
    cursor = page.next;
  } while (cursor);

  io.out(summaryTable(view));
  io.out("");
  io.out(differingCases(differing));
  const agreement = view.summary.agreement ?? 0;
  if (args.minAgreement !== undefined && agreement < args.minAgreement) {
    io.out(`\nFAIL: agreement ${(agreement * 100).toFixed(1)}% is below --min-agreement ${(args.minAgreement * 100).toFixed(1)}%`);
    return 1;
  }
  return 0;
}
