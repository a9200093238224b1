/// <reference types="node" />
/** BENCH ONLY: timing from outside workerd (its clock stands still while code runs), and percentiles. */
import { performance } from "node:perf_hooks";

export type Stats = { readonly p50: number; readonly p99: number; readonly mean: number; readonly n: number };

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, n: sorted.length };
}

/** Runs `op` `n` times in sequence, returning each duration in ms. */
export async function timeEach(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await op(i);
    out.push(performance.now() - start);
  }
  return out;
}

/**
 * Alternates a no-op round trip with each operation, so both see the same load (other
 * processes share the CPUs), and returns the operation's figures net of the no-op's p50.
 */
export async function timeNet(n: number, op: (i: number) => Promise<unknown>, noop: () => Promise<unknown>): Promise<{ net: number[]; noop: Stats }> {
  const ops: number[] = [];
  const noops: number[] = [];
  for (let i = 0; i < n; i++) {
    noops.push(...(await timeEach(1, noop)));
    ops.push(...(await timeEach(1, () => op(i))));
  }
  const base = stats(noops);
  return { net: ops.map((d) => d - base.p50), noop: base };
}

/** Runs `total` operations with at most `concurrency` in flight; returns operations per second. */
export async function rate(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

export const ms = (x: number) => `${x.toFixed(2)} ms`;
export const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;
