// Factor 2, own your prompts: an agent may carry several prompt variants with weights.
// Each thread's variant is a pure function of its id, so a replay, a retry or another
// Worker instance always picks the same one; the choice is recorded in the log anyway.

export type WeightedVariant = { readonly name: string; readonly weight: number };

/**
 * A stable 32-bit hash of a string: FNV-1a, then murmur3's finaliser so that ids that
 * differ only in their last characters (t-1, t-2, ...) still spread over the whole range.
 */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The weighted choice for a thread: the hash, scaled to [0, total weight), falls into
 * one variant's share. Variants with weight 0 are never chosen (they can only be pinned).
 * Returns undefined when no variant has a positive weight.
 */
export function chooseVariant(threadId: string, variants: readonly WeightedVariant[]): string | undefined {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (total <= 0) return undefined;
  let point = Math.floor((stableHash(threadId) / 0x1_0000_0000) * total);
  for (const variant of variants) {
    if (point < variant.weight) return variant.name;
    point -= variant.weight;
  }
  return undefined; // unreachable: point < total
}
