import type { ClosedRequest, Event, ThreadView } from "../../core";
import type { EventStore } from "../log/event-store";
import type { CommandResult, Result } from "../thread-rpc";

/** A repeated idempotency key returns the original result, or 409 if the payload differs. */
export function replayed(original: Event, attempt: { type: string; data: unknown }, thread: ThreadView): Result<CommandResult> {
  if (original.type !== attempt.type || JSON.stringify(original.data) !== JSON.stringify(attempt.data)) {
    return {
      ok: false,
      rejection: {
        status: 409,
        code: "idempotency_key_reused",
        message: "This Idempotency-Key was already used with a different request.",
      },
    };
  }
  return { ok: true, value: { thread, event: original, duplicate: true } };
}

/** What closed a request that is no longer open, as the log says (undefined: never closed, or never existed). */
export function closedHow(store: EventStore, requestId: string): ClosedRequest | undefined {
  const first = store.closingsOf(requestId)[0];
  if (first) return first.type === "human_timed_out" ? "timed_out" : "answered";
  return store.wasRequested(requestId) ? "withdrawn" : undefined;
}
