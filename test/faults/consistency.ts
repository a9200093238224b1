/** TEST ONLY: helpers every fault test uses. */
import type { Event } from "../../src/core";

export { assertConsistent } from "../support/log-invariants";

export const count = (events: readonly Event[], type: Event["type"]) => events.filter((e) => e.type === type).length;

/** Unique per test file run, so reruns in one isolate never collide. */
const run = Math.random().toString(36).slice(2, 8);
let n = 0;
export const fresh = (name: string) => `${name}-${run}-${++n}`;
