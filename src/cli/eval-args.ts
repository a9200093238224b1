// `npm run eval` arguments: pure, so the parsing is tested without a server.

export type EvalArgs = {
  readonly agent: string;
  readonly body: Record<string, unknown>;
  readonly minAgreement?: number;
  readonly timeoutSeconds: number;
  readonly pollMs: number;
};

export const USAGE = `usage: npm run eval -- --agent <name> [--variant <name>] [--model <name>]
         [--since 7d|24h|<ISO time>] [--status done|failed|...] [--limit <threads>] [--threads id,id]
         [--steps all|first] [--min-agreement 0.9] [--timeout <seconds>]
env: EDGE_AGENTS_URL (default http://localhost:8787), API_TOKEN (required)
exit: 0 ok, 1 agreement below --min-agreement (or errors), 2 usage or request refused`;

const FLAGS = new Set(["agent", "variant", "model", "since", "status", "limit", "threads", "steps", "min-agreement", "timeout", "poll-ms"]);

export function parseEvalArgs(argv: readonly string[]): { ok: true; args: EvalArgs } | { ok: false; message: string } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const [name, inline] = flag.startsWith("--") ? flag.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    if (!name || !FLAGS.has(name)) return { ok: false, message: `unknown argument ${flag}` };
    const value = inline ?? argv[++i];
    if (value === undefined || value === "") return { ok: false, message: `--${name} needs a value` };
    values.set(name, value);
  }
  const agent = values.get("agent");
  if (!agent) return { ok: false, message: "--agent is required" };
  const number = (name: string, min: number, max: number): number | undefined | Error => {
    const raw = values.get(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= min && n <= max ? n : new Error(`--${name} must be a number from ${min} to ${max}`);
  };
  const minAgreement = number("min-agreement", 0, 1);
  const limit = number("limit", 1, 10_000);
  const timeout = number("timeout", 1, 86_400);
  const pollMs = number("poll-ms", 50, 60_000);
  for (const n of [minAgreement, limit, timeout, pollMs]) if (n instanceof Error) return { ok: false, message: n.message };
  const threads = values.get("threads")?.split(",").map((s) => s.trim()).filter(Boolean);
  const filter = {
    ...(values.has("since") ? { since: values.get("since") } : {}),
    ...(values.has("status") ? { status: values.get("status") } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  if (threads && Object.keys(filter).length > 0) return { ok: false, message: "--threads cannot be combined with --since, --status or --limit" };
  const body: Record<string, unknown> = {
    ...(threads ? { threads } : { filter }),
    ...(values.has("variant") ? { variant: values.get("variant") } : {}),
    ...(values.has("model") ? { model: values.get("model") } : {}),
    ...(values.has("steps") ? { steps: values.get("steps") } : {}),
  };
  return {
    ok: true,
    args: {
      agent,
      body,
      ...(typeof minAgreement === "number" ? { minAgreement } : {}),
      timeoutSeconds: typeof timeout === "number" ? timeout : 600,
      pollMs: typeof pollMs === "number" ? pollMs : 1000,
    },
  };
}
