import { describe, expect, it } from "vitest";
import { isApprover, ApproverEntry, type EventBody, type Principal } from "../../src/core";
import { Log, ev, rid } from "./fixtures";

// Chat messages posted for a request (Slack) are updated in place when the request ends:
// the reducer turns each request's posts into one "closed" outbox item, whatever ended it.

const posted = (requestId: string, ts: string, purpose: "request" | "escalation" = "request", channel = "slack"): EventBody => ({
  type: "notification_sent",
  data: { requestId: rid(requestId), channel, purpose, attempt: 1, posted: { channel: "C1", ts } },
});

function approvalPosted() {
  const log = Log.launched();
  log.decide("c1", "deploy", { env: "production" });
  log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["slack"] }));
  log.add(posted("r1", "1.000001"));
  return log;
}

const closedItem = (ts: string[], requestId = "r1", channel = "slack") => ({ requestId, channel, purpose: "closed", attempts: 0, messages: ts.map((t) => ({ channel: "C1", ts: t })) });

describe("posts of a request and their update when it ends", () => {
  it("a post is remembered while its request is open and roots the thread's chat thread", () => {
    const { state } = approvalPosted();
    expect(state.outbox).toEqual([]);
    expect(state.posted).toEqual([{ requestId: "r1", channel: "slack", message: { channel: "C1", ts: "1.000001" } }]);
    expect(state.chatThread).toEqual({ channel: "C1", ts: "1.000001" });
  });

  for (const [how, end] of [
    ["answered", ev.responded("r1", { approved: true })],
    ["timed out", ev.timedOut("r1")],
    ["withdrawn by a cancel", ev.cancelled()],
    ["withdrawn by the thread's end", ev.finished("done")],
  ] as const) {
    it(`a request ${how} queues one update of every post of it (the escalation's too)`, () => {
      const log = approvalPosted();
      log.add(ev.escalated("r1", "2025-01-01T03:00:00.000Z", ["slack"]), posted("r1", "1.000002", "escalation"));
      log.add(end);
      expect(log.state.outbox.filter((i) => i.purpose === "closed")).toEqual([closedItem(["1.000001", "1.000002"])]);
      expect(log.state.posted).toBeUndefined();
    });
  }

  it("an update already queued survives the thread's end, and leaves the outbox once sent", () => {
    const log = approvalPosted();
    log.add(ev.responded("r1", { approved: true }), ev.finished("done"));
    expect(log.state.outbox).toEqual([closedItem(["1.000001"])]);
    log.add({ type: "notification_sent", data: { requestId: rid("r1"), channel: "slack", purpose: "closed", attempt: 1 } });
    expect(log.state.outbox).toEqual([]);
  });

  it("a question answered by a message has its post updated too", () => {
    const log = Log.launched();
    log.add(ev.inputRequested("r1", "Which tag?", { notify: ["slack"] }), posted("r1", "1.000001"), ev.message("v1.2.3"));
    expect(log.state.outbox).toEqual([closedItem(["1.000001"])]);
  });

  it("a post that lands after its request closed (it was in flight) is queued for its update at once", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["slack"] }));
    log.add(ev.responded("r1", { approved: false }), posted("r1", "1.000009"));
    expect(log.state.outbox).toEqual([closedItem(["1.000009"])]);
    expect(log.state.posted).toBeUndefined();
  });
});

describe("posts of two open requests on two channels", () => {
  function twoOpen() {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["slack", "slack-ops"] }));
    log.add(ev.inputRequested("r2", "Which tag?", { notify: ["slack", "email"] }));
    log.add(posted("r1", "1.1", "request", "slack"), posted("r1", "1.2", "request", "slack-ops"), posted("r2", "1.3", "request", "slack"));
    // r2's mail failed and waits for its retry: an outbox item of the still-open request.
    log.add(ev.notificationFailed("r2", "email", { retryAt: "2025-01-01T00:10:00.000Z" }));
    return log;
  }

  it("one request's end updates only its own posts, one outbox item per channel; the other request's posts and retries stay", () => {
    const log = twoOpen();
    const retry = log.state.outbox.find((i) => i.requestId === "r2" && i.channel === "email");
    expect(retry).toBeDefined();
    log.add(ev.responded("r1", { approved: true }));
    expect(log.state.posted).toEqual([{ requestId: "r2", channel: "slack", message: { channel: "C1", ts: "1.3" } }]);
    expect(log.state.outbox).toContainEqual(retry);
    expect(log.state.outbox.filter((i) => i.purpose === "closed")).toEqual([closedItem(["1.1"], "r1", "slack"), closedItem(["1.2"], "r1", "slack-ops")]);
  });

  it("a late post of the closed request joins its queued update, even while another request is open; the other's end queues its own", () => {
    const log = twoOpen();
    log.add(ev.responded("r1", { approved: true }), posted("r1", "1.4", "request", "slack"));
    expect(log.state.posted).toEqual([{ requestId: "r2", channel: "slack", message: { channel: "C1", ts: "1.3" } }]);
    expect(log.state.outbox.filter((i) => i.purpose === "closed")).toEqual([closedItem(["1.1", "1.4"], "r1", "slack"), closedItem(["1.2"], "r1", "slack-ops")]);
    log.add(ev.message("v1.2.3")); // answers the question r2
    expect(log.state.posted).toBeUndefined();
    expect(log.state.outbox.filter((i) => i.purpose === "closed")).toEqual([closedItem(["1.1", "1.4"], "r1", "slack"), closedItem(["1.2"], "r1", "slack-ops"), closedItem(["1.3"], "r2", "slack")]);
  });

  it("the thread's end closes both requests: one update per request, even on the same channel", () => {
    const log = twoOpen();
    log.add(ev.cancelled());
    expect(log.state.posted).toBeUndefined();
    expect(log.state.outbox.filter((i) => i.purpose === "closed")).toEqual([closedItem(["1.1"], "r1", "slack"), closedItem(["1.2"], "r1", "slack-ops"), closedItem(["1.3"], "r2", "slack")]);
  });

  it("a message while only an approval is open closes nothing: the approval's posts stay", () => {
    const log = Log.launched();
    log.decide("c1", "deploy", { env: "production" });
    log.add(ev.approvalRequested("r1", { callId: "c1", tool: "deploy", args: { env: "production" } }, { notify: ["slack"] }), posted("r1", "1.1", "request", "slack"));
    const before = log.state;
    log.add(ev.message("any news?"));
    expect(log.state.posted).toEqual(before.posted);
    expect(log.state.outbox).toEqual(before.outbox);
  });
});

describe("Slack approver entries", () => {
  const slack = (id: string): Principal => ({ kind: "slack", id, verifiedBy: "slack_signature" });

  it("slack:<user> matches that user in any workspace; slack:<team>:<user> only in that team; nobody else", () => {
    expect(isApprover(slack("T1:U0ALICE"), ["slack:u0alice"])).toBe(true);
    expect(isApprover(slack("T2:U0ALICE"), ["slack:u0alice"])).toBe(true);
    expect(isApprover(slack("T1:U0ALICE"), ["slack:t1:u0alice"])).toBe(true);
    expect(isApprover(slack("T2:U0ALICE"), ["slack:t1:u0alice"])).toBe(false);
    expect(isApprover(slack("T1:U0BOB"), ["slack:u0alice"])).toBe(false);
    // A Slack entry never matches another kind of principal with a look-alike id, nor the reverse.
    expect(isApprover({ kind: "api", id: "u0alice", verifiedBy: "api_token" }, ["slack:u0alice"])).toBe(false);
    expect(isApprover(slack("T1:U0ALICE"), ["u0alice", "t1:u0alice"])).toBe(false);
  });

  it("entries parse: slack:U123 lowercased, not a bare 'slack:' or a colon elsewhere", () => {
    for (const ok of ["slack:u0alice", "slack:t0acme:u0alice"]) expect(ApproverEntry.safeParse(ok).success).toBe(true);
    for (const bad of ["slack:", "slack:u1:", "slack:a:b:c", "<bob@example.com>", "ops:team"]) expect(ApproverEntry.safeParse(bad).success).toBe(false);
  });
});

describe("posts that are not a request's", () => {
  it("a full thread's escalation or a result roots the chat thread but queues no update", () => {
    const log = Log.launched();
    log.add({ type: "notification_sent", data: { requestId: rid("thread_full"), channel: "slack", purpose: "escalation", attempt: 1, posted: { channel: "C1", ts: "1.5" } } });
    log.add({ type: "notification_sent", data: { requestId: rid("result"), channel: "slack", purpose: "result", attempt: 1, posted: { channel: "C1", ts: "1.6" } } });
    expect(log.state.outbox).toEqual([]);
    expect(log.state.posted).toBeUndefined();
    expect(log.state.chatThread).toEqual({ channel: "C1", ts: "1.5" });
  });
});
