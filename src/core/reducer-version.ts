/**
 * The version of the reducer, for cached snapshots of its state (invariant 1: a cached
 * snapshot is allowed only if provably equal to a full replay). It is the SHA-256 (first
 * 16 hex digits) of src/core/reduce.ts and every core file it imports, transitively
 * (state.ts, events.ts, delegation.ts, stats.ts, ...); test/core/snapshot.test.ts
 * recomputes it, so any change to those files fails the suite until this constant is
 * updated, and the new value makes every stored snapshot stale (replayed from the log).
 */
export const REDUCER_VERSION = "3aa73ca3ba65e999";
