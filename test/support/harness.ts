/**
 * TEST ONLY: state shared between the tests and the Worker under test. The Worker's
 * Durable Objects run in the same isolate as the tests (Cloudflare's Vitest
 * integration), so these module singletons are the same objects on both sides.
 */
import { ScriptedModel } from "./scripted-model";

export const model = new ScriptedModel();

/** How often each probe side effect really ran, by label. Survives object eviction. */
export const executions = new Map<string, number>();

type Gate = { promise: Promise<void>; open: () => void; reached: Promise<void>; arrive: () => void };
const gates = new Map<string, Gate>();

/** A gate a probe tool waits on; tests wait for `reached` and call `open`. */
export function gate(name: string): Gate {
  let g = gates.get(name);
  if (!g) {
    let open!: () => void;
    let arrive!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    const reached = new Promise<void>((r) => (arrive = r));
    g = { promise, open, reached, arrive };
    gates.set(name, g);
  }
  return g;
}

/** A clock tests can move forward; the runtime reads it through its `now` dependency. */
export const clock = {
  offsetMs: 0,
  now(): number {
    return Date.now() + this.offsetMs;
  },
  advance(ms: number): void {
    this.offsetMs += ms;
  },
};

/** Outbound fetch of the Worker under test: the scripted model, else the real network. */
export const testFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname === "scripted-model.test") return model.fetch(input, init);
  return fetch(input, init);
};
