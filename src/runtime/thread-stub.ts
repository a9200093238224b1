import type { ThreadId } from "../core";
import type { ThreadObjectClass } from "./thread-object";

type ThreadObjectInstance = InstanceType<ThreadObjectClass>;

/** The RPC surface of a thread object, typed as the class declares it. */
export type ThreadRpc = Pick<
  ThreadObjectInstance,
  | "launch"
  | "message"
  | "respond"
  | "pause"
  | "resume"
  | "cancel"
  | "thread"
  | "events"
  | "context"
  | "idle"
  | "requestHistory"
  | "childReported"
  | "adoptFork"
  | "emailReply"
  | "sentEmail"
  | "erase"
  | "stream"
>;

/**
 * The stub for a thread. Every method returns plain JSON data, which structured
 * clone carries unchanged, so the class's own signatures are the true RPC types.
 * (workerd's mapped RPC types recurse without end on our recursive `Json` type.)
 */
export function threadStub(env: Env, threadId: ThreadId): ThreadRpc {
  return env.THREADS.getByName(threadId) as unknown as ThreadRpc;
}
