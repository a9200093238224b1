import { describe, expect, it } from "vitest";
import { threadView } from "../../src/core";
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
