import type { Event, JsonObject, ThreadId, ThreadView } from "../core";
import { openRequests } from "../runtime/index/open-requests";
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

/** The open requests across threads (the index's waiting threads), each with the last call of its tool. */
export async function inboxItems(env: Env): Promise<InboxItem[]> {
  const open = await openRequests(env);
  const ids = [...new Set(open.filter((o) => o.request.tool).map((o) => o.thread.id))];
  const calls = new Map(
    await Promise.all(
      ids.map(async (id) => {
        const thread = await threadStub(env, id as ThreadId).thread();
        return [id, thread ? await recentCalls(env, thread) : {}] as const;
      }),
    ),
  );
  return open.map(({ thread, request }) => {
    const previous = request.tool ? calls.get(thread.id)?.[request.tool.name] : undefined;
    return { thread, request, ...(previous ? { previous } : {}) };
  });
}
