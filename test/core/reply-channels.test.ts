import { describe, expect, it } from "vitest";
import { RESULT_NOTIFICATION, type EventBody } from "../../src/core";
import { Log, ev } from "./fixtures";

// Reply channels (set at launch, e.g. by the email trigger): the thread's outcome gets an
// outbox entry of its own, so the final answer is delivered and retried like any request.

const launchedWith = (replyChannels: string[]): EventBody => {
  const launched = ev.launched();
  if (launched.type !== "thread_launched") throw new Error("fixture");
  return { ...launched, data: { ...launched.data, replyChannels } };
};

function log(replyChannels: string[]) {
  const l = new Log();
  l.add(launchedWith(replyChannels));
  return l;
}

describe("reply channels", () => {
  it("are kept from the launch", () => {
    expect(log(["email"]).state.replyChannels).toEqual(["email"]);
    expect(log([]).state.replyChannels).toBeUndefined();
  });

  it.each([
    ["finished", { type: "thread_finished", data: { message: "done" } }],
    ["failed", { type: "thread_failed", data: { code: "internal_error", message: "boom" } }],
  ] as const)("a thread that %s queues its result on them, until it is sent", (_what, end) => {
    const l = log(["email"]);
    l.add(end as EventBody);
    expect(l.state.outbox).toEqual([{ requestId: RESULT_NOTIFICATION, channel: "email", purpose: "result", attempts: 0 }]);
    l.add({ type: "notification_sent", data: { requestId: RESULT_NOTIFICATION, channel: "email", purpose: "result", attempt: 1, messageId: "<t1.1.abc@x>" } });
    expect(l.state.outbox).toEqual([]);
  });

  it("a thread without reply channels queues nothing at its end, and a cancelled one never does", () => {
    const plain = log([]);
    plain.add({ type: "thread_finished", data: { message: "done" } });
    expect(plain.state.outbox).toEqual([]);
    const cancelled = log(["email"]);
    cancelled.add({ type: "thread_cancelled", data: {} });
    expect(cancelled.state.outbox).toEqual([]);
  });
});
