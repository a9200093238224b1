/// <reference types="node" />
/**
 * Invariant 2, checked on the source: src/core imports only zod and itself, and never
 * reads the clock, randomness or the network. (properties.test.ts proves determinism.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const CORE = resolve(import.meta.dirname, "../../src/core");
const files = readdirSync(CORE).filter((f) => f.endsWith(".ts"));
const source = (file: string) => readFileSync(join(CORE, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");

describe("src/core is pure", () => {
  it("has files to check", () => expect(files.length).toBeGreaterThan(5));

  it.each(files)("%s imports only zod and ./ modules", (file) => {
    const imports = [...source(file).matchAll(/(?:import|export)[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
    for (const spec of imports) expect(spec === "zod" || spec?.startsWith("./"), `${file} imports ${spec}`).toBe(true);
  });

  it.each(files)("%s reads no clock, randomness, network or storage", (file) => {
    const banned = /\bDate\.now\s*\(|new Date\s*\(\s*\)|Math\.random|crypto\.|\bfetch\s*\(|setTimeout|setInterval|performance\.now|process\.|globalThis/;
    expect(source(file).match(banned)?.[0], file).toBeUndefined();
  });
});
