import { agents } from "../agents";
import { defineCronJobs } from "./cron";

/**
 * The cron jobs this Worker runs. Each `cron` must also be listed under [triggers] crons
 * in wrangler.toml (test/triggers/cron.test.ts checks that both lists agree). A job's
 * threads are named `cron-<name>-<yyyymmddThhmm>Z`, so keep names short.
 */
export const cronJobs = defineCronJobs(agents, [
  {
    name: "daily-digest",
    cron: "0 8 * * *",
    agent: "digest",
    message: "Daily digest: list the threads waiting for a human and email the operator.",
    metadata: { schedule: "daily 08:00 UTC" },
  },
]);
