import type { ThreadId } from "../core";
import { listThreads } from "../runtime/thread-index";
import { threadStub } from "../runtime/thread-stub";

/** Threads read for the usage totals: each is one log read, so the window stays small. */
export const USAGE_WINDOW = 20;

/** Token usage summed from the model decisions in an agent's latest threads. */
export async function agentUsage(env: Env, agent: string) {
  const { threads } = await listThreads(env, { agent, limit: USAGE_WINDOW });
  const totals = { threads: threads.length, modelCalls: 0, promptTokens: 0, completionTokens: 0 };
  await Promise.all(
    threads.map(async (t) => {
      for (let after: number | undefined = 0; after !== undefined; ) {
        const page: Awaited<ReturnType<ReturnType<typeof threadStub>["events"]>> = await threadStub(env, t.id as ThreadId).events(after, 1000);
        for (const event of page.events) {
          if (event.type !== "model_decided") continue;
          totals.modelCalls++;
          totals.promptTokens += event.data.usage?.promptTokens ?? 0;
          totals.completionTokens += event.data.usage?.completionTokens ?? 0;
        }
        after = page.next;
      }
    }),
  );
  return totals;
}
