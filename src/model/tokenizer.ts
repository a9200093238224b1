import type { Tokenizer, TokenizerName } from "../core";

/**
 * Real token counts for the context budget (Factor 3), from gpt-tokenizer: the BPE ranks of
 * OpenAI's encodings in plain JavaScript, so it runs in workerd with no WASM. Each encoding
 * is a lazily loaded module (o200k_base is ~1 MB gzipped, cl100k_base ~0.45 MB): a worker
 * pays for the one its agents use, on first render, not at startup.
 */
/** The encoding a model name implies: o200k for GPT-4o, 4.1, 4.5, 5, o-series and gpt-oss; cl100k for older GPT-4/3.5 and as the fallback for other vendors' models. */
export function encodingForModel(model: string): TokenizerName {
  const name = model.toLowerCase().split("/").pop() ?? "";
  return /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/.test(name) ? "o200k_base" : "cl100k_base";
}

type Counter = (text: string, options: { disallowedSpecial: Set<string> }) => number;

const loaded = new Map<TokenizerName, Promise<Counter>>();

function load(name: TokenizerName): Promise<Counter> {
  let counter = loaded.get(name);
  if (!counter) {
    counter = name === "o200k_base" ? import("gpt-tokenizer/encoding/o200k_base").then((m) => m.countTokens) : import("gpt-tokenizer/encoding/cl100k_base").then((m) => m.countTokens);
    loaded.set(name, counter);
  }
  return counter;
}

/** Blocks repeat from step to step (the log is append-only): their counts are remembered, up to this many characters of text. */
const CACHE_CHARS = 4 * 1024 * 1024;
type Cache = { readonly counts: Map<string, number>; chars: number };
const caches = new Map<TokenizerName, Cache>();

/**
 * The tokenizer for an encoding. Text that looks like a special token (`<|endoftext|>`) is
 * counted as ordinary text: it is data from a user or a tool, never a control token.
 */
export async function tokenizer(name: TokenizerName): Promise<Tokenizer> {
  const countTokens = await load(name);
  const options = { disallowedSpecial: new Set<string>() };
  let found = caches.get(name);
  if (!found) caches.set(name, (found = { counts: new Map(), chars: 0 }));
  const cache = found;
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
