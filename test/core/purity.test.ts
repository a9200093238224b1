/// <reference types="node" />
/**
 * Checked on the source. Invariant 2: src/core imports only zod and itself, and never
 * reads the clock, randomness or the network (properties.test.ts proves determinism).
 * And the layers: each folder of src imports only from itself and the floors below it,
 * and no file imports itself back through others (no import circles, type imports included).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");
const CORE = join(SRC, "core");
const files = readdirSync(CORE).filter((f) => f.endsWith(".ts"));
const strip = (text: string) => text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
const source = (file: string) => strip(readFileSync(join(CORE, file), "utf8"));
const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:import|export)[^"';]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm)].flatMap((m) => {
    const spec = m[1] ?? m[2] ?? m[3];
    return spec ? [spec] : [];
  });

describe("src/core is pure", () => {
  it("has files to check", () => expect(files.length).toBeGreaterThan(5));

  it.each(files)("%s imports only zod and ./ modules", (file) => {
    for (const spec of importsOf(source(file))) expect(spec === "zod" || spec.startsWith("./"), `${file} imports ${spec}`).toBe(true);
  });

  it.each(files)("%s reads no clock, randomness, network or storage", (file) => {
    const banned = /\bDate\.now\s*\(|new Date\s*\(\s*\)|Math\.random|crypto\.|\bfetch\s*\(|setTimeout|setInterval|performance\.now|process\.|globalThis/;
    expect(source(file).match(banned)?.[0], file).toBeUndefined();
  });
});

/** The span builder (src/traces) is pure too: log events in, spans out; only core and the semantic-conventions constants. */
const PURE_TRACES = ["ids.ts", "names.ts", "span.ts", "fold.ts", "spans.ts", "span-builders.ts"];
describe("the span builder is pure", () => {
  const traceSource = (file: string) => strip(readFileSync(join(SRC, "traces", file), "utf8"));
  it.each(PURE_TRACES)("traces/%s imports only core, itself and the semantic conventions", (file) => {
    for (const spec of importsOf(traceSource(file))) {
      expect(spec === "../core" || spec.startsWith("./") || spec.startsWith("@opentelemetry/semantic-conventions"), `${file} imports ${spec}`).toBe(true);
    }
  });
  it.each(PURE_TRACES)("traces/%s reads no clock, randomness, network or storage", (file) => {
    const banned = /\bDate\.now\s*\(|new Date\s*\(\s*\)|Math\.random|crypto\.|\bfetch\s*\(|setTimeout|setInterval|performance\.now|process\.|globalThis/;
    expect(traceSource(file).match(banned)?.[0], file).toBeUndefined();
  });
});

/**
 * The floors of src, lowest first (docs/architecture.md). A unit is a folder of src or a
 * file at its top. A file may import its own unit and any unit on a LOWER floor; units on
 * the same floor do not import each other. A new folder or top-level file must be placed here.
 */
const FLOORS: readonly (readonly string[])[] = [
  ["core"], // the pure domain
  ["log.ts", "hmac.ts"], // leaf helpers: structured logs, hashes and MACs
  ["settings.ts", "traces"], // every numeric env setting; OpenTelemetry spans from the log, their wire format and settings (docs/observability.md)
  ["channels"], // outbound to humans
  ["agents"], // agent and tool definitions
  ["model"], // one model step
  ["mcp"], // MCP tools in an agent: the client, a thread's listing, one remote call (docs/mcp.md)
  ["runtime"], // the thread object, its log, the index; thread-rpc.ts is its contract
  ["evals"], // replaying questions against threads
  ["triggers"], // HTTP, email, cron, webhooks
  ["console"], // the operator console (uses the HTTP trigger's helpers)
  ["app.tsx"], // the HTTP app: routes, webhooks and console composed
  ["worker.ts"], // createRuntime: the handlers and the thread class from their deps
  ["index.ts", "cli"], // the Worker entry; the eval CLI (Node)
];

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
const sources = walk(SRC);
const unitOf = (file: string) => relative(SRC, file).split("/")[0] ?? "";
const floorOf = (unit: string) => FLOORS.findIndex((floor) => floor.includes(unit));

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined; // a package
  const base = resolve(dirname(from), spec);
  return [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts"), join(base, "index.tsx")].find((p) => existsSync(p) && statSync(p).isFile());
}

const graph = new Map(sources.map((file) => [file, importsOf(strip(readFileSync(file, "utf8"))).flatMap((spec) => resolveImport(file, spec) ?? [])]));

/** Strongly connected components of more than one file (Tarjan): each is an import circle. */
function circles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(relative(SRC, w));
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe("src is built in layers", () => {
  it("reads the whole source tree", () => expect(sources.length).toBeGreaterThan(100));

  it("places every folder and top-level file of src on a floor", () => {
    const unplaced = [...new Set(sources.map(unitOf))].filter((unit) => floorOf(unit) < 0);
    expect(unplaced).toEqual([]);
  });

  it("imports only from the same folder or a floor below (no import runs up or sideways)", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = unitOf(file);
      for (const target of targets) {
        const to = unitOf(target);
        if (to !== from && !(floorOf(to) < floorOf(from))) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("has no import circles, type imports included", () => {
    expect(circles()).toEqual([]);
  });

  // A file past 400 lines holds more than one job (issue 22): split it by responsibility.
  it("has no source file over 400 lines", () => {
    const long = sources.flatMap((file) => {
      const lines = readFileSync(file, "utf8").split("\n").length;
      return lines > 400 ? [`${relative(SRC, file)}: ${lines} lines`] : [];
    });
    expect(long).toEqual([]);
  });
});
