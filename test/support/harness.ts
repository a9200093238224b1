/**
 * TEST ONLY: state shared between the tests and the Worker under test. The Worker's
 * Durable Objects run in the same isolate as the tests (Cloudflare's Vitest
 * integration), so these module singletons are the same objects on both sides.
 */
import { env } from "cloudflare:workers";
import type { GateEnv } from "./gate-object";
import { ScriptedModel } from "./scripted-model";

export const model = new ScriptedModel((name) => gate(name));

/** How often each probe side effect really ran, by label. Survives object eviction. */
export const executions = new Map<string, number>();

/** A gate backed by the TestGate object (see gate-object.ts). */
export function gate(name: string) {
  const stub = (env as unknown as GateEnv).TEST_GATES.getByName(name);
  return {
    /** Blocks until the test opens the gate. */
    pass: () => stub.pass(),
    /** Resolves once something is blocked at the gate. */
    get reached() {
      return stub.reached();
    },
    open: () => stub.open(),
  };
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
