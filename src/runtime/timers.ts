import { z } from "zod";
import { RequestId } from "../core";

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
]);
export type TimerPayload = z.infer<typeof TimerPayload>;
