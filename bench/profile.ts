/// <reference types="node" />
/**
 * BENCH ONLY: `npm run bench:profile`. A CPU profile of real steps inside workerd, taken
 * through the inspector of `wrangler dev` (the Chrome DevTools protocol), printed as the
 * functions and files with the most self time. workerd's clock stands still while code
 * runs, so timing spans inside the Worker cannot see CPU time; the sampling profiler can.
 */
import { resolve } from "node:path";
import { auth, bench, call, growTo, launch } from "./client";
import { startBenchServer, type BenchServer } from "./dev-server";
import { rate } from "./measure";

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const STEPS = Number(process.env["PROFILE_STEPS"] ?? "200");
const EVENTS = Number(process.env["PROFILE_EVENTS"] ?? "1000");

async function main(): Promise<void> {
  const server = await startBenchServer(resolve(process.cwd()));
  try {
    if (process.argv.includes("--ingest")) return await ingestProfile(server);
    if (process.argv.includes("--deadlines")) return await deadlineProfile(server);
    await launch(server, "profiled");
    await growTo(server, "profiled", EVENTS);
    for (let i = 0; i < 20; i++) await bench(server, `step/profiled/warm-${i}`);
    // Rows per step, per statement: what Cloudflare bills, and where it comes from.
    await bench(server, "rows-detail/profiled");
    for (let i = 0; i < 20; i++) await bench(server, `step/profiled/rows-${i}`);
    const detail = (await bench(server, "rows-detail/profiled")) as { query: string; calls: number; read: number; written: number }[];
    console.log("rows per step (read / written / calls), by statement:");
    for (const d of detail) console.log(`${(d.read / 20).toFixed(1).padStart(7)} ${(d.written / 20).toFixed(1).padStart(6)} ${(d.calls / 20).toFixed(1).padStart(5)}  ${d.query}`);
    const { profile, wall } = await profiled(server, async () => {
      for (let i = 0; i < STEPS; i++) await bench(server, `step/profiled/answer-${i}`);
    });
    report(profile, wall, STEPS, "step", `${STEPS} steps @${EVENTS} events`);
  } finally {
    await server.stop();
  }
}

/**
 * `npm run bench:profile -- --ingest`: where the CPU of HTTP ingest goes, POST /messages to
 * 100 paused threads (the append path alone) and to 100 running ones (each message also
 * runs model steps), 100 in flight, beside the bare-insert baseline's requests profiled
 * the same way.
 */
async function ingestProfile(server: BenchServer): Promise<void> {
  const ids = Array.from({ length: 100 }, (_, i) => `ingest-${i}`);
  await Promise.all(ids.map((id) => launch(server, id).then(() => call(server, `/v1/threads/${id}/pause`, { method: "POST", headers: auth }))));
  const total = STEPS * 10;
  const post = (i: number) => call(server, `/v1/threads/${ids[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) });
  const insert = (i: number) => bench(server, `baseline/${ids[i % 100]}`, "x".repeat(200));
  const running = ids.map((id) => `${id}-running`);
  await Promise.all(running.map((id) => launch(server, id)));
  const postRunning = (i: number) => call(server, `/v1/threads/${running[i % 100]}/messages`, { method: "POST", headers: auth, body: JSON.stringify({ text: `use v1.2.${i}` }) });
  await rate(500, 100, post);
  await rate(500, 100, insert);
  await rate(500, 100, postRunning);
  for (const [name, op] of [["baseline insert", insert], ["POST /messages, paused", post], ["POST /messages, running", postRunning]] as const) {
    const { profile, wall } = await profiled(server, () => rate(total, 100, op));
    report(profile, wall, total, "request", `${total} requests, ${name}`);
  }
}

/**
 * `npm run bench:profile -- --deadlines`: where the CPU goes while deadlines fire. STEPS
 * deploybot threads wait for a human, their deadlines spread over 10 s starting 20 s after
 * the first launch (the bench's 1,000 over 60 s is the same rate); the profile covers the
 * firing. Each timeout ends its thread (policy `fail`).
 */
async function deadlineProfile(server: BenchServer): Promise<void> {
  const started = Date.now();
  const leadS = 20;
  const spreadS = 10;
  for (let i = 0; i < STEPS; i++) {
    const offset = leadS + (i * spreadS) / STEPS - (Date.now() - started) / 1000;
    const body = { message: "which tag?", threadId: `waiting-${i}`, humanTimeoutSeconds: Math.max(1, Math.round(offset)), onHumanTimeout: "fail" };
    await call(server, "/v1/agents/deploybot/threads", { method: "POST", headers: auth, body: JSON.stringify(body) });
  }
  await new Promise((r) => setTimeout(r, Math.max(0, started + (leadS - 1) * 1000 - Date.now())));
  const { profile, wall } = await profiled(server, () => new Promise((r) => setTimeout(r, (spreadS + 3) * 1000)));
  report(profile, wall, STEPS, "timeout", `${STEPS} deadlines firing over ${spreadS} s`);
}

/** A CPU profile of the Worker (sampled every 100 µs through its inspector) while `work` runs, and the wall time it took. */
async function profiled(server: BenchServer, work: () => Promise<unknown>): Promise<{ profile: Profile; wall: number }> {
  const targets = (await (await fetch(`http://127.0.0.1:${server.inspector}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets.find((t) => !t.title?.includes("internal")) ?? targets[0];
  if (!target) throw new Error("no inspector target");
  const devtools = await connect(target.webSocketDebuggerUrl);
  try {
    await devtools.send("Profiler.enable");
    await devtools.send("Profiler.setSamplingInterval", { interval: 100 });
    await devtools.send("Profiler.start");
    const started = performance.now();
    await work();
    const wall = performance.now() - started;
    const { profile } = (await devtools.send("Profiler.stop")) as { profile: Profile };
    return { profile, wall };
  } finally {
    devtools.close();
  }
}

function report(profile: Profile, wallMs: number, n: number, unit: string, what: string): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => ["(idle)", "(program)", "(garbage collector)"].includes(byId.get(id)?.callFrame.functionName ?? "")).reduce((a, [, t]) => a + t, 0);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, t] of self) {
    const node = byId.get(id);
    if (!node) continue;
    fn.set(frameKey(node), (fn.get(frameKey(node)) ?? 0) + t);
    file.set(whereOf(node), (file.get(whereOf(node)) ?? 0) + t);
  }
  const top = (m: Map<string, number>, count: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, t]) => `${(t / n).toFixed(3).padStart(7)} ms/${unit}  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log(`\n${what}; wall ${(wallMs / n).toFixed(2)} ms/${unit}; sampled ${(total / n).toFixed(2)} ms/${unit} of which idle/program/GC ${(idle / n).toFixed(2)}`);
  console.log("\nby file (self time):\n" + top(file, 25).join("\n"));
  console.log("\nby function (self time):\n" + top(fn, 40).join("\n"));
  console.log("\nby function (total time, with what it calls):\n" + top(inclusive(profile.nodes, byId, self), 40).join("\n"));
  // PROFILE_FOCUS=<regex of function names>: where the time of those functions goes, one level down.
  const focus = process.env["PROFILE_FOCUS"];
  if (focus) for (const [name, callees] of calleesOf(profile.nodes, byId, self, new RegExp(focus))) console.log(`\ninside ${name}:\n` + top(callees, 15).join("\n"));
}

/** For each function whose name matches `focus`: its self time and the total time of each direct callee (a recursive one counts at each level). */
function calleesOf(nodes: readonly Node[], byId: ReadonlyMap<number, Node>, self: Map<number, number>, focus: RegExp): Map<string, Map<string, number>> {
  const subtree = (n: Node): number => (self.get(n.id) ?? 0) + (n.children ?? []).reduce((sum, c) => sum + subtree(byId.get(c) as Node), 0);
  const out = new Map<string, Map<string, number>>();
  const visit = (n: Node): void => {
    if (focus.test(n.callFrame.functionName)) {
      const callees = out.get(frameKey(n)) ?? new Map<string, number>();
      callees.set("(self)", (callees.get("(self)") ?? 0) + (self.get(n.id) ?? 0));
      for (const c of n.children ?? []) {
        const child = byId.get(c) as Node;
        callees.set(frameKey(child), (callees.get(frameKey(child)) ?? 0) + subtree(child));
      }
      out.set(frameKey(n), callees);
    }
    for (const c of n.children ?? []) visit(byId.get(c) as Node);
  };
  const root = nodes[0];
  if (root) visit(root);
  return out;
}

/** Each function's time including its callees, counted once per stack (a recursive call is not added twice). */
function inclusive(nodes: readonly Node[], byId: ReadonlyMap<number, Node>, self: Map<number, number>): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (id: number) => frameKey(byId.get(id) as Node);
  const totals = new Map<string, number>();
  for (const [leaf, t] of self) {
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const k = key(id);
      if (seen.has(k) || k.startsWith("(root)")) continue;
      seen.add(k);
      totals.set(k, (totals.get(k) ?? 0) + t);
    }
  }
  return totals;
}

/** Where a frame's code lives: a package, a file of ours, the bundle, or native code. */
function whereOf(node: Node): string {
  return node.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|src\/[^?]+|bench\/[^?]+|[^/]+)$/, "$1") || "(native)";
}

/** A function as the report names it: `name file:line`. */
function frameKey(node: Node): string {
  return `${node.callFrame.functionName || "(anonymous)"} ${whereOf(node)}:${node.callFrame.lineNumber + 1}`;
}

async function connect(url: string): Promise<{ send(method: string, params?: object): Promise<unknown>; close(): void }> {
  // The inspector proxy wants an Origin it knows (Node's WebSocket takes headers in its init).
  const ws = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise<void>((done, fail) => {
    ws.addEventListener("open", () => done());
    ws.addEventListener("error", (e) => fail(new Error(`inspector ${url} refused: ${String((e as ErrorEvent).message ?? e.type)}`)));
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (m: MessageEvent) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((done) => {
        const id = ++next;
        waiting.set(id, done);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
