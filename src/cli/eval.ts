/// <reference types="node" />
/**
 * `npm run eval -- --agent deploybot --variant terse [--since 7d] [--min-agreement 0.9]`:
 * starts an eval on a running server (EDGE_AGENTS_URL, API_TOKEN), shows progress, prints
 * the summary and the differing cases, and exits 1 when agreement falls below
 * --min-agreement, so a prompt change can be gated in CI (docs/evals.md).
 */
import { runEvalCli } from "./eval-run";

process.exitCode = await runEvalCli(process.argv.slice(2), process.env, {
  fetch,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
});
