import { statusOf, type ThreadView } from "../../core";
import { logLine } from "../../log";
import type { IndexSync } from "../index/index-sync";
import type { ThreadLog } from "../log/thread-log";
import type { Result } from "../thread-rpc";
import { notFound } from "./admission";
import type { Delegation } from "./delegation";
import type { DuePart } from "./host";

export type ErasureHost = {
  /** Read at each use: erasing drops the object's log. */
  log(): ThreadLog;
  readonly delegation: Pick<Delegation, "withChildStatus">;
  readonly index: Pick<IndexSync, "remove">;
  view(): ThreadView;
  /** The SDK's `destroy()`: every row of the object's storage (log, snapshot, timers). */
  destroy(): Promise<void>;
  /** Drops what the object holds in memory of the erased log. */
  forget(): void;
};

/** How long a refused retention erase waits before it is tried again. */
const ERASE_RETRY_MS = 3_600_000;

/**
 * Erasing a thread: on request (DELETE) and by retention (THREAD_RETENTION_DAYS, the
 * obligation kind "erase"). Only a finished thread, whose children have all ended and
 * whose own end has reached its parent: erasing earlier would lose work someone waits for.
 */
export class Erasure {
  constructor(private readonly host: ErasureHost) {}

  /** The obligation it owns (see due-work.ts): a finished thread old enough is erased. */
  readonly duePart: DuePart = {
    kinds: ["erase"],
    due: async (_obligation, at, retries) => {
      const erased = await this.erase();
      if (erased.ok) return "erased";
      // Refused (a child still runs): try again in an hour rather than every wake.
      retries.set("erase", at + ERASE_RETRY_MS);
      logLine("erase_deferred", { threadId: this.host.log().state?.id, reason: erased.rejection.code }, "warn");
      return undefined;
    },
  };

  /** Every row of this thread's storage and its index entry. */
  async erase(): Promise<Result<{ erased: true }>> {
    const { host } = this;
    const state = host.log().state;
    if (!state) return notFound("here");
    const refused = (code: string, message: string) => ({ ok: false as const, rejection: { status: 409 as const, code, message } });
    if (!state.end) return refused("thread_active", `Thread ${state.id} is ${statusOf(state)}; cancel it before erasing it.`);
    if (state.parent && !state.parentNotified) return refused("report_pending", `Thread ${state.id} has not yet reported its end to its parent ${state.parent.threadId}.`);
    const view = await host.delegation.withChildStatus(host.view());
    const running = (view.children ?? []).filter((c) => !["done", "failed", "cancelled", "timed_out"].includes(c.status));
    if (running.length > 0) {
      return refused("children_running", `Thread ${state.id} still has running children: ${running.map((c) => c.threadId).join(", ")}.`);
    }
    await host.index.remove(state.id);
    await host.destroy();
    host.forget();
    return { ok: true, value: { erased: true } };
  }
}
