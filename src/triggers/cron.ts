import { z } from "zod";
import type { AgentRegistry } from "../agents";
import { JsonObject, ThreadId } from "../core";
import { threadStub } from "../runtime/thread-stub";

// The cron trigger (Factor 11): each wrangler.toml cron expression fires `scheduled()`,
// which launches one thread per job configured for that expression. The thread id is
// derived from the job and the tick's scheduledTime, so a retried or duplicated tick
// finds the thread it already launched and appends nothing.

/** Five fields (minute hour day-of-month month day-of-week), as Cloudflare Cron Triggers accept. */
const CronExpression = z
  .string()
  .trim()
  .regex(/^\S+( \S+){4}$/, "five space-separated fields: minute hour day-of-month month day-of-week");

export const CronJob = z.strictObject({
  /** Names the job's threads (`cron-<name>-<minute>`), so it is short and id-safe. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "lowercase letters, digits or '-', starting with a letter, at most 40"),
  cron: CronExpression,
  agent: z.string(),
  message: z.string().min(1),
  metadata: JsonObject.optional(),
});
export type CronJob = z.infer<typeof CronJob>;

export type CronJobs = readonly CronJob[];

/**
 * Checks the job list at setup, like defineAgent: a malformed job, an unknown agent or a
 * duplicate name throws when the Worker loads, not at 08:00 when the job should run.
 */
export function defineCronJobs(agents: AgentRegistry, jobs: readonly z.input<typeof CronJob>[]): CronJobs {
  const names = new Set<string>();
  return jobs.map((input) => {
    const parsed = CronJob.safeParse(input);
    if (!parsed.success) throw new Error(`cron job "${input.name}": ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const job = parsed.data;
    if (!agents.has(job.agent)) throw new Error(`cron job "${job.name}": unknown agent "${job.agent}"`);
    if (names.has(job.name)) throw new Error(`cron job "${job.name}" is defined twice`);
    names.add(job.name);
    return job;
  });
}

/** The distinct cron expressions the jobs need: exactly what wrangler.toml's [triggers] crons must list. */
export const cronExpressions = (jobs: CronJobs): string[] => [...new Set(jobs.map((j) => j.cron))].sort();

/** `cron-<job>-<yyyymmddThhmmZ>`: one thread per job per tick, whatever the second the tick fired at. */
export function cronThreadId(job: string, scheduledTime: number): ThreadId {
  const minute = new Date(scheduledTime).toISOString().slice(0, 16).replace(/[-:]/g, "");
  return ThreadId.parse(`cron-${job}-${minute}Z`);
}

export type CronOutcome = { job: string; threadId: string } & ({ ok: true; created: boolean } | { ok: false; error: string });

/** Launches every job of the fired expression. One job failing never stops the others; each failure is logged. */
export async function runCron(env: Env, jobs: CronJobs, cron: string, scheduledTime: number): Promise<CronOutcome[]> {
  const due = jobs.filter((job) => job.cron === cron.trim());
  if (due.length === 0) {
    console.warn(`cron "${cron}" fired but no job is configured for it; check [triggers] crons in wrangler.toml`);
    return [];
  }
  const at = new Date(scheduledTime).toISOString();
  return Promise.all(
    due.map(async (job): Promise<CronOutcome> => {
      const threadId = cronThreadId(job.name, scheduledTime);
      try {
        const result = await threadStub(env, threadId).launch(
          { threadId, agent: job.agent, message: job.message, ...(job.metadata ? { metadata: job.metadata } : {}) },
          { kind: "cron", detail: { job: job.name, cron: job.cron, scheduledTime: at } },
        );
        if (!result.ok) throw new Error(`${result.rejection.code}: ${result.rejection.message}`);
        return { job: job.name, threadId, ok: true, created: result.value.created };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(`cron job "${job.name}" (${job.cron}) failed to launch thread ${threadId}: ${message}`);
        return { job: job.name, threadId, ok: false, error: message };
      }
    }),
  );
}

/** The Worker's `scheduled` handler for a job list. */
export function cronHandler(jobs: CronJobs): ExportedHandlerScheduledHandler<Env> {
  return (controller, env, ctx) => {
    // waitUntil keeps the invocation alive until every launch has settled; the threads'
    // own step loops then run in their Durable Objects, independent of this invocation.
    ctx.waitUntil(runCron(env, jobs, controller.cron, controller.scheduledTime));
  };
}
