/**
 * Timers are at-least-once (the Agent SDK may fire a schedule twice, late, or after the
 * thing it was for is gone). test/runtime/humans.test.ts covers a deadline fired late
 * and twice on an open request; here: every other timer kind, and every kind fired on
 * answered requests, finished and cancelled threads, concurrently, and with bad payloads.
 */
import { afterEach, describe, expect, it } from "vitest";
import { api, eventsOf, fireTimer, launch, respond, settle } from "../support/api";
import { clock, model, webhook } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import { count, fresh } from "./consistency";

afterEach(() => {
  clock.offsetMs = 0;
  webhook.failNext = 0;
});

async function start(steps: ScriptStep[]) {
  const id = fresh("timers");
  await launch("probe", `go ${model.script(id, steps)}`, { threadId: id });
  return { id, view: await settle(id) };
}

const guarded = (label: string): ScriptStep => ({ tool: "guarded", args: { label } });
const done: ScriptStep = { tool: "done_for_now", args: { message: "done" } };
const ALL_KINDS = (requestId: string) => [{ type: "human_deadline", requestId }, { type: "notify" }, { type: "sync_index" }, { type: "drive" }];

describe("timers fired twice, late, or for something that is gone", () => {
  it("notify fired twice and late after the notification was delivered: no second send, nothing appended", async () => {
    const { id } = await start([guarded(fresh("notify-late"))]);
    expect(webhook.for(id)).toHaveLength(1);
    const before = await eventsOf(id);
    clock.advance(30_000); // late for the notification, still before the request's 60 s deadline (a wake does everything due)
    await fireTimer(id, { type: "notify" });
    await fireTimer(id, { type: "notify" });
    await settle(id);
    expect(await eventsOf(id)).toEqual(before);
    expect(webhook.for(id)).toHaveLength(1);
  });

  it("notify fired twice AT ONCE when a retry is due: exactly one send, one notification_sent", async () => {
    webhook.failNext = 1;
    const { id } = await start([guarded(fresh("notify-race"))]);
    expect(count(await eventsOf(id), "notification_failed")).toBe(1);
    clock.advance(31_000);
    await Promise.all([fireTimer(id, { type: "notify" }), fireTimer(id, { type: "notify" })]);
    await settle(id);
    const events = await eventsOf(id);
    expect(count(events, "notification_sent")).toBe(1);
    expect(count(events, "notification_failed")).toBe(1);
    expect(webhook.for(id)).toHaveLength(1);
  });

  it("a deadline fired twice and late for a request already answered: nothing appended, the tool ran once", async () => {
    const { id, view } = await start([guarded(fresh("answered")), { tool: "request_more_information", args: { message: "next?" } }]);
    const requestId = view.pending?.requestId ?? "";
    expect((await respond(id, { requestId, approved: true })).status).toBe(200);
    await settle(id);
    const before = await eventsOf(id);
    clock.advance(30_000); // late for nothing but the answered request (the question's 60 s deadline is still ahead)
    await fireTimer(id, { type: "human_deadline", requestId });
    await fireTimer(id, { type: "human_deadline", requestId });
    await settle(id);
    expect(await eventsOf(id)).toEqual(before);
    expect(count(before, "human_timed_out")).toBe(0);
  });

  it.each(["done", "cancelled"] as const)("every timer kind, fired twice and late on a %s thread: nothing appended", async (end) => {
    const { id, view } = await start(end === "done" ? [done] : [guarded(fresh("cancel-me"))]);
    const requestId = view.pending?.requestId ?? "r_none";
    if (end === "cancelled") expect((await api(`/v1/threads/${id}/cancel`, { method: "POST" })).status).toBe(200);
    expect((await settle(id)).status).toBe(end);
    const before = await eventsOf(id);
    clock.advance(86_400_000);
    for (const payload of [...ALL_KINDS(requestId), ...ALL_KINDS(requestId)]) await fireTimer(id, payload);
    expect((await settle(id)).status).toBe(end);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("drive and sync_index fired twice while waiting for a human: nothing appended, still waiting", async () => {
    const { id } = await start([guarded(fresh("drive"))]);
    const before = await eventsOf(id);
    await Promise.all([fireTimer(id, { type: "drive" }), fireTimer(id, { type: "drive" }), fireTimer(id, { type: "sync_index" })]);
    expect((await settle(id)).status).toBe("waiting_for_human");
    expect(await eventsOf(id)).toEqual(before);
  });

  it("malformed timer payloads are ignored, never a crash", async () => {
    const { id, view } = await start([guarded(fresh("malformed"))]);
    const before = await eventsOf(id);
    for (const payload of [{}, { type: "nope" }, { type: "human_deadline" }, { type: "human_deadline", requestId: 7 }, { type: "human_deadline", requestId: "r_unknown" }]) {
      await fireTimer(id, payload);
    }
    expect(await settle(id)).toEqual(view);
    expect(await eventsOf(id)).toEqual(before);
  });
});
