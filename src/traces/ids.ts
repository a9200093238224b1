/**
 * Trace and span ids derived from the thread id and a key naming the span (its call id,
 * request id or seq), never random: a re-export after a crash, or a second derivation of
 * the same log, sends the same ids, so a collector sees one span, not two. A thread is one
 * trace; forks and child threads are their own traces, linked to the span they came from.
 *
 * FNV-1a (64 bit) keeps this synchronous and pure. Ids only need to be stable and spread
 * out, not secret: they are derived from names the collector's user can already read.
 */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

function fnv64(text: string, seed: bigint): bigint {
  let hash = FNV_OFFSET ^ seed;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK;
  }
  return hash;
}

/** 16 hex digits; an all-zero id is invalid in OTLP, so zero becomes one. */
function hex64(value: bigint): string {
  return (value === 0n ? 1n : value).toString(16).padStart(16, "0");
}

/** The trace of one thread: 32 hex digits (128 bits). */
export function traceIdOf(threadId: string): string {
  return hex64(fnv64(`trace:${threadId}`, 0n)) + hex64(fnv64(`trace:${threadId}`, 0x9e3779b97f4a7c15n));
}

/** A span of a thread: 16 hex digits (64 bits). `key` names the span within the thread. */
export function spanIdOf(threadId: string, key: string): string {
  return hex64(fnv64(`span:${threadId}:${key}`, 0n));
}

/** The key of each kind of span: the thread's run (root), a model call, a tool call, a human request. */
export const spanKey = {
  root: (): string => "run",
  model: (seq: number): string => `model:${seq}`,
  tool: (callId: string): string => `tool:${callId}`,
  human: (requestId: string): string => `human:${requestId}`,
} as const;
