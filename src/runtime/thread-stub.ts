import type { ThreadId } from "../core";
import type { ThreadRpc } from "./thread-rpc";

export type { ThreadRpc };

/**
 * The stub for a thread, typed by the contract (thread-rpc.ts). Every method returns plain
 * JSON data, which structured clone carries unchanged, so the contract's signatures are
 * the true RPC types. (workerd's mapped RPC types recurse without end on our recursive `Json` type.)
 */
export function threadStub(env: Env, threadId: ThreadId): ThreadRpc {
  return env.THREADS.getByName(threadId) as unknown as ThreadRpc;
}
