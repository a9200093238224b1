import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  decideResponse,
  next,
  principalKey,
  replay,
  reduce,
  sameAnswer,
  threadView,
  type ClosedRequest,
  type EditCheck,
  type EventBody,
  type HumanAnswer,
  type JsonObject,
  type Principal,
  type ThreadState,
  type ToolCatalog,
  type MaybeThread,
  type DecisionWord,
} from "../../src/core";
import { Log, ev, rid, stamp, time } from "./fixtures";
import { renderLog } from "./render";

// Invariant 13: edit-and-approve, quorums, separation of duties, decided by the pure core.

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const params = { seed: Number(env["FC_SEED"] ?? 20261207), numRuns: Number(env["FC_RUNS"] ?? 300) };

const LAUNCHER: Principal = { kind: "api", id: "release-manager", verifiedBy: "api_token" };
const ALICE_MAIL: Principal = { kind: "email", id: "alice@example.com", verifiedBy: "dmarc" };
const ALICE_CONSOLE: Principal = { kind: "console", id: "Alice@Example.com", verifiedBy: "cloudflare_access" };
const BOB: Principal = { kind: "slack", id: "t0ops:u0bob", verifiedBy: "slack_signature" };
const CAROL: Principal = { kind: "api", id: "carol", verifiedBy: "api_token" };
const LAUNCHER_ON_MCP: Principal = { kind: "mcp", id: "release-manager", verifiedBy: "api_token" };

const PROD = { tag: "v1", environment: "production" };

/** deploy: production needs `required` approvals; tag is editable; tags are v0..v9. */
const catalog: ToolCatalog = (tool) =>
  tool === "deploy" ? { intent: "act", idempotent: false, needsApproval: (args) => args["environment"] === "production" } : undefined;

const checkEdit =
  (required: number, selfApproval: boolean): EditCheck =>
  (_tool, args) =>
    typeof args["tag"] === "string" && /^v\d$/.test(args["tag"])
      ? { ok: true, policy: { required: args["environment"] === "production" ? required : 0, selfApproval } }
      : { ok: false, message: "tag: must look like v1", details: { tag: "must look like v1" } };

type Policy = { required: number; selfApproval: boolean; editable?: string[] };

function heldLog(policy: Policy, args: JsonObject = PROD): Log {
  const log = new Log();
  log.add({ type: "thread_launched", data: { ...(ev.launched().data as object), by: LAUNCHER } } as EventBody);
  log.decide("c1", "deploy", args);
  const request = ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args }, { deadline: time(3600) });
  log.add({
    ...request,
    data: {
      ...(request.data as object),
      required: policy.required,
      selfApproval: policy.selfApproval,
      ...(policy.editable ? { editable: policy.editable } : {}),
    },
  } as EventBody);
  return log;
}

/** Admit an answer as the runtime does: decide, append only what is accepted. */
function answer(log: Log, policy: Policy, a: Omit<HumanAnswer, "requestId"> & { requestId?: string }, now = time(60)) {
  const history: ClosedRequest | undefined = log.events.some((e) => e.type === "human_timed_out")
    ? "timed_out"
    : log.events.some((e) => e.type === "human_responded")
      ? "answered"
      : undefined;
  const decision = decideResponse(log.state, { ...a, requestId: rid(a.requestId ?? "r1") }, now, history, checkEdit(policy.required, policy.selfApproval));
  if (decision.ok) log.add(decision.event);
  return decision;
}

const runStep = (state: ThreadState) => {
  const step = next(state, catalog);
  return step.kind === "run_tool" && step.call.callId === "c1" ? step : undefined;
};

describe("decisions: quorum", () => {
  it("stays open at 1 of 2, shows who approved, and runs after a second distinct principal", () => {
    const policy = { required: 2, selfApproval: true };
    const log = heldLog(policy);
    expect(answer(log, policy, { approved: true, by: ALICE_MAIL }).ok).toBe(true);
    const view = threadView(log.state);
    expect(view.status).toBe("waiting_for_human");
    expect(view.pending?.approvals).toEqual({ required: 2, given: [{ by: ALICE_MAIL, at: log.events.at(-1)?.at }] });
    expect(runStep(log.state)).toBeUndefined();
    expect(answer(log, policy, { decision: "approve", by: BOB }).ok).toBe(true);
    expect(runStep(log.state)?.call.args).toEqual(PROD);
  });

  it("counts one person once across channels: an address by mail and in the console", () => {
    const policy = { required: 2, selfApproval: true };
    const log = heldLog(policy);
    answer(log, policy, { approved: true, by: ALICE_MAIL });
    const again = answer(log, policy, { approved: true, by: ALICE_CONSOLE });
    expect(again).toMatchObject({ ok: false, rejection: { status: 409, code: "already_approved" } });
    expect(log.events).toHaveLength(4);
    expect(runStep(log.state)).toBeUndefined();
  });

  it("ends on one rejection, even after approvals", () => {
    const policy = { required: 3, selfApproval: true };
    const log = heldLog(policy);
    answer(log, policy, { approved: true, by: ALICE_MAIL });
    answer(log, policy, { decision: "reject", comment: "not today", by: BOB });
    expect(log.state.pending).toEqual([]);
    expect(log.state.calls).toEqual([]);
    expect(answer(log, policy, { approved: true, by: CAROL })).toMatchObject({ ok: false, rejection: { code: "already_answered" } });
  });

  it("times out with 1 of 2 under the request's policy", () => {
    const policy = { required: 2, selfApproval: true };
    const log = heldLog(policy);
    answer(log, policy, { approved: true, by: ALICE_MAIL });
    const late = answer(log, policy, { approved: true, by: BOB }, time(3600));
    expect(late).toMatchObject({ ok: false, expire: "r1", rejection: { code: "request_expired" } });
    log.add(ev.timedOut("r1"));
    expect(log.state.calls).toEqual([]);
    expect(log.state.needsModel).toBe(true);
  });
});

describe("decisions: separation of duties", () => {
  it("refuses the launcher's approval and edit with 403 on any channel where the policy forbids it", () => {
    const policy = { required: 1, selfApproval: false, editable: ["tag"] };
    const log = heldLog(policy);
    for (const by of [LAUNCHER, LAUNCHER_ON_MCP]) {
      expect(answer(log, policy, { approved: true, by })).toMatchObject({ ok: false, rejection: { status: 403, code: "self_approval_refused" } });
      expect(answer(log, policy, { decision: "edit", args: { tag: "v2" }, by })).toMatchObject({ ok: false, rejection: { status: 403, code: "self_approval_refused" } });
    }
    expect(log.events).toHaveLength(3);
    // The requester may still withdraw the change.
    expect(answer(log, policy, { approved: false, by: LAUNCHER }).ok).toBe(true);
  });

  it("lets the launcher approve where the policy allows it (the default)", () => {
    const policy = { required: 1, selfApproval: true };
    const log = heldLog(policy);
    expect(answer(log, policy, { approved: true, by: LAUNCHER }).ok).toBe(true);
    expect(runStep(log.state)).toBeDefined();
  });

  it("the reducer ignores a self-approval that reached the log anyway", () => {
    const log = heldLog({ required: 1, selfApproval: false });
    log.add(ev.responded("r1", { approved: true, by: LAUNCHER }));
    expect(log.state.pending).toHaveLength(1);
    expect(runStep(log.state)).toBeUndefined();
  });
});

describe("decisions: edit", () => {
  const policy = { required: 1, selfApproval: true, editable: ["tag"] };

  it("runs exactly once with the edited arguments, keeps the original, and tells the model", () => {
    const log = heldLog(policy);
    expect(answer(log, policy, { decision: "edit", args: { tag: "v2" }, comment: "v1 is broken", by: ALICE_MAIL }).ok).toBe(true);
    const logged = log.events.at(-1);
    expect(logged).toMatchObject({ type: "human_responded", data: { decision: "edit", approved: true, args: { tag: "v2", environment: "production" } } });
    const step = runStep(log.state);
    expect(step?.call.args).toEqual({ tag: "v2", environment: "production" });
    expect(step?.call.edited).toEqual({ originalArgs: PROD, by: ALICE_MAIL });
    log.add(ev.started("c1", "deploy", { tag: "v2", environment: "production" }));
    expect(runStep(log.state)).toBeUndefined();
  });

  it("refuses a field that is not editable, wrong types, and edits where none are allowed: 400, nothing appended", () => {
    const log = heldLog(policy);
    expect(answer(log, policy, { decision: "edit", args: { environment: "staging" }, by: ALICE_MAIL })).toMatchObject({
      ok: false,
      rejection: { status: 400, code: "field_not_editable", details: { fields: ["environment"] } },
    });
    expect(answer(log, policy, { decision: "edit", args: { tag: 7 }, by: ALICE_MAIL })).toMatchObject({ ok: false, rejection: { status: 400, code: "invalid_arguments" } });
    expect(answer(log, policy, { decision: "edit", by: ALICE_MAIL })).toMatchObject({ ok: false, rejection: { status: 400, code: "args_required" } });
    expect(answer(log, policy, { decision: "approve", args: { tag: "v2" }, by: ALICE_MAIL })).toMatchObject({ ok: false, rejection: { code: "args_need_edit" } });
    expect(answer(log, policy, { decision: "approve", approved: false, by: ALICE_MAIL })).toMatchObject({ ok: false, rejection: { code: "conflicting_decision" } });
    const fixed = heldLog({ required: 1, selfApproval: true });
    expect(answer(fixed, { required: 1, selfApproval: true }, { decision: "edit", args: { tag: "v2" }, by: ALICE_MAIL })).toMatchObject({
      ok: false,
      rejection: { code: "edit_not_allowed" },
    });
    expect(log.events).toHaveLength(3);
  });

  it("accepts a field sent back unchanged, and an edit that changes nothing is a plain approval", () => {
    const log = heldLog(policy);
    expect(answer(log, policy, { decision: "edit", args: { tag: "v1", environment: "production" }, by: ALICE_MAIL }).ok).toBe(true);
    expect(log.events.at(-1)).toMatchObject({ data: { approved: true } });
    expect(log.events.at(-1)?.data).not.toHaveProperty("args");
  });

  it("an edit voids earlier approvals in a quorum: everyone approves the same arguments", () => {
    const quorum = { required: 2, selfApproval: true, editable: ["tag"] };
    const log = heldLog(quorum);
    answer(log, quorum, { approved: true, by: ALICE_MAIL });
    answer(log, quorum, { decision: "edit", args: { tag: "v3" }, by: BOB });
    expect(threadView(log.state).pending).toMatchObject({ tool: { args: { tag: "v3" } }, approvals: { required: 2, given: [{ by: BOB }] }, edited: { originalArgs: PROD } });
    expect(runStep(log.state)).toBeUndefined();
    answer(log, quorum, { approved: true, by: ALICE_CONSOLE });
    expect(runStep(log.state)?.call.args).toEqual({ tag: "v3", environment: "production" });
  });

  it("re-evaluates the policy on the edited arguments (an edit to production needs production's approvals)", () => {
    const open = { required: 1, selfApproval: true, editable: ["environment"] };
    // Held for another reason (here: staging held by a stricter catalog elsewhere); the edit makes it production.
    const log = heldLog(open, { tag: "v1", environment: "staging" });
    const decision = decideResponse(log.state, { requestId: rid("r1"), decision: "edit", args: { environment: "production" }, by: ALICE_MAIL }, time(60), undefined, checkEdit(2, false));
    expect(decision.ok).toBe(true);
    if (decision.ok) log.add(decision.event);
    expect(threadView(log.state).pending).toMatchObject({ approvals: { required: 2 }, selfApproval: false });
    expect(runStep(log.state)).toBeUndefined();
  });

  it("the model's next context says a human changed the call and how", () => {
    const log = heldLog(policy);
    answer(log, policy, { decision: "edit", args: { tag: "v2" }, by: ALICE_MAIL });
    const text = renderLog(log.events).text;
    expect(text).toContain("A human changed the arguments of your call");
    expect(text).toContain("edited_by: email alice@example.com");
    expect(text).toMatch(/edited_args: .*"tag":"v2"/);
  });
});

describe("decisions: old logs and retries", () => {
  it("a log written before decisions reduces as before: one approval from anyone, the launcher included", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", PROD);
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: PROD }));
    log.add(ev.responded("r1", { approved: true }));
    expect(runStep(log.state)?.call.args).toEqual(PROD);
  });

  it("a retry of the same answer matches; a different one does not", () => {
    const log = heldLog({ required: 1, selfApproval: true, editable: ["tag"] });
    const data = { requestId: rid("r1"), approved: true, decision: "edit" as const, args: { tag: "v2", environment: "production" }, by: ALICE_MAIL };
    expect(sameAnswer(data, { requestId: rid("r1"), decision: "edit", args: { tag: "v2" }, by: ALICE_CONSOLE })).toBe(true);
    expect(sameAnswer(data, { requestId: rid("r1"), decision: "edit", args: { tag: "v3" }, by: ALICE_MAIL })).toBe(false);
    expect(sameAnswer(data, { requestId: rid("r1"), approved: true, by: ALICE_MAIL })).toBe(false);
    expect(log.state.pending).toHaveLength(1);
  });

  it("a retry matches only when every part is the same: request, decision, patch, comment, answer and person", () => {
    const approved = { requestId: rid("r1"), approved: true, by: ALICE_MAIL };
    const same: HumanAnswer = { requestId: rid("r1"), approved: true, by: ALICE_CONSOLE };
    expect(sameAnswer(approved, same)).toBe(true);
    expect(sameAnswer(approved, { ...same, decision: "approve" })).toBe(true);
    expect(sameAnswer(approved, { ...same, requestId: rid("r2") })).toBe(false);
    expect(sameAnswer(approved, { ...same, approved: false })).toBe(false);
    expect(sameAnswer(approved, { ...same, decision: "reject", approved: undefined } as HumanAnswer)).toBe(false);
    expect(sameAnswer(approved, { ...same, comment: "lgtm" })).toBe(false);
    expect(sameAnswer(approved, { ...same, answer: "yes" })).toBe(false);
    expect(sameAnswer(approved, { ...same, by: CAROL })).toBe(false);
    // An edit that changed nothing was logged as a plain approval: its retry is the same answer.
    expect(sameAnswer(approved, { requestId: rid("r1"), decision: "edit", args: { tag: "v1" }, by: ALICE_MAIL })).toBe(true);
    // A logged edit: a retry must send the same values for the fields it sends.
    const edited = { requestId: rid("r1"), approved: true, decision: "edit" as const, args: { tag: "v2", environment: "production" }, by: ALICE_MAIL };
    expect(sameAnswer(edited, { requestId: rid("r1"), decision: "edit", args: { tag: "v2", environment: "production" }, by: ALICE_MAIL })).toBe(true);
    expect(sameAnswer(edited, { requestId: rid("r1"), decision: "edit", args: { tag: "v2", environment: "staging" }, by: ALICE_MAIL })).toBe(false);
    expect(sameAnswer(edited, { requestId: rid("r1"), decision: "approve", by: ALICE_MAIL })).toBe(false);
    const rejected = { requestId: rid("r1"), approved: false, by: ALICE_MAIL };
    expect(sameAnswer(rejected, { requestId: rid("r1"), approved: false, by: ALICE_MAIL })).toBe(true);
    expect(sameAnswer(rejected, { requestId: rid("r1"), approved: true, by: ALICE_MAIL })).toBe(false);
  });

  it("principalKey: an address is one person on every channel; names and Slack users are their own", () => {
    expect(principalKey(ALICE_MAIL)).toBe(principalKey(ALICE_CONSOLE));
    expect(principalKey({ kind: "link", id: "alice@example.com", verifiedBy: "signed_link" })).toBe(principalKey(ALICE_MAIL));
    expect(principalKey(LAUNCHER)).toBe(principalKey(LAUNCHER_ON_MCP));
    expect(principalKey({ kind: "link", id: "webhook", verifiedBy: "signed_link" })).not.toBe(principalKey({ kind: "api", id: "webhook", verifiedBy: "api_token" }));
    expect(principalKey(BOB)).toBe("slack:t0ops:u0bob");
    // Exact keys: a mail principal without an address, a channel link, a credential name, in any case.
    expect(principalKey({ kind: "email", id: "Postmaster", verifiedBy: "dmarc" })).toBe("email:postmaster");
    expect(principalKey({ kind: "link", id: "Webhook", verifiedBy: "signed_link" })).toBe("link:webhook");
    expect(principalKey({ kind: "api", id: "Carol", verifiedBy: "api_token" })).toBe("name:carol");
    expect(principalKey(ALICE_CONSOLE)).toBe("address:alice@example.com");
    expect(principalKey({ kind: "email", id: "ops", verifiedBy: "dmarc" })).not.toBe(principalKey({ kind: "link", id: "ops", verifiedBy: "signed_link" }));
  });
});

// ---------------------------------------------------------------------------
// Property: over random answer sequences (approve, reject, edit, duplicates, other
// channels of one person, the launcher, late answers, timeouts), a tool runs only with
// arguments that the required number of distinct allowed principals approved exactly.
// ---------------------------------------------------------------------------

const PEOPLE = [LAUNCHER, LAUNCHER_ON_MCP, ALICE_MAIL, ALICE_CONSOLE, BOB, CAROL] as const;
type Word = DecisionWord | "approved_true" | "approved_false";
type Move = { kind: "answer"; by: Principal; decision: Word; tag: string } | { kind: "timeout" };

const move: fc.Arbitrary<Move> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      by: fc.constantFrom(...PEOPLE),
      decision: fc.constantFrom<Word>("approve", "approve", "approve", "approved_true", "edit", "edit", "edit", "reject", "approved_false"),
      tag: fc.constantFrom("v1", "v2", "v3", "bad"),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "timeout" as const }) },
);

/** The independent oracle: who approved which arguments, by the rules of invariant 13. */
function oracle(policy: Policy, answers: readonly { by: Principal; decision: DecisionWord; args?: JsonObject }[]) {
  let args: JsonObject = PROD;
  let approvers = new Set<string>();
  let required = policy.required;
  for (const a of answers) {
    if (a.decision === "reject") return { outcome: "rejected" as const, args };
    if (!policy.selfApproval && principalKey(a.by) === principalKey(LAUNCHER)) throw new Error("a self-approval was admitted");
    if (a.decision === "edit" && a.args) {
      args = a.args;
      approvers = new Set([principalKey(a.by)]);
      required = a.args["environment"] === "production" ? policy.required : 0;
    } else {
      if (approvers.has(principalKey(a.by))) throw new Error("a second approval by one person was admitted");
      approvers.add(principalKey(a.by));
    }
    if (approvers.size >= required) return { outcome: "approved" as const, args, distinct: approvers.size };
  }
  return { outcome: "open" as const, args };
}

describe("property: decisions (invariant 13)", () => {
  const policyArb: fc.Arbitrary<Policy> = fc.record({ required: fc.integer({ min: 1, max: 3 }), selfApproval: fc.boolean(), editable: fc.constant(["tag"]) });
  const lateArb = fc.array(fc.boolean(), { minLength: 30, maxLength: 30 });

  it("runs only with arguments enough distinct allowed principals approved exactly; edits win, rejections stop, repeats change nothing", () => {
    const seen = { approved: 0, rejected: 0, edited: 0, refused: 0, quorum: 0 };
    fc.assert(
      fc.property(policyArb, fc.array(move, { maxLength: 14 }), lateArb, (policy, moves, lates) => {
        const log = heldLog(policy);
        const admitted: { by: Principal; decision: DecisionWord; args?: JsonObject }[] = [];
        let ran: JsonObject | undefined;
        moves.forEach((m, i) => {
          if (m.kind === "timeout") {
            if (log.state.pending.length > 0) log.add(ev.timedOut("r1"));
            return;
          }
          const late = lates[i] === true && i % 3 === 0;
          const word = m.decision === "approved_true" ? { approved: true } : m.decision === "approved_false" ? { approved: false } : { decision: m.decision };
          const before = log.events.length;
          const stateBefore = canonicalJson(log.state as unknown as JsonObject);
          const result = answer(log, policy, { ...word, ...(m.decision === "edit" ? { args: { tag: m.tag } } : {}), by: m.by }, late ? time(3600) : time(60));
          if (!result.ok) {
            seen.refused++;
            // A refused answer appends nothing and changes nothing.
            expect(log.events.length).toBe(before);
            expect(canonicalJson(log.state as unknown as JsonObject)).toBe(stateBefore);
            return;
          }
          const event = log.events.at(-1);
          if (event?.type !== "human_responded") throw new Error("expected an answer");
          const d = event.data.decision ?? (event.data.approved ? "approve" : "reject");
          admitted.push({ by: m.by, decision: d, ...(event.data.args ? { args: event.data.args } : {}) });
          const step = runStep(log.state);
          if (step) {
            expect(ran, "runs once").toBeUndefined();
            ran = step.call.args;
            log.add(ev.started("c1", "deploy", step.call.args));
          }
        });
        const expected = oracle(policy, admitted);
        if (expected.outcome === "approved") {
          seen.approved++;
          if (policy.required > 1 && expected.args["environment"] === "production") seen.quorum++;
          expect(ran).toEqual(expected.args);
          const lastEdit = admitted.filter((a) => a.decision === "edit").at(-1);
          if (lastEdit) {
            // Never the arguments from before the (last) edit.
            seen.edited++;
            expect(ran).toEqual(lastEdit.args);
          }
        } else {
          if (expected.outcome === "rejected") seen.rejected++;
          expect(ran).toBeUndefined();
        }
      }),
      params,
    );
    // Not vacuous: every outcome happened many times.
    expect(seen.approved, JSON.stringify(seen)).toBeGreaterThan(30);
    expect(seen.quorum, JSON.stringify(seen)).toBeGreaterThan(10);
    expect(seen.rejected, JSON.stringify(seen)).toBeGreaterThan(30);
    expect(seen.edited, JSON.stringify(seen)).toBeGreaterThan(10);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(100);
  });

  it("the reducer alone never runs a call with unapproved arguments, whatever answers reach the log", () => {
    fc.assert(
      fc.property(policyArb, fc.array(fc.tuple(fc.constantFrom(...PEOPLE), fc.constantFrom("approve", "edit", "reject") as fc.Arbitrary<DecisionWord>, fc.constantFrom("v1", "v2")), { maxLength: 10 }), (policy, answers) => {
        let state: MaybeThread = replay(heldLog(policy).events);
        let seq = 4;
        let args: JsonObject = PROD;
        const approvals = new Set<string>();
        for (const [by, decision, tag] of answers) {
          const data =
            decision === "edit"
              ? { requestId: rid("r1"), by, approved: true, decision, args: { ...args, tag }, policy: { required: policy.required, selfApproval: policy.selfApproval } }
              : { requestId: rid("r1"), by, approved: decision === "approve", decision };
          state = reduce(state, stamp({ type: "human_responded", data }, seq++));
          const selfRefused = !policy.selfApproval && principalKey(by) === principalKey(LAUNCHER);
          if (!selfRefused && decision === "edit") {
            args = { ...args, tag };
            approvals.clear();
            approvals.add(principalKey(by));
          } else if (!selfRefused && decision === "approve") approvals.add(principalKey(by));
          const step = state ? runStep(state) : undefined;
          if (step) {
            expect(step.call.args).toEqual(args);
            expect(approvals.size).toBeGreaterThanOrEqual(policy.required);
            return;
          }
          if (decision === "reject") return;
        }
      }),
      params,
    );
  });
});

