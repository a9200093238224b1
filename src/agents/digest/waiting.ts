import type { JsonObject } from "../../core";
import type { ThreadDirectory } from "../types";

/** Enough for a daily mail; the list says when there are more. */
export const MAX_LISTED = 50;

export type WaitingThread = {
  id: string;
  agent: string;
  waitingSince: string;
  waitingMinutes: number;
  pending?: { kind: string; message: string; deadline: string; tool?: { name: string; args: JsonObject } };
};

/** The threads waiting for a human, oldest wait first, each with its open request. */
export async function waitingThreads(threads: ThreadDirectory, now: number): Promise<{ threads: WaitingThread[]; more: boolean }> {
  const page = await threads.list({ status: "waiting_for_human", limit: MAX_LISTED });
  const waiting = await Promise.all(
    page.threads.map(async (summary): Promise<WaitingThread> => {
      const pending = (await threads.view(summary.id))?.pending;
      return {
        id: summary.id,
        agent: summary.agent,
        // The index records status changes, so its updatedAt is when the wait began.
        waitingSince: summary.updatedAt,
        waitingMinutes: Math.max(0, Math.floor((now - Date.parse(summary.updatedAt)) / 60_000)),
        ...(pending
          ? {
              pending: {
                kind: pending.kind,
                message: pending.message,
                deadline: pending.deadline,
                ...(pending.tool ? { tool: { name: pending.tool.name, args: pending.tool.args } } : {}),
              },
            }
          : {}),
      };
    }),
  );
  waiting.sort((a, b) => a.waitingSince.localeCompare(b.waitingSince));
  return { threads: waiting, more: page.more };
}

const age = (minutes: number) => (minutes < 120 ? `${minutes} min` : minutes < 2880 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 1440)} days`);

/** The plain-text list the mail always carries, whatever the model wrote above it. */
export function formatWaiting(list: { threads: readonly WaitingThread[]; more: boolean }): string {
  const lines = list.threads.map((t) => {
    const p = t.pending;
    const what = p ? `${p.kind}: ${p.message}${p.tool && p.kind === "approval" ? `\n    held call: ${p.tool.name} ${JSON.stringify(p.tool.args)}` : ""}\n    deadline: ${p.deadline}` : "(no open request)";
    return `- ${t.id} (${t.agent}), waiting ${age(t.waitingMinutes)} since ${t.waitingSince}\n    ${what}`;
  });
  if (list.more) lines.push(`- ... and more than ${MAX_LISTED} in total: see GET /v1/threads?status=waiting_for_human`);
  return lines.join("\n");
}

export const toJson = (list: { threads: readonly WaitingThread[]; more: boolean }): JsonObject => ({
  count: list.threads.length,
  more: list.more,
  threads: list.threads.map((t) => ({ ...t, ...(t.pending ? { pending: { ...t.pending } } : {}) })),
});
