import { statusOf, type ThreadState } from "../core";
import { indexShard } from "./thread-index";
import { statsColumns } from "./thread-index-stats";

/**
 * Pushes a thread's summary to its index shard, one push at a time and in order. A
 * failed push asks for a retry timer; the retry pushes whatever the log says then.
 */
export class IndexSync {
  #pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly retryLater: () => Promise<unknown>,
  ) {}

  /** Resolves when every push so far has finished (or failed and armed its retry). */
  get settled(): Promise<void> {
    return this.#pending;
  }

  push(state: ThreadState): void {
    const summary = {
      id: state.id,
      agent: state.agent,
      status: statusOf(state),
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      lastSeq: state.lastSeq,
      ...statsColumns(state),
    };
    this.#pending = this.#pending.then(async () => {
      try {
        await indexShard(this.env, state.id).upsert(summary);
      } catch (error) {
        console.error("thread index update failed; retrying in 10 s", error);
        await this.retryLater();
      }
    });
  }
}
