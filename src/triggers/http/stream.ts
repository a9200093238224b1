import { z } from "zod";
import type { ThreadId } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import type { StreamOptions } from "../../runtime/thread-rpc";
import { ApiError } from "./errors";
import { setting } from "../../settings";

// GET /v1/threads/{id}/stream (and the console's copy behind its session): the thread's
// log as Server-Sent Events. The thread object writes the frames (stream-hub.ts); this
// module reads the resume point and the limits, and maps the outcomes to HTTP.

export const StreamQuery = z.strictObject({ after: z.coerce.number().int().min(0).optional() });

const Seq = z.string().regex(/^\d{1,15}$/).transform(Number);

/** Last-Event-ID wins over ?after= (EventSource sends it on every reconnect, keeping the original URL). */
export function resumeFrom(lastEventId: string | undefined, after: number | undefined): number {
  if (lastEventId !== undefined && lastEventId.trim() !== "") {
    const parsed = Seq.safeParse(lastEventId.trim());
    if (!parsed.success) throw new ApiError(400, "invalid_last_event_id", "Last-Event-ID must be an event seq (a whole number).");
    return parsed.data;
  }
  return after ?? 0;
}

export function streamOptions(env: Env): StreamOptions {
  return {
    heartbeatMs: setting(env, "STREAM_HEARTBEAT_SECONDS") * 1000,
    maxMs: setting(env, "STREAM_MAX_SECONDS") * 1000,
  };
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
};

export async function streamResponse(env: Env, threadId: ThreadId, from: number): Promise<Response> {
  const opened = await threadStub(env, threadId).stream(from, streamOptions(env));
  if (opened.kind === "not_found") throw new ApiError(404, "thread_not_found", `No thread ${threadId}.`);
  // 204 tells EventSource to stop reconnecting: the thread has ended and the client has it all.
  if (opened.kind === "ended") return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  return new Response(opened.body, { status: 200, headers: SSE_HEADERS });
}
