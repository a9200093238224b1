// Worker entry: the HTTP handler and the Durable Object classes wrangler.toml binds.
import { agents } from "./agents";
import { cronJobs } from "./triggers/cron-jobs";
import { createRuntime } from "./worker";

const runtime = createRuntime({ agents, cronJobs });

/** One instance per agent thread; its SQLite holds the thread's event log. */
export class ThreadObject extends runtime.ThreadObjectBase {}
export { ThreadIndex } from "./runtime/index/thread-index";
export { EvalObject } from "./evals/eval-object";
export { EvalDirectory } from "./evals/directory";
export { SlackDirectory } from "./channels/slack/directory";

export default runtime.handler;
