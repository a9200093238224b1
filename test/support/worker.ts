/**
 * TEST ONLY: the Worker entry under test. Same runtime as src/index.ts, with the
 * probe agent added and outbound fetch/clock pointed at the test harness.
 */
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import { createRuntime } from "../../src/worker";
import { clock, mailbox, testFetch } from "./harness";
import { probe } from "./probe-agent";

const runtime = createRuntime({
  agents: agentRegistry([deploybot, probe]),
  fetch: testFetch,
  now: () => clock.now(),
  sendEmail: mailbox.send,
});

export class ThreadObject extends runtime.ThreadObjectBase {}
export { ThreadIndex } from "../../src/runtime/thread-index";
export { TestGate } from "./gate-object";
export default runtime.handler;
