import type { AgentRegistry } from "../../agents";
import { unknownVariant } from "../../agents/variants";
import { Event, replay, threadView, type NewEvent, type PendingRequest, type ThreadState } from "../../core";
import type { ForkInput, Launched, Result } from "../thread-rpc";

// Fork and replay: a new thread (its own Durable Object) gets a copy of events 1..atSeq
// of another thread, then a `thread_forked` marker, and continues from there. The
// original is only ever read. What the copy continues with follows the ordinary rules:
// a call started without an outcome is re-run if idempotent, else outcome_unknown;
// open human requests get their own deadline timers in the fork.

export type ForkCheck =
  | { readonly kind: "done"; readonly result: Result<Launched> }
  | { readonly kind: "create"; readonly events: readonly Event[]; readonly marker: NewEvent; readonly pending: readonly PendingRequest[] };

/** The marker's idempotency key: unique per fork, so a fork of a fork can have its own. */
export const forkKey = (threadId: string) => `fork:${threadId}`;

const done = (result: Result<Launched>): ForkCheck => ({ kind: "done", result });
const reject = (status: 400 | 404 | 409, code: string, message: string): ForkCheck => done({ ok: false, rejection: { status, code, message } });

/**
 * What adopting a fork should do in an object whose log is `state`: repeat an identical
 * earlier fork (200), refuse (the id is taken, the copy is not a whole prefix, the variant
 * is unknown), or create it. Synchronous, so the caller can re-check after any await.
 */
export function checkFork(agents: AgentRegistry, input: ForkInput, state: ThreadState | undefined, existingMarker: Event | undefined): ForkCheck {
  const marker: NewEvent = {
    type: "thread_forked",
    data: {
      threadId: input.threadId,
      from: input.from,
      atSeq: input.atSeq,
      ...(input.variant !== undefined ? { variant: input.variant } : {}),
      ...(input.model !== undefined ? { model: input.model } : {}),
    },
    key: forkKey(input.threadId),
  };
  if (state) {
    const same = existingMarker?.type === "thread_forked" && JSON.stringify(existingMarker.data) === JSON.stringify(marker.data);
    if (same) return done({ ok: true, value: { created: false, thread: threadView(state) } });
    return reject(409, "thread_exists", `Thread ${input.threadId} already exists and is not this fork of ${input.from} at seq ${input.atSeq}.`);
  }
  // A whole prefix of a log, as stored: seqs 1..atSeq in order, starting with the launch.
  const events: Event[] = [];
  for (const [i, raw] of input.events.entries()) {
    const parsed = Event.safeParse(raw);
    if (!parsed.success || parsed.data.seq !== i + 1) return reject(400, "invalid_fork", `Event ${i + 1} of the copy is missing or malformed.`);
    events.push(parsed.data);
  }
  if (events.length !== input.atSeq || events[0]?.type !== "thread_launched") {
    return reject(400, "invalid_fork", `A fork needs events 1..${input.atSeq} of ${input.from}, starting with its launch.`);
  }
  const copied = replay(events);
  if (!copied) return reject(400, "invalid_fork", "The copied events do not make a thread.");
  const agent = agents.get(copied.agent);
  if (!agent) return reject(409, "unknown_agent", `Agent ${copied.agent} is no longer deployed; its threads cannot be forked.`);
  // A child thread reports to the parent that launched it, and cancels with it: a copy of
  // the waiting would share the original's child. Fork before the delegation or after its result.
  const waiting = copied.calls.find((c) => c.phase.kind === "delegated");
  if (waiting) {
    return reject(
      409,
      "delegation_open",
      `At seq ${input.atSeq} call ${waiting.callId} is waiting for a child thread; fork before its agent_delegated event or after its result.`,
    );
  }
  if (input.variant !== undefined && !agent.variants.some((v) => v.name === input.variant)) {
    const unknown = unknownVariant(agent, input.variant);
    return reject(400, unknown.code, unknown.message);
  }
  return { kind: "create", events, marker, pending: copied.pending };
}
