import type { PendingView, ThreadId, ThreadView } from "../../core";
import { listThreads } from "./thread-index";
import { threadStub } from "../thread-stub";

export type OpenRequest = { readonly thread: Pick<ThreadView, "id" | "agent" | "status">; readonly request: PendingView };

/**
 * Open human requests across threads, oldest first by when each was asked (timeouts differ,
 * so the deadline is not ask order): the thread index's waiting threads (the first 100), each
 * asked for its open requests. The console's inbox and the MCP server's list_pending.
 */
export async function openRequests(env: Env): Promise<OpenRequest[]> {
  const waiting = await listThreads(env, { status: "waiting_for_human", limit: 100 });
  const threads = await Promise.all(waiting.threads.map((t) => threadStub(env, t.id as ThreadId).thread()));
  const items = threads.flatMap((thread) => (thread ? thread.pendingRequests.map((request) => ({ thread, request })) : []));
  return items.sort((a, b) => a.request.requestedAt.localeCompare(b.request.requestedAt) || a.request.requestId.localeCompare(b.request.requestId));
}
