/**
 * TEST ONLY: the Worker entry under test. Same runtime as src/index.ts, with the
 * probe agent added and outbound fetch/clock pointed at the test harness.
 */
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import { digestAgent } from "../../src/agents/digest";
import { releasebot } from "../../src/agents/releasebot";
import { boss } from "./composition-agents";
import { createRuntime } from "../../src/worker";
import { testCronJobs } from "./cron-jobs";
import { clock, mailbox, testFetch } from "./harness";
import { probe } from "./probe-agent";
import { scout } from "./scout-agent";

const agents = agentRegistry([deploybot, probe, releasebot, boss, scout, digestAgent({ send: (env, mail) => mailbox.send(env, mail), now: () => clock.now() })]);
const runtime = createRuntime({
  agents,
  fetch: testFetch,
  now: () => clock.now(),
  cronJobs: testCronJobs(agents),
  sendEmail: mailbox.send,
});

export class ThreadObject extends runtime.ThreadObjectBase {}
export { ThreadIndex } from "../../src/runtime/thread-index";
export { EvalObject } from "../../src/evals/eval-object";
export { EvalDirectory } from "../../src/evals/directory";
export { TestGate } from "./gate-object";
export default runtime.handler;
