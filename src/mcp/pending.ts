import { inboxItems } from "../console/routes";
import type { PendingView } from "../core";

export type PendingItem = { readonly threadId: string; readonly agent: string; readonly request: PendingView };

/**
 * Open human requests across threads, oldest first: the console inbox's list (the thread index's
 * waiting threads, each asked for its open requests), optionally for one agent.
 */
export async function pendingRequests(env: Env, agent?: string): Promise<PendingItem[]> {
  const items = await inboxItems(env);
  return items.filter((i) => agent === undefined || i.thread.agent === agent).map((i) => ({ threadId: i.thread.id, agent: i.thread.agent, request: i.request }));
}
