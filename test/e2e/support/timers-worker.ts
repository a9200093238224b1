/**
 * TEST ONLY: the Worker the e2e timer tests run under `wrangler dev`: src/index.ts's
 * runtime and agents, plus one agent whose delegation deadline is 3 s (set in code, as
 * an agent author would), so a delegation deadline fires within a test's few seconds.
 */
import { agentRegistry, defineAgent, delegateTo, deploybot, digest, doneForNow, releasebot } from "../../../src/agents";
import { cronJobs } from "../../../src/triggers/cron-jobs";
import { createRuntime } from "../../../src/worker";

export const hastybot = defineAgent({
  name: "hastybot",
  description: "Test-only: hands work to deploybot and waits at most 3 seconds for it.",
  prompt: { file: "test/e2e/support/timers-worker.ts", template: "You are {{agent}}. Thread {{thread_id}}." },
  tools: [doneForNow],
  delegates: [delegateTo("deploybot", { timeoutSeconds: 3 })],
});

const runtime = createRuntime({ agents: agentRegistry([deploybot, digest, releasebot, hastybot]), cronJobs });

export class ThreadObject extends runtime.ThreadObjectBase {}
export { ThreadIndex } from "../../../src/runtime/index/thread-index";
// wrangler.toml binds these classes too; the Worker must export every one it binds.
export { EvalObject } from "../../../src/evals/eval-object";
export { EvalDirectory } from "../../../src/evals/directory";
export { SlackDirectory } from "../../../src/channels/slack/directory";
export default runtime.handler;
