import { describe, expect, it } from "vitest";
import {
  decideCancel,
  decideMessage,
  decidePause,
  decideResponse,
  decideResume,
  reduce,
  statusOf,
  type Decision,
  type EventBody,
} from "../../src/core";
import { Log, OPS, ev, rid, stamp, time } from "./fixtures";

const DEADLINE = time(3600);
const BEFORE = time(600);

function withApproval() {
  const log = Log.launched();
  log.decide("c1", "deploy", { env: "production" });
  log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { deadline: DEADLINE }));
  return log;
}

function withQuestion() {
  const log = Log.launched();
  log.decide("c1", "ask", { message: "Which region?" });
  log.add(ev.inputRequested("r1", "Which region?", { call: { callId: "c1", tool: "ask", args: { message: "Which region?" } }, deadline: DEADLINE }));
  return log;
}

function closedLogs() {
  const cancelled = Log.launched();
  cancelled.add(ev.cancelled("stop"));
  const done = Log.launched();
  done.add(ev.finished("all good"));
  const failed = Log.launched();
  failed.add(ev.threadFailed("internal_error", "x"));
  return [
    ["cancelled", cancelled],
    ["done", done],
    ["failed", failed],
  ] as const;
}

function accepted(decision: Decision | { ok: false }): EventBody {
  if (!decision.ok) throw new Error(`expected an accepted command, got ${JSON.stringify(decision)}`);
  return decision.event;
}

describe("decideMessage", () => {
  it("accepts a message on a live thread, even a paused one", () => {
    expect(decideMessage(Log.launched().state, "hello")).toEqual({ ok: true, event: { type: "user_messaged", data: { text: "hello" } } });
    const paused = Log.launched();
    paused.add(ev.paused());
    expect(decideMessage(paused.state, "queued")).toMatchObject({ ok: true });
  });

  it.each(closedLogs())("rejects a %s thread with 409 thread_closed", (status, log) => {
    expect(decideMessage(log.state, "hello?")).toEqual({
      ok: false,
      rejection: { status: 409, code: "thread_closed", message: `Thread t1 is ${status}; it accepts no more input.`, details: { status } },
    });
  });
});

describe("decidePause / decideResume", () => {
  it("pauses a running thread, with or without a reason", () => {
    expect(decidePause(Log.launched().state, "deploy freeze")).toEqual({ ok: true, event: { type: "thread_paused", data: { reason: "deploy freeze" } } });
    expect(decidePause(Log.launched().state)).toEqual({ ok: true, event: { type: "thread_paused", data: {} } });
  });

  it("rejects pausing a paused thread with 409 already_paused", () => {
    const log = Log.launched();
    log.add(ev.paused());
    expect(decidePause(log.state)).toMatchObject({ ok: false, rejection: { status: 409, code: "already_paused" } });
  });

  it("resumes a paused thread", () => {
    const log = Log.launched();
    log.add(ev.paused());
    expect(decideResume(log.state)).toEqual({ ok: true, event: { type: "thread_resumed", data: {} } });
  });

  it("rejects resuming a thread that is not paused with 409 not_paused", () => {
    expect(decideResume(Log.launched().state)).toMatchObject({ ok: false, rejection: { status: 409, code: "not_paused" } });
  });

  it("rejects both on a closed thread with thread_closed, even if it was paused", () => {
    const log = Log.launched();
    log.add(ev.paused(), ev.cancelled());
    expect(decidePause(log.state)).toMatchObject({ ok: false, rejection: { status: 409, code: "thread_closed" } });
    expect(decideResume(log.state)).toMatchObject({ ok: false, rejection: { status: 409, code: "thread_closed" } });
  });
});

describe("decideCancel", () => {
  it("cancels a live thread, paused or waiting", () => {
    expect(decideCancel(Log.launched().state, "no longer needed")).toEqual({
      ok: true,
      event: { type: "thread_cancelled", data: { reason: "no longer needed" } },
    });
    expect(decideCancel(withApproval().state)).toEqual({ ok: true, event: { type: "thread_cancelled", data: {} } });
  });

  it.each(closedLogs())("rejects cancelling a %s thread with 409", (_status, log) => {
    expect(decideCancel(log.state)).toMatchObject({ ok: false, rejection: { status: 409, code: "thread_closed" } });
  });
});

describe("decideResponse", () => {
  it("accepts a valid approval as a human_responded event that approves the call", () => {
    const log = withApproval();
    const decision = decideResponse(log.state, { requestId: rid("r1"), approved: true, comment: "go", by: OPS }, BEFORE, undefined);
    const event = accepted(decision);
    expect(event).toEqual({ type: "human_responded", data: { requestId: "r1", approved: true, comment: "go", by: OPS } });
    const after = reduce(log.state, stamp(event, log.nextSeq));
    expect(after?.calls[0]?.phase).toEqual({ kind: "approved", requestId: "r1", approvedArgs: { env: "production" } });
  });

  it("accepts a rejection", () => {
    expect(accepted(decideResponse(withApproval().state, { requestId: rid("r1"), approved: false, by: OPS }, BEFORE, undefined))).toEqual({
      type: "human_responded",
      data: { requestId: "r1", approved: false, by: OPS },
    });
  });

  it("accepts an answer to a question, dropping a stray approved flag", () => {
    expect(accepted(decideResponse(withQuestion().state, { requestId: rid("r1"), answer: "eu-west", approved: true, by: OPS }, BEFORE, undefined))).toEqual({
      type: "human_responded",
      data: { requestId: "r1", answer: "eu-west", by: OPS },
    });
    expect(accepted(decideResponse(withQuestion().state, { requestId: rid("r1"), comment: "either", by: OPS }, BEFORE, undefined))).toEqual({
      type: "human_responded",
      data: { requestId: "r1", comment: "either", by: OPS },
    });
  });

  it("rejects an unknown request with 404 unknown_request", () => {
    expect(decideResponse(withApproval().state, { requestId: rid("r9"), approved: true, by: OPS }, BEFORE, undefined)).toEqual({
      ok: false,
      rejection: { status: 404, code: "unknown_request", message: "Thread t1 has no request r9." },
    });
  });

  it("rejects a second answer with 409 already_answered", () => {
    const log = withApproval();
    log.add(ev.responded("r1", { approved: true }));
    expect(decideResponse(log.state, { requestId: rid("r1"), approved: false, by: OPS }, BEFORE, "answered")).toMatchObject({
      ok: false,
      rejection: { status: 409, code: "already_answered" },
    });
  });

  it("rejects an answer to a timed-out request with 409 request_expired", () => {
    const log = withApproval();
    log.add(ev.timedOut("r1"));
    const decision = decideResponse(log.state, { requestId: rid("r1"), approved: true, by: OPS }, BEFORE, "timed_out");
    expect(decision).toMatchObject({ ok: false, rejection: { status: 409, code: "request_expired" } });
    expect(decision).not.toHaveProperty("expire");
  });

  it("rejects an answer to a withdrawn request with 409 request_withdrawn", () => {
    const log = withApproval();
    log.add(ev.cancelled());
    // a closed thread wins over the request's own history
    expect(decideResponse(log.state, { requestId: rid("r1"), approved: true, by: OPS }, BEFORE, "withdrawn")).toMatchObject({
      ok: false,
      rejection: { code: "thread_closed" },
    });
    expect(decideResponse(Log.launched().state, { requestId: rid("r1"), approved: true, by: OPS }, BEFORE, "withdrawn")).toMatchObject({
      ok: false,
      rejection: { status: 409, code: "request_withdrawn" },
    });
  });

  it("after the deadline, asks the caller to expire the request first", () => {
    for (const now of [DEADLINE, time(3601), time(86_400)]) {
      expect(decideResponse(withApproval().state, { requestId: rid("r1"), approved: true, by: OPS }, now, undefined)).toEqual({
        ok: false,
        expire: "r1",
        rejection: { status: 409, code: "request_expired", message: `Request r1 expired at ${DEADLINE}.` },
      });
    }
    expect(decideResponse(withApproval().state, { requestId: rid("r1"), approved: true, by: OPS }, time(3599), undefined)).toMatchObject({ ok: true });
  });

  it("rejects an approval without a boolean with 400 approval_required", () => {
    expect(decideResponse(withApproval().state, { requestId: rid("r1"), comment: "sure", by: OPS }, BEFORE, undefined)).toMatchObject({
      ok: false,
      rejection: { status: 400, code: "approval_required" },
    });
  });

  it("rejects an answer to a question without text with 400 answer_required", () => {
    expect(decideResponse(withQuestion().state, { requestId: rid("r1"), by: OPS }, BEFORE, undefined)).toMatchObject({
      ok: false,
      rejection: { status: 400, code: "answer_required" },
    });
    expect(decideResponse(withQuestion().state, { requestId: rid("r1"), answer: "", by: OPS }, BEFORE, undefined)).toMatchObject({
      ok: false,
      rejection: { status: 400, code: "answer_required" },
    });
  });

  it("accepts a response while the thread is paused; the approval waits for the resume", () => {
    const log = withApproval();
    log.add(ev.paused());
    log.add(accepted(decideResponse(log.state, { requestId: rid("r1"), approved: true, by: OPS }, BEFORE, undefined)));
    expect(log.state.calls[0]?.phase.kind).toBe("approved");
    expect(statusOf(log.state)).toBe("paused");
  });
});

describe("decideResponse after an escalation", () => {
  it("accepts an answer before the extended deadline", () => {
    const log = withApproval();
    log.add(ev.escalated("r1", time(7200), ["pager"]));
    expect(decideResponse(log.state, { requestId: rid("r1"), approved: true, by: OPS }, time(5000), undefined)).toMatchObject({ ok: true });
    expect(decideResponse(log.state, { requestId: rid("r1"), approved: true, by: OPS }, time(7200), undefined)).toMatchObject({
      ok: false,
      expire: "r1",
    });
  });
});

describe("every refusal says, in its message, what happened and what to send instead", () => {
  // These messages are the API's error.message (docs/http-api.md): a caller reads them to fix the request.
  const answer = (requestId: string, extra: object = {}) => ({ requestId: rid(requestId), by: OPS, ...extra });

  it("pause, resume", () => {
    const paused = Log.launched();
    paused.add(ev.paused());
    expect(decidePause(paused.state)).toEqual({ ok: false, rejection: { status: 409, code: "already_paused", message: "Thread t1 is already paused." } });
    expect(decideResume(Log.launched().state)).toEqual({ ok: false, rejection: { status: 409, code: "not_paused", message: "Thread t1 is not paused." } });
  });

  it("answers to requests that are no longer open", () => {
    const log = withApproval();
    expect(decideResponse(log.state, answer("r7", { approved: true }), BEFORE, "answered")).toEqual({
      ok: false,
      rejection: { status: 409, code: "already_answered", message: "Request r7 was already answered." },
    });
    expect(decideResponse(log.state, answer("r7", { approved: true }), BEFORE, "timed_out")).toEqual({
      ok: false,
      rejection: { status: 409, code: "request_expired", message: "Request r7 timed out before this answer." },
    });
    expect(decideResponse(log.state, answer("r7", { approved: true }), BEFORE, "withdrawn")).toEqual({
      ok: false,
      rejection: { status: 409, code: "request_withdrawn", message: "Request r7 is no longer open." },
    });
  });

  it("answers of the wrong shape", () => {
    expect(decideResponse(withApproval().state, answer("r1", { answer: "yes" }), BEFORE, undefined)).toEqual({
      ok: false,
      rejection: { status: 400, code: "approval_required", message: 'This request is an approval: send "decision" (approve, reject, edit) or "approved": true or false.' },
    });
    expect(decideResponse(withQuestion().state, answer("r1"), BEFORE, undefined)).toEqual({
      ok: false,
      rejection: { status: 400, code: "answer_required", message: 'This request is a question: send "answer" with the text.' },
    });
  });

  it("an answer carries only the fields the human sent", () => {
    expect(accepted(decideResponse(withQuestion().state, answer("r1", { answer: "eu" }), BEFORE, undefined))).toEqual({
      type: "human_responded",
      data: { requestId: "r1", answer: "eu", by: OPS },
    });
    const event = accepted(decideResponse(withApproval().state, answer("r1", { approved: true }), BEFORE, undefined));
    expect(Object.keys(event.data).sort()).toEqual(["approved", "by", "requestId"]);
    const question = accepted(decideResponse(withQuestion().state, answer("r1", { comment: "either" }), BEFORE, undefined));
    expect(Object.keys(question.data).sort()).toEqual(["by", "comment", "requestId"]);
  });
});
