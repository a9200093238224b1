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
  // Cases are named in words: Stryker's per-test coverage matches tests by name, and names
  // printed from objects (…(1)) collide.
  it.each([
    ["a named address, its owner", alice, ["alice@example.test"], true],
    ["a named address, someone else", bob, ["alice@example.test"], false],
    ["a domain, an address in it", bob, ["@example.test"], true],
    ["a subdomain, an address of the parent domain", bob, ["@sub.example.test"], false],
    ["a credential name, that API credential", opsBot, ["ops-bot"], true],
    ["a credential name, a console user of that name", { kind: "console", id: "ops-bot", verifiedBy: "cloudflare_access" } as Principal, ["ops-bot"], true],
    // A name matches credentials only: a mail sender or a link recipient cannot call itself "ops-bot".
    ["a credential name, a mail sender calling itself so", { kind: "email", id: "ops-bot", verifiedBy: "dmarc" } as Principal, ["ops-bot"], false],
    ["a credential name, a link recipient calling itself so", { kind: "link", id: "ops-bot", verifiedBy: "signed_link" } as Principal, ["ops-bot"], false],
    ["a domain, a link recipient in it", carolLink, ["@corp.test"], true],
    ["a domain, an id that is only the domain", { kind: "api", id: "@corp.test", verifiedBy: "api_token" } as Principal, ["@corp.test"], false],
    ["two entries, a principal matching the second only", opsBot, ["alice@example.test", "ops-bot"], true],
    // An MCP caller is a credential (or Access identity) too: a name matches it.
    ["a credential name, an MCP caller of that name", { kind: "mcp", id: "ops-bot", verifiedBy: "api_token" } as Principal, ["ops-bot"], true],
    ["a credential name, another MCP caller", { kind: "mcp", id: "mallory", verifiedBy: "api_token" } as Principal, ["ops-bot"], false],
    ["no list", opsBot, undefined, true],
    ["an empty list", opsBot, [], true],
  ] as const)("%s -> %s", (_case, principal, approvers, expected) => {
    expect(isApprover(principal, approvers)).toBe(expected);
  });
});

describe("a refused answer", () => {
  it("gets 403 not_an_approver naming the approvers, and is kept for the audit with what it tried to approve", () => {
    expect(decideResponse(heldDeploy(["alice@example.test", "ops-bot"]).state, { requestId: rid("r1"), approved: true, by: bob }, BEFORE, undefined)).toEqual({
      ok: false,
      record: { type: "human_response_refused", data: { requestId: "r1", by: bob, code: "not_an_approver", approved: true } },
      rejection: {
        status: 403,
        code: "not_an_approver",
        message: "email bob@example.test may not answer request r1; its approvers are alice@example.test, ops-bot.",
        details: { approvers: ["alice@example.test", "ops-bot"] },
      },
    });
    const withoutVerdict = decideResponse(heldDeploy(["alice@example.test"]).state, { requestId: rid("r1"), comment: "hm", by: bob }, BEFORE, undefined);
    expect(withoutVerdict).toMatchObject({ ok: false, record: { data: { requestId: "r1", by: bob, code: "not_an_approver" } } });
    expect("record" in withoutVerdict && Object.keys(withoutVerdict.record.data).sort()).toEqual(["by", "code", "requestId"]);
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
