import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideResponse, isApprover, mayRun, next, type EventBody, type Principal } from "../../src/core";
import { Log, catalog, ev, facts, rid, time } from "./fixtures";

// Invariant 10 in the pure core: who may answer, and a fork never inheriting an approval.

const alice: Principal = { kind: "email", id: "alice@example.test", verifiedBy: "dmarc" };
const bob: Principal = { kind: "email", id: "bob@example.test", verifiedBy: "dmarc" };
const opsBot: Principal = { kind: "api", id: "ops-bot", verifiedBy: "api_token" };
const carolLink: Principal = { kind: "link", id: "carol@corp.test", verifiedBy: "signed_link" };
const BEFORE = time(600);

function heldDeploy(approvers?: string[]) {
  const log = Log.launched();
  log.decide("c1", "deploy", { env: "production" });
  const request = ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } });
  if (request.type === "human_requested" && approvers) request.data.approvers = approvers;
  log.add(request);
  return log;
}

describe("isApprover", () => {
  it.each([
    [alice, ["alice@example.test"], true],
    [bob, ["alice@example.test"], false],
    [bob, ["@example.test"], true],
    [bob, ["@sub.example.test"], false],
    [opsBot, ["ops-bot"], true],
    // A name matches credentials only: a mail sender cannot call itself "ops-bot".
    [{ kind: "email", id: "ops-bot", verifiedBy: "dmarc" } as Principal, ["ops-bot"], false],
    [carolLink, ["@corp.test"], true],
    // An MCP caller is a credential (or Access identity) too: a name matches it.
    [{ kind: "mcp", id: "ops-bot", verifiedBy: "api_token" } as Principal, ["ops-bot"], true],
    [{ kind: "mcp", id: "mallory", verifiedBy: "api_token" } as Principal, ["ops-bot"], false],
    [opsBot, undefined, true],
    [opsBot, [], true],
  ] as const)("%o with %o -> %s", (principal, approvers, expected) => {
    expect(isApprover(principal, approvers)).toBe(expected);
  });
});

describe("named approvers", () => {
  it("refuses an answer from someone else with 403 not_an_approver and an audit event that changes nothing", () => {
    const log = heldDeploy(["alice@example.test"]);
    const decision = decideResponse(log.state, { requestId: rid("r1"), approved: true, by: bob }, BEFORE, undefined);
    expect(decision).toMatchObject({ ok: false, rejection: { status: 403, code: "not_an_approver" } });
    if (decision.ok || !("record" in decision)) throw new Error("expected a refusal to record");
    const before = log.state;
    log.add(decision.record);
    // Recorded, never acted on: the call is still held, the request still open.
    expect(log.state.calls).toEqual(before.calls);
    expect(log.state.pending).toEqual(before.pending);
    expect(next(log.state, catalog).kind).toBe("wait");
  });

  it("accepts the named approver and records who it was", () => {
    const log = heldDeploy(["alice@example.test"]);
    const decision = decideResponse(log.state, { requestId: rid("r1"), approved: true, by: alice }, BEFORE, undefined);
    expect(decision).toMatchObject({ ok: true, event: { type: "human_responded", data: { by: alice } } });
    if (!decision.ok) throw new Error("expected acceptance");
    log.add(decision.event);
    expect(log.state.answers).toEqual([{ requestId: "r1", by: alice, at: log.events.at(-1)?.at, approved: true }]);
  });
});

describe("a fork never replays an approval", () => {
  it("voids a copied approval of a call that had not started; the fork asks again", () => {
    const log = heldDeploy();
    log.add(ev.responded("r1", { approved: true }));
    expect(next(log.state, catalog)).toMatchObject({ kind: "run_tool" });
    log.add({ type: "thread_forked", data: { threadId: "fork-1" as never, from: "t-1" as never, atSeq: log.lastSeq } });
    const step = next(log.state, catalog);
    expect(step).toMatchObject({ kind: "ask_human", request: { kind: "approval" } });
    expect(log.state.calls[0] && mayRun(log.state.calls[0], facts("deploy"))).toBe(false);
  });

  it("keeps a started call's approval (its outcome follows the crash rules, never a silent re-run)", () => {
    const log = heldDeploy();
    log.add(ev.responded("r1", { approved: true }), { type: "tool_started", data: { callId: "c1" as never, tool: "deploy", args: { env: "production" }, attempt: 1 } });
    log.add({ type: "thread_forked", data: { threadId: "fork-1" as never, from: "t-1" as never, atSeq: log.lastSeq } });
    expect(next(log.state, catalog)).toMatchObject({ kind: "fail_call", code: "outcome_unknown" });
  });
});

describe("property: a held tool runs only after an allowed principal approved that exact call", () => {
  const principals: Principal[] = [alice, bob, opsBot, carolLink, { kind: "api", id: "intern", verifiedBy: "api_token" }];
  const approvers = ["alice@example.test", "ops-bot"];
  type Step = { kind: "answer"; who: number; approved: boolean } | { kind: "fork" };
  const steps = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant("answer" as const), who: fc.integer({ min: 0, max: principals.length - 1 }), approved: fc.boolean() }),
      fc.constant({ kind: "fork" as const }),
    ),
    { maxLength: 12 },
  );

  it("holds over random interleavings of answers (API, link, email) and forks", () => {
    fc.assert(
      fc.property(steps, (plan: Step[]) => {
        const log = heldDeploy(approvers);
        let allowedApproval = false;
        for (const step of plan) {
          const state = log.state;
          const action = next(state, catalog);
          if (action.kind === "run_tool") {
            // The property: whenever the core would run the held tool, the last answer
            // in this (possibly forked) log came from an allowed principal and approved it.
            expect(allowedApproval).toBe(true);
            return;
          }
          if (action.kind === "ask_human") {
            // A fork asks again: a fresh request with the same approvers.
            const fresh = ev.approvalRequested(`r${log.lastSeq}`, { callId: "c1", tool: "deploy", args: { env: "production" } });
            if (fresh.type === "human_requested") fresh.data.approvers = approvers;
            log.add(fresh);
            allowedApproval = false;
            continue;
          }
          if (step.kind === "fork") {
            log.add({ type: "thread_forked", data: { threadId: `f${log.lastSeq}` as never, from: "t-1" as never, atSeq: log.lastSeq } });
            allowedApproval = false;
            continue;
          }
          const open = state.pending[0];
          if (!open) continue;
          const who = principals[step.who] as Principal;
          const decision = decideResponse(state, { requestId: open.requestId, approved: step.approved, by: who }, BEFORE, undefined);
          const body: EventBody | undefined = decision.ok ? decision.event : "record" in decision ? decision.record : undefined;
          if (body) log.add(body);
          if (decision.ok) allowedApproval = step.approved && isApprover(who, approvers);
          if (decision.ok && !step.approved) return; // rejected: the call is dropped, nothing can run
        }
        const final = next(log.state, catalog);
        if (final.kind === "run_tool") expect(allowedApproval).toBe(true);
      }),
      { numRuns: 500, seed: 1012 },
    );
  });
});
