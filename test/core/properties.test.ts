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
  { weight: 1, arbitrary: fc.constant(() => ev.cancelled("random")) },
  { weight: 1, arbitrary: fc.constant(() => ev.finished("random")) },
  { weight: 1, arbitrary: fc.constant(() => ev.threadFailed()) },
);

/** A launch, then random events with strictly increasing seq (gaps allowed) and time. */
const logArb: fc.Arbitrary<Event[]> = fc
  .array(fc.tuple(spec, fc.integer({ min: 1, max: 3 })), { maxLength: 60, size: "medium" })
  .map((items) => {
    const events = [stamp(ev.launched(), 1)];
    let seq = 1;
    for (const [make, gap] of items) {
      seq += gap;
      events.push(stamp(make(seq), seq, at(seq)));
    }
    return events;
  });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

describe("property: replaying the log equals the live state (Factor 12)", () => {
  it("folding one event at a time equals replay, for every prefix", () => {
    fc.assert(
      fc.property(logArb, (events) => {
        deepFreeze(events); // reduce must not mutate its input (strict mode throws if it does)
        let live: MaybeThread = undefined;
        events.forEach((event, i) => {
          live = reduce(live, event);
          expect(live).toEqual(replay(events.slice(0, i + 1)));
        });
        expect(live).toEqual(replay(events));
        expect(events.reduce<MaybeThread>(reduce, undefined)).toEqual(live);
      }),
      params,
    );
  }, TIMEOUT);

  it("replaying a prefix, then the suffix from that state, equals replaying the whole", () => {
    fc.assert(
      fc.property(logArb, fc.nat(), (events, at) => {
        const k = at % (events.length + 1);
        const prefix = replay(events.slice(0, k));
        deepFreeze(prefix); // a cached snapshot is reused, never changed
        expect(replay(events.slice(k), prefix)).toEqual(replay(events));
      }),
      params,
    );
  }, TIMEOUT);

  it("is deterministic and survives a JSON round trip of the log", () => {
    fc.assert(
      fc.property(logArb, (events) => {
        const stored = (JSON.parse(JSON.stringify(events)) as unknown[]).map((row) => Event.parse(row));
        expect(stored).toEqual(events);
        const state = replay(events);
        expect(replay(stored)).toEqual(state);
        expect(replay(events)).toEqual(state);
        // the state itself is plain data
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      }),
      params,
    );
  }, TIMEOUT);

  it("keeps its structural invariants on every prefix", () => {
    fc.assert(
      fc.property(logArb, (events) => {
        let state: MaybeThread = undefined;
        for (const event of events) {
          state = reduce(state, event);
          if (!state) throw new Error("launched logs always have a state");
          expect(state.lastSeq).toBe(event.seq);
          expect(state.updatedAt).toBe(event.at);
          expect(state.lastInputSeq).toBeLessThanOrEqual(state.lastSeq);
          expect(state.consecutiveErrors).toBeGreaterThanOrEqual(0);
          const status = statusOf(state);
          // the outbox only ever holds notifications for requests that are still open
          const open = new Set(state.pending.map((r) => r.requestId));
          for (const item of state.outbox) expect(open.has(item.requestId)).toBe(true);
          if (state.end) {
            expect(state.calls).toEqual([]);
            expect(state.pending).toEqual([]);
            expect(state.outbox).toEqual([]);
            expect(status).toBe(state.end.status);
            expect(next(state, catalog)).toEqual({ kind: "wait", reason: "terminal" });
          } else {
            expect(["running", "waiting_for_human", "paused"]).toContain(status);
            expect(() => next(state as ThreadState, catalog)).not.toThrow();
          }
        }
      }),
      params,
    );
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

describe("property: approvals cannot be bypassed (invariant 5)", () => {
  it("next never runs an unapproved call, whatever order events arrive in", () => {
    fc.assert(
      fc.property(logArb, (events) => {
        let state: MaybeThread = undefined;
        events.forEach((event, i) => {
          state = reduce(state, event);
          if (!state) return;
          checkRunStep(next(state, catalog), state, events.slice(0, i + 1));
        });
      }),
      params,
    );
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
