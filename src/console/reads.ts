import type { Event, JsonObject, ThreadId, ThreadView } from "../core";
import { listThreads } from "../runtime/index/thread-index";
import { threadStub } from "../runtime/thread-stub";
import type { InboxItem } from "./pages/approval";

// What the console reads from the thread objects and the index, beyond one call.

/** How far back an approval card looks for the last call of the same tool. */
const RECENT_EVENTS = 200;

export async function allEvents(env: Env, id: ThreadId, after = 0): Promise<Event[]> {
  const out: Event[] = [];
  for (let cursor: number | undefined = after; cursor !== undefined; ) {
    const pageOf: { events: Event[]; next?: number } = await threadStub(env, id).events(cursor, 1000);
    out.push(...pageOf.events);
    cursor = pageOf.next;
  }
  return out;
}

/** The arguments of the last started call of each tool, in the thread's recent events. */
export function lastCalls(events: readonly Event[]): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const e of events) if (e.type === "tool_started") out[e.data.tool] = e.data.args;
  return out;
}

/** The last calls of a thread that has open requests (none read otherwise). */
export async function recentCalls(env: Env, thread: Pick<ThreadView, "id" | "lastSeq" | "pendingRequests">): Promise<Record<string, JsonObject>> {
  if (!thread.pendingRequests.some((r) => r.tool)) return {};
  const from = Math.max(0, thread.lastSeq - RECENT_EVENTS);
  return lastCalls((await threadStub(env, thread.id as ThreadId).events(from, RECENT_EVENTS)).events);
}

export async function inboxItems(env: Env): Promise<InboxItem[]> {
  const waiting = await listThreads(env, { status: "waiting_for_human", limit: 100 });
  const threads = await Promise.all(
    waiting.threads.map(async (t) => {
      const thread = await threadStub(env, t.id as ThreadId).thread();
      return thread ? { thread, calls: await recentCalls(env, thread) } : undefined;
    }),
  );
  const items = threads.flatMap((t) =>
    t
      ? t.thread.pendingRequests.map((request) => {
          const previous = request.tool ? t.calls[request.tool.name] : undefined;
          return { thread: t.thread, request, ...(previous ? { previous } : {}) };
        })
      : [],
  );
  // Oldest first, by when each request was made (timeouts differ, so the deadline is not ask order).
  return items.sort((a, b) => a.request.requestedAt.localeCompare(b.request.requestedAt) || a.request.requestId.localeCompare(b.request.requestId));
}
