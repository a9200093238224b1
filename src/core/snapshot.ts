import { REDUCER_VERSION } from "./reducer-version";
import type { ThreadState } from "./state";

/**
 * A cached reduced state, stored as one row beside the log: `state` equals
 * `replay(events with seq <= lastSeq)` by construction, and a wake replays only the
 * events after it. The state is plain data (see the JSON round-trip property test), so
 * JSON is an exact encoding.
 */
export type Snapshot = { readonly version: string; readonly lastSeq: number; readonly state: string };

/** Bumped if the encoding itself changes; the reducer's own changes move REDUCER_VERSION. */
const CODEC = "s1";
export const SNAPSHOT_VERSION = `${CODEC}:${REDUCER_VERSION}`;

export function encodeSnapshot(state: ThreadState): Snapshot {
  return { version: SNAPSHOT_VERSION, lastSeq: state.lastSeq, state: JSON.stringify(state) };
}

/**
 * The state a snapshot holds, or undefined if it was written by another reducer version
 * or does not describe the seq it claims: the caller then replays the whole log.
 */
export function decodeSnapshot(snapshot: Snapshot): ThreadState | undefined {
  if (snapshot.version !== SNAPSHOT_VERSION) return undefined;
  // Our own row, written by encodeSnapshot under this exact reducer version; the check
  // below catches a row that was edited by hand or truncated.
  let state: ThreadState | null;
  try {
    state = JSON.parse(snapshot.state) as ThreadState | null;
  } catch {
    return undefined;
  }
  if (!state || typeof state !== "object" || state.lastSeq !== snapshot.lastSeq || typeof state.id !== "string") return undefined;
  return state;
}
