/**
 * TEST ONLY: a gate as a Durable Object. Work under test blocks in `pass()` (a real
 * RPC, so the waiting side sees ordinary I/O) until the test calls `open()`.
 * In-memory promises resolved across objects would leave the waiting object's
 * request context dangling, and graceful eviction would then wait on it forever.
 */
import { DurableObject } from "cloudflare:workers";

type Deferred = { promise: Promise<void>; resolve: () => void };
const deferred = (): Deferred => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

export class TestGate extends DurableObject {
  #opened = deferred();
  #reached = deferred();

  async pass(): Promise<void> {
    this.#reached.resolve();
    await this.#opened.promise;
  }

  async reached(): Promise<void> {
    await this.#reached.promise;
  }

  async open(): Promise<void> {
    this.#opened.resolve();
  }
}

export type GateEnv = { TEST_GATES: DurableObjectNamespace<TestGate> };
