import { z } from "zod";

/**
 * The payload of a wake-up: the alarm handler fires `{type: "wake"}`; what a wake does is
 * read from the log, never from the payload (invariant 9). Earlier versions scheduled
 * their wake-ups through the SDK (`onTimer` rows, some with per-kind payloads); such a row
 * may still sit in a deployed object's SDK job queue until it fires, and each one is
 * parsed as a plain wake, so an old row wakes the thread, which does whatever is due.
 */
export const LEGACY_TIMER_TYPES = [
  "human_deadline",
  "sync_index",
  "notify",
  "drive",
  "agent_deadline",
  "cancel_children",
  "report_to_parent",
  "launch_children",
] as const;

export const TimerPayload = z.object({ type: z.enum(["wake", ...LEGACY_TIMER_TYPES]) });
export type TimerPayload = z.infer<typeof TimerPayload>;

export const WAKE: { readonly type: "wake" } = { type: "wake" };
