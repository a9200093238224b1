/**
 * TEST ONLY: the Worker entry under test. Same runtime as src/index.ts, with the
 * probe agent added and outbound fetch/clock pointed at the test harness.
 */
import { createRuntime } from "../../src/worker";
import { testCronJobs } from "./cron-jobs";
import { agents } from "./agents";
import { clock, mailbox, testFetch } from "./harness";

const runtime = createRuntime({
  agents,
  fetch: testFetch,
  now: () => clock.now(),
  cronJobs: testCronJobs(agents),
  sendEmail: mailbox.send,
});

export class ThreadObject extends runtime.ThreadObjectBase {}
export { ThreadIndex } from "../../src/runtime/index/thread-index";
export { EvalObject } from "../../src/evals/eval-object";
export { EvalDirectory } from "../../src/evals/directory";
export { SlackDirectory } from "../../src/channels/slack/directory";
export { TestGate } from "./gate-object";
export default runtime.handler;
