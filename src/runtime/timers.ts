import { z } from "zod";
import { CallId, RequestId } from "../core";

/**
 * The one timer payload. Every schedule goes to a single handler that parses this
 * union, so a renamed method can never silently orphan a persisted timer.
 */
export const TimerPayload = z.discriminatedUnion("type", [
  /** A human request's deadline: append the timeout if the request is still open. */
  z.object({ type: z.literal("human_deadline"), requestId: RequestId }),
  /** Retry pushing this thread's summary to the thread index. */
  z.object({ type: z.literal("sync_index") }),
  /** Retry due notifications in the outbox. */
  z.object({ type: z.literal("notify") }),
  /** Continue the step loop (after a wake with work pending). */
  z.object({ type: z.literal("drive") }),
  // ---- Composition (Factor 10), handled by delegation.ts ----
  /** A delegated call's deadline: take the child's end, or record a timeout and cancel the child. */
  z.object({ type: z.literal("agent_deadline"), callId: CallId }),
  /** Retry cancelling children this thread ended or gave up on. */
  z.object({ type: z.literal("cancel_children") }),
  /** Retry telling the parent how this (child) thread ended, until it acknowledges. */
  z.object({ type: z.literal("report_to_parent") }),
  /** Retry launching the children of waiting delegate calls. */
  z.object({ type: z.literal("launch_children") }),
]);
export type TimerPayload = z.infer<typeof TimerPayload>;

/** Arming and disarming the one timer handler; the thread object implements it over the SDK's schedules. */
export type TimerControl = {
  /** Arms `onTimer(payload)` at `when` (SDK `schedule`, deduplicated by payload). */
  arm(when: Date, payload: TimerPayload): Promise<void>;
  /** Cancels every armed timer whose payload matches. */
  disarm(match: (payload: TimerPayload) => boolean): Promise<void>;
};

/** The part of the SDK's scheduler the timers use. */
export type Scheduler = {
  schedule(when: Date | number, callback: "onTimer", payload: TimerPayload, options: { idempotent: boolean }): Promise<unknown>;
  listSchedules(): Promise<readonly { readonly id: string; readonly payload: unknown }[]> | readonly { readonly id: string; readonly payload: unknown }[];
  cancelSchedule(id: string): Promise<unknown>;
};

export function timerControl(scheduler: Scheduler): TimerControl {
  return {
    arm: async (when, payload) => {
      await scheduler.schedule(when, "onTimer", payload, { idempotent: true });
    },
    disarm: async (match) => {
      for (const schedule of await scheduler.listSchedules()) {
        const payload = TimerPayload.safeParse(schedule.payload);
        if (payload.success && match(payload.data)) await scheduler.cancelSchedule(schedule.id);
      }
    },
  };
}
