/**
 * TEST ONLY: the cron jobs of the Worker under test. Each message carries a fixed
 * `[script:...]` marker, so a test registers that script before it fires the tick.
 */
import type { AgentRegistry } from "../../src/agents";
import { defineCronJobs } from "../../src/triggers/cron";

export const EVERY_5 = "*/5 * * * *";
export const DAILY_8 = "0 8 * * *";
export const HOURLY = "0 * * * *";

export const testCronJobs = (agents: AgentRegistry) =>
  defineCronJobs(agents, [
    { name: "probe-a", cron: EVERY_5, agent: "probe", message: "tick a [script:cron-a]", metadata: { job: "a" } },
    { name: "probe-b", cron: EVERY_5, agent: "probe", message: "tick b [script:cron-b]" },
    { name: "probe-hourly", cron: HOURLY, agent: "probe", message: "hourly [script:cron-hourly]" },
    { name: "daily-digest", cron: DAILY_8, agent: "digest", message: "Daily digest [script:cron-digest]" },
  ]);
