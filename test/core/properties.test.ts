import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Event,
  canonicalJson,
  mayRun,
  next,
  reduce,
  replay,
  statusOf,
  type EventBody,
  type JsonObject,
  type MaybeThread,
  type Step,
  type ThreadState,
} from "../../src/core";
import { TOOLS, at, catalog, ev, stamp, time } from "./fixtures";

// Seeded, so a run is reproducible; override with FC_SEED / FC_RUNS to explore more.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const SEED = Number(env["FC_SEED"] ?? 20250101);
const RUNS = Number(env["FC_RUNS"] ?? 300);
const params = { seed: SEED, numRuns: RUNS };
/** Per-test timeout that grows with FC_RUNS, so long exploratory runs do not time out. */
const TIMEOUT = Math.max(5_000, RUNS * 20);

// ---------------------------------------------------------------------------
// Random, well-formed logs: every event type, ids drawn from small pools so that
// events collide with each other (answers to the wrong request, outcomes for
// calls that already ended, approvals after a cancel...).
// ---------------------------------------------------------------------------

const CALL_IDS = ["c1", "c2", "c3"] as const;
const REQUEST_IDS = ["r1", "r2", "r3"] as const;
const TOOL_NAMES = ["search", "deploy", "wipe", "ask", "done", "nope"] as const;

const callId = fc.constantFrom(...CALL_IDS);
const requestId = fc.constantFrom(...REQUEST_IDS);
const tool = fc.constantFrom(...TOOL_NAMES);
const requestOptions = fc.record({
  onTimeout: fc.constantFrom("deny" as const, "escalate" as const, "fail" as const),
  notify: fc.subarray(["email", "webhook"]),
});

/** Arguments, including equal objects with different key orders. */
const args: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant({}),
  fc.record({ env: fc.constantFrom("production", "staging") }),
  fc
    .tuple(fc.constantFrom("production", "staging"), fc.constantFrom("1", "2"), fc.boolean())
    .map(([e, v, flip]): JsonObject => (flip ? { env: e, version: v } : { version: v, env: e })),
  fc.record({ message: fc.constantFrom("Which region?", "Done.") }),
  fc.record({ table: fc.constantFrom("tmp", "users") }),
);

/** A body that may depend on its own seq (model events render some seq before their own). */
type Spec = (seq: number) => EventBody;
const seen = (seq: number, lag: number) => Math.max(0, seq - 1 - lag);

const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant((seq: number) => ev.launched({ message: `relaunch ${seq}` })) },
  { weight: 4, arbitrary: fc.constantFrom("go", "stop!").map((text) => () => ev.message(text)) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(callId, tool, args, fc.nat(3))
      .map(([c, t, a, lag]) => (seq: number) => ev.decided(c, t, a, seen(seq, lag))),
  },
  { weight: 2, arbitrary: fc.nat(3).map((lag) => (seq: number) => ev.modelFailed(seen(seq, lag))) },
  {
    weight: 3,
    arbitrary: fc.tuple(callId, tool, args, fc.integer({ min: 1, max: 3 })).map(([c, t, a, n]) => () => ev.started(c, t, a, n)),
  },
  { weight: 3, arbitrary: fc.tuple(callId, tool).map(([c, t]) => () => ev.succeeded(c, t, { ok: true })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(callId, tool, fc.constantFrom("tool_error", "superseded", "outcome_unknown", "approval_missing") )
      .map(([c, t, code]) => () => ev.failed(c, t, code)),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(requestId, callId, tool, args, requestOptions)
      .map(([r, c, t, a, o]) => () => ev.approvalRequested(r, { callId: c, tool: t, args: a }, o)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        requestId,
        fc.constantFrom("model_asked" as const, "repeated_errors" as const),
        fc.option(fc.tuple(callId, tool, args), { nil: undefined }),
        requestOptions,
      )
      .map(([r, reason, call, o]) => () =>
        ev.inputRequested(r, "question", { ...o, reason, ...(call ? { call: { callId: call[0], tool: call[1], args: call[2] } } : {}) }),
      ),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(requestId, fc.option(fc.boolean(), { nil: undefined }), fc.option(fc.constantFrom("eu", "us"), { nil: undefined }))
      .map(([r, approved, answer]) => () =>
        ev.responded(r, { ...(approved !== undefined ? { approved } : {}), ...(answer !== undefined ? { answer } : {}) }),
      ),
  },
  { weight: 2, arbitrary: requestId.map((r) => () => ev.timedOut(r)) },
  { weight: 1, arbitrary: fc.tuple(requestId, fc.subarray(["email", "pager"])).map(([r, n]) => (seq: number) => ev.escalated(r, at(seq + 100), n)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(requestId, fc.constantFrom("email", "webhook", "pager"), fc.constantFrom("request" as const, "escalation" as const), fc.boolean(), fc.boolean())
      .map(([r, channel, purpose, failed, retry]) => (seq: number) =>
        failed
          ? ev.notificationFailed(r, channel, { purpose, attempt: 2, ...(retry ? { retryAt: at(seq + 10) } : {}) })
          : ev.notificationSent(r, channel, purpose),
      ),
  },
  { weight: 1, arbitrary: fc.constant(() => ev.paused()) },
  { weight: 1, arbitrary: fc.constant(() => ev.resumed()) },
);

/**
 * The end of a thread. Drawn per event like the rest, three kinds of ending ended most
 * logs within a few events (63% of all states were finished threads), so at most one is
 * inserted, anywhere in the log: a random log is mostly a live thread.
 */
const ending: fc.Arbitrary<Spec> = fc.constantFrom(
  () => ev.cancelled("random"),
  () => ev.finished("random"),
  () => ev.threadFailed(),
);

/** Seq and time stamps: a launch, then `specs` with strictly increasing seq (gaps allowed). */
function stampAll(items: readonly (readonly [Spec, number])[]): Event[] {
  const events = [stamp(ev.launched(), 1)];
  let seq = 1;
  for (const [make, gap] of items) {
    seq += gap;
    events.push(stamp(make(seq), seq, at(seq)));
  }
  return events;
}

/** A launch, then random events with strictly increasing seq (gaps allowed) and time. */
const logArb: fc.Arbitrary<Event[]> = fc
  .tuple(
    fc.array(fc.tuple(spec, fc.integer({ min: 1, max: 3 })), { maxLength: 60, size: "medium" }),
    fc.option(fc.tuple(ending, fc.nat()), { nil: undefined, freq: 2 }),
  )
  .map(([items, end]) => {
    if (!end) return stampAll(items);
    const [make, pos] = end;
    const i = pos % (items.length + 1);
    return stampAll([...items.slice(0, i), [make, 1] as const, ...items.slice(i)]);
  });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * An independent model of the open human requests, written from the rules (DESIGN.md,
 * invariant 6), not from the reducer: a request is open from its human_requested until
 * the first answer or timeout for its id; a message answers every open question (kind
 * input), never an approval; the end of a thread closes everything, and after it nothing
 * opens. Returns the open request ids in the order they were asked.
 */
function openRequests(log: readonly Event[]): string[] {
  let open: { id: string; kind: string }[] = [];
  let ended = false;
  for (const e of log) {
    if (ended) continue;
    switch (e.type) {
      case "human_requested":
        open.push({ id: e.data.requestId, kind: e.data.kind });
        break;
      case "human_responded":
      case "human_timed_out":
        open = open.filter((r) => r.id !== e.data.requestId);
        break;
      case "user_messaged":
        open = open.filter((r) => r.kind !== "input");
        break;
      case "thread_cancelled":
      case "thread_finished":
      case "thread_failed":
        ended = true;
        open = [];
        break;
      default:
        break;
    }
  }
  return open.map((r) => r.id);
}

describe("property: the reduced state of random logs (Factor 12)", () => {
  // `replay` is a loop over `reduce`, so "replay equals folding one event at a time" only
  // proved that inputs are not mutated. That is checked here for what it is; the real
  // snapshot guarantee (a saved-and-loaded state plus the rest equals a full replay) is
  // in snapshot.test.ts.
  it("reduce never mutates the state or the event it is given (a cached state stays valid)", () => {
    let states = 0;
    fc.assert(
      fc.property(logArb, (events) => {
        deepFreeze(events); // strict mode: writing to a frozen object throws
        let state: MaybeThread = undefined;
        for (const event of events) {
          const before = JSON.stringify(state ?? null);
          const after = reduce(deepFreeze(state), event);
          expect(JSON.stringify(state ?? null)).toBe(before);
          if (state !== undefined) states++;
          state = after;
        }
      }),
      params,
    );
    expect(states).toBeGreaterThan(RUNS * 10);
  }, TIMEOUT);

  it("the open requests are exactly those the log asked and never answered, timed out or ended (an independent model)", () => {
    let withOpen = 0;
    let lateAnswers = 0;
    fc.assert(
      fc.property(logArb, (events) => {
        let state: MaybeThread = undefined;
        events.forEach((event, i) => {
          const wasOpen = state?.pending.some((r) => "requestId" in event.data && r.requestId === event.data.requestId) ?? false;
          state = reduce(state, event);
          if (!state) throw new Error("launched logs always have a state");
          const expected = openRequests(events.slice(0, i + 1));
          expect(state.pending.map((r) => r.requestId)).toEqual(expected);
          // the outbox only ever holds notifications for requests that are still open
          for (const item of state.outbox) expect(expected).toContain(item.requestId);
          if (expected.length > 0) withOpen++;
          if ((event.type === "human_responded" || event.type === "human_timed_out") && !wasOpen) lateAnswers++;
        });
      }),
      params,
    );
    // Not vacuous: many states have open requests, and many answers came for a request
    // that was not open (late, twice, unknown), which must change nothing.
    expect(withOpen).toBeGreaterThan(RUNS * 5);
    expect(lateAnswers).toBeGreaterThan(RUNS);
  }, TIMEOUT);

  it("every event survives a JSON round trip through the schema, and the state is plain JSON", () => {
    fc.assert(
      fc.property(logArb, (events) => {
        const stored = (JSON.parse(JSON.stringify(events)) as unknown[]).map((row) => Event.parse(row));
        expect(stored).toEqual(events);
        const state = replay(events);
        expect(replay(stored)).toEqual(state);
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      }),
      params,
    );
  }, TIMEOUT);

  it("keeps its structural invariants on every prefix, live and ended", () => {
    let live = 0;
    let ended = 0;
    let paused = 0;
    fc.assert(
      fc.property(logArb, (events) => {
        let state: MaybeThread = undefined;
        for (const event of events) {
          state = reduce(state, event);
          if (!state) throw new Error("launched logs always have a state");
          expect(state.lastSeq).toBe(event.seq);
          expect(state.updatedAt).toBe(event.at);
          expect(state.lastInputSeq).toBeLessThanOrEqual(state.lastSeq);
          const status = statusOf(state);
          const step = next(state, catalog);
          if (state.end) {
            ended++;
            expect(state.calls).toEqual([]);
            expect(state.pending).toEqual([]);
            expect(state.outbox).toEqual([]);
            expect(status).toBe(state.end.status);
            expect(step).toEqual({ kind: "wait", reason: "terminal" });
            continue;
          }
          live++;
          expect(["running", "waiting_for_human", "paused"]).toContain(status);
          // A step about a call is about a call the thread has open.
          if ("call" in step) expect(state.calls.map((c) => c.callId)).toContain(step.call.callId);
          if (state.paused) {
            paused++;
            expect(status).toBe("paused");
            // Only a forced failure (a fail policy timed out, an escalation expired) acts while paused.
            if (step.kind !== "fail_thread") expect(step).toEqual({ kind: "wait", reason: "paused" });
          }
          if (status === "waiting_for_human") expect(state.pending.length).toBeGreaterThan(0);
        }
      }),
      params,
    );
    expect(live).toBeGreaterThan(RUNS * 10);
    expect(ended).toBeGreaterThan(RUNS);
    expect(paused).toBeGreaterThan(RUNS);
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------
// Invariant 5: an approval cannot be bypassed.
// ---------------------------------------------------------------------------

/**
 * The log (up to `upto`) holds an approval request for exactly this call id and
 * (canonically) these arguments, whose first closing event is a human_responded with
 * approved: true (so no timeout and no rejection came first), and no cancel.
 */
function hasApproval(log: readonly Event[], callId: string, callArgs: JsonObject, upto = log.length): boolean {
  const prefix = log.slice(0, upto);
  if (prefix.some((e) => e.type === "thread_cancelled")) return false;
  const wanted = canonicalJson(callArgs);
  return prefix.some((request, i) => {
    if (request.type !== "human_requested" || request.data.kind !== "approval") return false;
    const call = request.data.call;
    if (!call || call.callId !== callId || canonicalJson(call.args) !== wanted) return false;
    const closing = prefix
      .slice(i + 1)
      .find((e) => (e.type === "human_responded" || e.type === "human_timed_out") && e.data.requestId === request.data.requestId);
    return closing?.type === "human_responded" && closing.data.approved === true;
  });
}

function needsApproval(call: { tool: string; args: JsonObject }): boolean {
  return TOOLS.get(call.tool)?.needsApproval(call.args) ?? false;
}

function checkRunStep(step: Step, state: ThreadState, log: readonly Event[]) {
  if (step.kind !== "run_tool") return;
  expect(state.end).toBeUndefined();
  expect(state.paused).toBe(false);
  const facts = TOOLS.get(step.call.tool);
  if (facts) expect(mayRun(step.call, facts)).toBe(true);
  if (needsApproval(step.call)) {
    expect(hasApproval(log, step.call.callId, step.call.args), `run_tool ${step.call.tool} ${canonicalJson(step.call.args)} without approval`).toBe(
      true,
    );
  }
}

/**
 * Random logs around approvals. Unbiased logs almost never got there (in 300 runs, not one
 * run_tool step needed an approval), so here most events propose a call whose policy needs
 * an approval (deploy to production, wipe), ask for it with the call's own arguments or
 * others, answer requests (approve, reject, neither; in time, late, twice, unknown), and
 * replay crashes (a tool_started nobody asked for), with pauses and messages in between.
 */
const guardedArgs: fc.Arbitrary<JsonObject> = fc.constantFrom<JsonObject>(
  { env: "production" },
  { env: "production", version: "1" },
  { version: "1", env: "production" },
  { env: "staging" },
  { table: "users" },
);
const approvalSpec: fc.Arbitrary<Spec[]> = fc.oneof(
  {
    // the model proposes a call, and (usually) the runtime asks for its approval
    weight: 8,
    arbitrary: fc
      .tuple(callId, fc.constantFrom("deploy", "wipe", "wipe", "search"), guardedArgs, requestId, fc.nat(4), guardedArgs, requestOptions)
      .map(([c, t, a, r, ask, other, o]): Spec[] => {
        const decided: Spec = (seq) => ev.decided(c, t, a, seq - 1);
        if (ask === 0) return [decided];
        // mostly the call's own arguments, sometimes others (a request that must not count)
        const asked = ask === 1 ? other : a;
        const request: Spec = () => ev.approvalRequested(r, { callId: c, tool: t, args: asked }, o);
        // and sometimes a human approves it at once (other events may still come between)
        return ask === 4 ? [decided, request, () => ev.responded(r, { approved: true })] : [decided, request];
      }),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(requestId, fc.constantFrom(true, true, true, false, undefined))
      .map(([r, approved]): Spec[] => [() => ev.responded(r, approved !== undefined ? { approved } : { answer: "eu" })]),
  },
  { weight: 2, arbitrary: requestId.map((r): Spec[] => [() => ev.timedOut(r)]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(callId, fc.constantFrom("deploy", "wipe"), guardedArgs, fc.integer({ min: 1, max: 2 }))
      .map(([c, t, a, n]): Spec[] => [() => ev.started(c, t, a, n)]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(callId, fc.constantFrom("deploy", "wipe"), fc.boolean())
      .map(([c, t, ok]): Spec[] => [() => (ok ? ev.succeeded(c, t) : ev.failed(c, t, "tool_error"))]),
  },
  { weight: 1, arbitrary: fc.constant<Spec[]>([() => ev.message("go")]) },
  { weight: 1, arbitrary: fc.constant<Spec[]>([() => ev.paused()]) },
  { weight: 1, arbitrary: fc.constant<Spec[]>([() => ev.resumed()]) },
  { weight: 1, arbitrary: fc.constant<Spec[]>([() => ev.cancelled("random")]) },
);
const approvalLogArb: fc.Arbitrary<Event[]> = fc
  .array(approvalSpec, { maxLength: 50, size: "medium" })
  .map((chunks) => stampAll(chunks.flat().map((make) => [make, 1] as const)));

describe("property: approvals cannot be bypassed (invariant 5)", () => {
  it("next never runs an unapproved call, whatever order events arrive in", () => {
    const seen = { guardedRuns: 0, asked: 0, held: 0, refused: 0 };
    fc.assert(
      fc.property(approvalLogArb, (events) => {
        let state: MaybeThread = undefined;
        events.forEach((event, i) => {
          state = reduce(state, event);
          if (!state) return;
          const step = next(state, catalog);
          checkRunStep(step, state, events.slice(0, i + 1));
          if (step.kind === "run_tool" && needsApproval(step.call)) seen.guardedRuns++;
          if (step.kind === "ask_human" && step.request.kind === "approval") seen.asked++;
          if (step.kind === "fail_call" && step.code === "approval_missing") seen.refused++;
          if (state.calls.some((c) => needsApproval(c) && c.phase.kind === "awaiting_approval")) seen.held++;
        });
      }),
      params,
    );
    // Not vacuous: the check above ran on many steps that run a call needing approval (each
    // must have one), on many proposals of such a call, on many states holding one for an
    // answer, and on approvals of other arguments, which must be refused.
    // (200, 200, 200 and 50 at the default 300 runs; scaled for FC_RUNS.)
    const atLeast = (n: number) => Math.ceil((n * RUNS) / 300);
    expect(seen.guardedRuns, JSON.stringify(seen)).toBeGreaterThanOrEqual(atLeast(200));
    expect(seen.asked, JSON.stringify(seen)).toBeGreaterThanOrEqual(atLeast(200));
    expect(seen.held, JSON.stringify(seen)).toBeGreaterThanOrEqual(atLeast(200));
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThanOrEqual(atLeast(50));
  }, TIMEOUT);

  // A driver that performs exactly what next() says, interleaved with whatever the
  // outside world sends: messages, answers to any request, timeouts, pause, cancel.
  type Drive = {
    kind: "drive";
    tool: string;
    args: JsonObject;
    lag: number;
    modelFails: boolean;
    outcome: "ok" | "error" | "crash";
    onTimeout: "deny" | "escalate" | "fail";
  };
  type Outside =
    | { kind: "message" }
    | { kind: "respond"; pick: number; approved: boolean | undefined; answer: string | undefined }
    | { kind: "timeout"; pick: number }
    | { kind: "escalate"; pick: number }
    | { kind: "notified"; pick: number; failed: boolean }
    | { kind: "pause" }
    | { kind: "resume" }
    | { kind: "cancel" };
  type Action = Drive | Outside;

  // Weighted so that scripts get far: mostly tools with approval policies, few endings.
  const driveTool = fc.oneof(
    { weight: 4, arbitrary: fc.constant("deploy") },
    { weight: 3, arbitrary: fc.constant("wipe") },
    { weight: 2, arbitrary: fc.constant("search") },
    { weight: 1, arbitrary: fc.constantFrom("ask", "done", "nope") },
  );
  const drive: fc.Arbitrary<Drive> = fc.record({
    kind: fc.constant("drive" as const),
    tool: driveTool,
    args,
    lag: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
    modelFails: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    outcome: fc.constantFrom("ok" as const, "error" as const, "crash" as const),
    onTimeout: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("deny" as const, "escalate" as const) },
      { weight: 1, arbitrary: fc.constant("fail" as const) },
    ),
  });
  const outside: fc.Arbitrary<Outside> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: "message" as const }) },
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant("respond" as const),
        pick: fc.nat(),
        approved: fc.option(fc.boolean(), { nil: undefined }),
        answer: fc.option(fc.constant("sure"), { nil: undefined }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("timeout" as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("escalate" as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("notified" as const), pick: fc.nat(), failed: fc.boolean() }) },
    { weight: 2, arbitrary: fc.constant({ kind: "pause" as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: "resume" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
  );
  const actions: fc.Arbitrary<Action[]> = fc.array(fc.oneof({ weight: 3, arbitrary: drive }, { weight: 2, arbitrary: outside }), {
    maxLength: 80,
    size: "medium",
  });

  function simulate(script: readonly Action[]) {
    const log: Event[] = [stamp(ev.launched(), 1)];
    const requests: string[] = [];
    let state = replay(log) as ThreadState;
    const append = (body: EventBody) => {
      const event = stamp(body, log.length + 1);
      log.push(event);
      state = reduce(state, event) as ThreadState;
      return event;
    };
    // Mostly the newest requests (so races on them are common), sometimes one nobody asked.
    const pickRequest = (pick: number) => {
      const recent = requests.slice(-2);
      return pick % 5 === 0 || recent.length === 0 ? "r-unknown" : (recent[pick % recent.length] as string);
    };

    for (const action of script) {
      switch (action.kind) {
        case "message":
          append(ev.message("new input"));
          break;
        case "respond":
          append(
            ev.responded(pickRequest(action.pick), {
              ...(action.approved !== undefined ? { approved: action.approved } : {}),
              ...(action.answer !== undefined ? { answer: action.answer } : {}),
            }),
          );
          break;
        case "timeout":
          append(ev.timedOut(pickRequest(action.pick)));
          break;
        case "escalate":
          append(ev.escalated(pickRequest(action.pick), time(172_800), ["pager"]));
          break;
        case "notified":
          append(
            action.failed
              ? ev.notificationFailed(pickRequest(action.pick), "email", { retryAt: time(60) })
              : ev.notificationSent(pickRequest(action.pick), "email"),
          );
          break;
        case "pause":
          append(ev.paused());
          break;
        case "resume":
          append(ev.resumed());
          break;
        case "cancel":
          append(ev.cancelled());
          break;
        case "drive": {
          const step = next(state, catalog);
          checkRunStep(step, state, log);
          switch (step.kind) {
            case "wait":
              break;
            case "call_model": {
              const seenSeq = Math.max(1, state.lastSeq - action.lag);
              if (action.modelFails) append(ev.modelFailed(seenSeq));
              else append(ev.decided(`m${log.length + 1}`, action.tool, action.args, seenSeq));
              break;
            }
            case "run_tool":
              append(ev.started(step.call.callId, step.call.tool, step.call.args, step.attempt));
              if (action.outcome === "ok") append(ev.succeeded(step.call.callId, step.call.tool));
              if (action.outcome === "error") append(ev.failed(step.call.callId, step.call.tool, "tool_error"));
              break;
            case "ask_human": {
              const { request } = step;
              const id = request.call ? `req_${request.call.callId}` : `req_esc_${state.lastSeq}`;
              requests.push(id);
              append({
                type: "human_requested",
                data: {
                  requestId: id,
                  kind: request.kind,
                  reason: request.reason,
                  message: request.message,
                  ...(request.call ? { call: { callId: request.call.callId, tool: request.call.tool, args: request.call.args } } : {}),
                  deadline: time(86_400),
                  onTimeout: action.onTimeout,
                  notify: ["email"],
                },
              } as EventBody);
              break;
            }
            case "finish":
              append(ev.finished(step.message, step.call.callId));
              break;
            case "fail_call":
              append(ev.failed(step.call.callId, step.call.tool, step.code, step.message));
              break;
            case "fail_thread":
              append({ type: "thread_failed", data: { code: step.code, message: step.message } });
              break;
          }
        }
      }
    }
    return { log, state };
  }

  it("a driver that follows next() never starts an unapproved call, nor a non-idempotent one twice", () => {
    let approvedRuns = 0;
    let scripts = 0;
    fc.assert(
      fc.property(actions, (script) => {
        const { log } = simulate(script);
        scripts++;
        const starts = new Map<string, number>();
        log.forEach((event, i) => {
          if (event.type !== "tool_started") return;
          starts.set(event.data.callId, (starts.get(event.data.callId) ?? 0) + 1);
          if (needsApproval(event.data)) {
            if (starts.get(event.data.callId) === 1) approvedRuns++;
            expect(hasApproval(log, event.data.callId, event.data.args, i)).toBe(true);
          }
          if (TOOLS.get(event.data.tool)?.idempotent === false) expect(starts.get(event.data.callId)).toBe(1);
        });
        expect(replay(log)).toEqual(simulate(script).state);
      }),
      params,
    );
    // the generator often reaches approved runs, so the property above is not vacuous
    expect(approvedRuns).toBeGreaterThan(scripts / 10);
  }, TIMEOUT);
});
