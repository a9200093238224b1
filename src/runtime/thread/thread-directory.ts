import type { ThreadDirectory } from "../../agents";
import { ThreadId } from "../../core";
import { listThreads } from "../index/thread-index";
import { threadStub } from "../thread-stub";

/** The port tools read other threads through (ToolContext.threads): the thread index and each thread's object. */
export function threadDirectory(env: Env): ThreadDirectory {
  return {
    list: async ({ status, limit }) => {
      const page = await listThreads(env, { status, limit });
      return { threads: page.threads, more: page.next !== undefined };
    },
    view: (threadId) => threadStub(env, ThreadId.parse(threadId)).thread(),
  };
}
