import type { Tokenizer, TokenizerName } from "../core";

/**
 * Real token counts for the context budget (Factor 3), from gpt-tokenizer: the BPE ranks of
 * OpenAI's encodings in plain JavaScript, so it runs in workerd with no WASM. Only
 * cl100k_base ships (~0.45 MB gzipped, a lazily loaded module: an isolate pays for it on its
 * first render, not at startup). o200k_base (GPT-4o, 4.1, 5, o-series) was measured and left
 * out: its ranks are another ~1 MB gzipped and 2.4 MB of source, and with both in the bundle
 * `wrangler dev` restarted slowly enough that test/e2e/restart.test.ts failed. cl100k counts
 * the same text as at least as many tokens as o200k for English and code, so for those
 * models the budget errs on the safe side.
 */
export function encodingForModel(_model: string): TokenizerName {
  return "cl100k_base";
}

type Counter = (text: string, options: { disallowedSpecial: Set<string> }) => number;

let loaded: Promise<Counter> | undefined;

function load(): Promise<Counter> {
  loaded ??= import("gpt-tokenizer/encoding/cl100k_base").then((m) => m.countTokens);
  return loaded;
}

/** Blocks repeat from step to step (the log is append-only): their counts are remembered, up to this many characters of text. */
const CACHE_CHARS = 4 * 1024 * 1024;
const cache = { counts: new Map<string, number>(), chars: 0 };

/**
 * The tokenizer for an encoding. Text that looks like a special token (`<|endoftext|>`) is
 * counted as ordinary text: it is data from a user or a tool, never a control token.
 */
export async function tokenizer(name: TokenizerName): Promise<Tokenizer> {
  const countTokens = await load();
  const options = { disallowedSpecial: new Set<string>() };
  return {
    name,
    count(text) {
      const known = cache.counts.get(text);
      if (known !== undefined) return known;
      const n = countTokens(text, options);
      if (text.length > CACHE_CHARS / 8) return n;
      // Oldest first out: a Map iterates in insertion order.
      for (const old of cache.counts.keys()) {
        if (cache.chars + text.length <= CACHE_CHARS) break;
        cache.counts.delete(old);
        cache.chars -= old.length;
      }
      cache.counts.set(text, n);
      cache.chars += text.length;
      return n;
    },
  };
}
