import { describe, expect, it } from "vitest";
import { threadView } from "../../src/core";
import type { EventBody } from "../../src/core";
import { Log, at, ev, time } from "./fixtures";

describe("threadView", () => {
  it("shows a fresh thread as running with no pending requests", () => {
    expect(threadView(Log.launched({ metadata: { ticket: "OPS-1" } }).state)).toEqual({
      id: "t1",
      agent: "deploybot",
      status: "running",
      pendingRequests: [],
      metadata: { ticket: "OPS-1" },
      createdAt: at(1),
      updatedAt: at(1),
      lastSeq: 1,
    });
  });

  it("shows the oldest pending request first and the tool it holds", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    const asked = log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { deadline: time(100) }));
    log.add(ev.inputRequested("r2", "Which version?", { deadline: time(200) }));
    const view = threadView(log.state);
    expect(view.status).toBe("waiting_for_human");
    expect(view.pending).toEqual({
      requestId: "r1",
      kind: "approval",
      reason: "approval_policy",
      message: "Approve deploy?",
      tool: { name: "deploy", args: { env: "production" } },
      requestedAt: asked.at,
      deadline: time(100),
      onTimeout: "deny",
      escalated: false,
    });
    expect(view.pendingRequests.map((r) => r.requestId)).toEqual(["r1", "r2"]);
    expect(view.pendingRequests[1]).not.toHaveProperty("tool");
  });

  it("shows the result of a finished thread and the error of a failed one", () => {
    const done = Log.launched();
    done.add(ev.finished("Deployed."));
    expect(threadView(done.state)).toMatchObject({ status: "done", result: { message: "Deployed." } });
    expect(threadView(done.state)).not.toHaveProperty("error");

    const failed = Log.launched();
    failed.add(ev.threadFailed("escalation_timed_out", "nobody answered"));
    expect(threadView(failed.state)).toMatchObject({ status: "failed", error: { code: "escalation_timed_out", message: "nobody answered" } });
  });

  it("shows the last error only while errors are unresolved", () => {
    const log = Log.launched();
    log.add(ev.modelFailed(1, "model_timeout", "slow"));
    expect(threadView(log.state).error).toEqual({ code: "model_timeout", message: "slow" });
    log.decide("c1", "search", {});
    log.add(ev.succeeded("c1", "search"));
    expect(threadView(log.state)).not.toHaveProperty("error");
  });

  it("does not show a stale tool error on a cancelled thread", () => {
    const log = Log.launched();
    log.decide("c1", "search", {});
    log.add(ev.failed("c1", "search"));
    log.add(ev.cancelled());
    const view = threadView(log.state);
    expect(view.status).toBe("cancelled");
    expect(view).not.toHaveProperty("error");
    expect(view).not.toHaveProperty("result");
  });
});

describe("threadView of a busy thread", () => {
  it("shows who may approve, but no approvers field when the policy names nobody", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    const asked = ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } });
    log.add({ ...asked, data: { ...asked.data, approvers: ["alice@example.test", "ops-bot"] } } as EventBody);
    log.add({ ...ev.inputRequested("r2", "Why?"), data: { ...ev.inputRequested("r2", "Why?").data, approvers: [] } } as EventBody);
    const [first, second] = threadView(log.state).pendingRequests;
    expect(first?.approvers).toEqual(["alice@example.test", "ops-bot"]);
    expect(second).not.toHaveProperty("approvers");
  });

  it("shows an escalated request with its extended deadline", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "?", { deadline: time(100), onTimeout: "escalate" }), ev.escalated("r1", time(400)));
    expect(threadView(log.state).pending).toMatchObject({ requestId: "r1", deadline: time(400), escalated: true, onTimeout: "escalate" });
  });

  it("shows a child its parent and depth (1 when the launch left it out), and a parent its children", () => {
    const child = new Log();
    child.add({ type: "thread_launched", data: { ...(ev.launched().data as object), parent: { threadId: "p1", callId: "c7" } } } as EventBody);
    expect(threadView(child.state)).toMatchObject({ parent: { threadId: "p1", callId: "c7" }, depth: 1 });
    const deeper = new Log();
    deeper.add({ type: "thread_launched", data: { ...(ev.launched().data as object), parent: { threadId: "p1", callId: "c7" }, depth: 2 } } as EventBody);
    expect(threadView(deeper.state).depth).toBe(2);
    expect(threadView(Log.launched().state)).not.toHaveProperty("depth");
  });

  it("shows the model's retry time while the thread waits out a backoff, not once it ended", () => {
    const log = Log.launched();
    log.add({ type: "model_failed", data: { code: "model_rate_limited", message: "429", seenSeq: 1, model: "m", promptVersion: "v", latencyMs: 1, retryAt: time(30) } });
    expect(threadView(log.state).retryAt).toBe(time(30));
    log.add(ev.cancelled());
    expect(threadView(log.state)).not.toHaveProperty("retryAt");
  });

  it("shows the launch's timeout policy, the latest answers and a full thread", () => {
    const log = new Log();
    log.add({ type: "thread_launched", data: { ...(ev.launched().data as object), onHumanTimeout: "fail" } } as EventBody);
    log.add(ev.inputRequested("r1", "?"));
    const answered = log.add(ev.responded("r1", { answer: "prod" }));
    const filled = log.add({ type: "thread_filled", data: { cap: 500, notify: [] } });
    expect(threadView(log.state)).toMatchObject({
      onHumanTimeout: "fail",
      answers: [{ requestId: "r1", by: { kind: "api", id: "ops", verifiedBy: "api_token" }, at: answered.at }],
      full: { seq: filled.seq, at: filled.at, cap: 500 },
    });
    const plain = threadView(Log.launched().state);
    for (const field of ["onHumanTimeout", "answers", "full", "variant", "model", "forkedFrom", "children", "parent", "usage"]) expect(plain).not.toHaveProperty(field);
  });
});
