import type { AgentRegistry } from "./agents";
import { threadObject } from "./runtime/thread/thread-object";
import type { RuntimeDeps } from "./runtime/thread-rpc";
import { cronHandler, type CronJobs } from "./triggers/cron";
import { emailHandler } from "./triggers/email";
import { httpApp } from "./app";
import { evalQueueHandler } from "./evals/consumer";

/**
 * Wires the runtime from its dependencies: the agents to serve and, for tests, the
 * outbound fetch and clock. src/index.ts calls this with the production defaults.
 */
export function createRuntime(deps: RuntimeDeps & { readonly cronJobs?: CronJobs }) {
  const app = httpApp(deps.agents, deps);
  return {
    ThreadObjectBase: threadObject(deps),
    handler: {
      fetch: app.fetch,
      scheduled: cronHandler(deps.cronJobs ?? []),
      email: emailHandler(deps.agents),
      queue: evalQueueHandler(deps),
    } satisfies ExportedHandler<Env>,
  };
}

export type { AgentRegistry, RuntimeDeps };
