import type { AgentRegistry } from "../../agents";
import { unknownVariant } from "../../agents/variants";
import { ThreadId, type Event } from "../../core";
import { threadStub, type ThreadRpc } from "../../runtime/thread-stub";
import { newThreadId } from "./agents";
import { idempotencyKey, keyedHex } from "./idempotency";
import { parseThreadId, type AppEnv } from "./env";
import { ApiError, sendJson } from "./errors";
import { limitDepth, requireJson } from "./validate";
import { contractApp, serve } from "./contract/serve";
import { forkThread } from "./contract/thread-routes";
import { httpSource } from "./source";

// POST /v1/threads/{id}/fork: a new thread from events 1..atSeq of this one, optionally
// with another prompt variant or model. The original is only read (its public RPCs),
// never written; the new thread's object checks and adopts the copy in one step.


/** Workers RPC carries at most 32 MiB per call; a copy must fit in one, with room to spare. */
export const MAX_FORK_BYTES = 24 * 1024 * 1024;

export function forkRoutes(agents: AgentRegistry) {
  const routes = contractApp<AppEnv>();

  serve(routes, forkThread, async (c) => {
    const from = parseThreadId(c.req.param("id"));
    const body = c.req.valid("json");
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const source = threadStub(c.env, from);
    const original = await source.thread();
    if (!original) throw new ApiError(404, "thread_not_found", `No thread ${from}.`);
    if (body.atSeq > original.lastSeq) {
      throw new ApiError(400, "at_seq_out_of_range", `atSeq must be between 1 and ${original.lastSeq}, the thread's last event.`, {
        lastSeq: original.lastSeq,
      });
    }
    const agent = agents.get(original.agent);
    if (!agent) throw new ApiError(409, "unknown_agent", `Agent ${original.agent} is no longer deployed; its threads cannot be forked.`);
    if (body.variant !== undefined && !agent.variants.some((v) => v.name === body.variant)) {
      const unknown = unknownVariant(agent, body.variant);
      throw new ApiError(400, unknown.code, unknown.message);
    }
    const threadId = body.threadId ?? (key ? await forkIdFromKey(from, key) : newThreadId());
    if (threadId === from) throw new ApiError(409, "thread_exists", "A fork needs a new thread id, not the original's.");

    const events = await prefix(source, body.atSeq);
    if (JSON.stringify(events).length > MAX_FORK_BYTES) {
      throw new ApiError(413, "fork_too_large", `Events 1..${body.atSeq} are too large to copy in one fork; fork at an earlier seq.`);
    }
    const result = await threadStub(c.env, threadId).adoptFork(
      {
        threadId,
        from,
        atSeq: body.atSeq,
        events,
        ...(body.variant !== undefined ? { variant: body.variant } : {}),
        ...(body.model !== undefined ? { model: body.model } : {}),
      },
      httpSource(c, { forkOf: from, ...(key ? { idempotencyKey: key } : {}) }),
    );
    if (!result.ok) {
      // The id came from the key: the key was used before for another fork.
      if (key && body.threadId === undefined && result.rejection.code === "thread_exists") {
        throw new ApiError(409, "idempotency_key_reused", "This Idempotency-Key was already used for a different fork.");
      }
      throw ApiError.from(result.rejection);
    }
    return sendJson(c, result.value.thread, result.value.created ? 201 : 200);
  }, requireJson, limitDepth);

  return routes;
}

/** Events 1..atSeq of a thread, paged through its public events RPC. */
async function prefix(source: ThreadRpc, atSeq: number): Promise<Event[]> {
  const events: Event[] = [];
  let after = 0;
  while (after < atSeq) {
    const page = await source.events(after, Math.min(1000, atSeq - after));
    events.push(...page.events);
    const last = page.events[page.events.length - 1];
    if (!last || page.next === undefined) break;
    after = last.seq;
  }
  return events.filter((e) => e.seq <= atSeq);
}

/** The same key on the same original always names the same fork: a retried fork finds it. */
async function forkIdFromKey(from: string, key: string): Promise<ThreadId> {
  return ThreadId.parse(`t_${await keyedHex("fork", from, key)}`);
}
