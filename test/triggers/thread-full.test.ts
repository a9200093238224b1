/**
 * The per-thread cap on events (MAX_THREAD_EVENTS) through the real runtime: past the input
 * limit (the cap less the headroom kept for the escalation) outside input gets 409
 * thread_full, and the thread records that it is full exactly once (thread_filled) and
 * escalates to the operator on its channels, with ESCALATION_CONTACT, as a missed deadline
 * does. Each test gives one object a small cap (the default, 5000, is slow to reach).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_NOTIFICATION_ATTEMPTS } from "../../src/channels";
import type { Event, ThreadView } from "../../src/core";
import { FULL_ESCALATION_EVENTS, FULL_HEADROOM } from "../../src/runtime/thread/thread-cap";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { api, eventsOf, launch, settle } from "../support/api";
import { deliver, parsed } from "../support/email";
import { mailbox, model, webhook } from "../support/harness";
import plain from "../fixtures/email/plain.eml?raw";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `full-${run}-${name}-${++n}`;
const ask = (message: string) => ({ tool: "request_more_information", args: { message } });

async function waiting(name: string, steps: Parameters<typeof model.script>[1]) {
  const id = freshId(name);
  const marker = model.script(id, steps);
  expect((await launch("probe", `work ${marker}`, { threadId: id })).response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  return { id, view };
}

/** This one object takes outside input up to seq `inputLimit` (its cap is that plus the headroom). */
async function capAt(id: string, inputLimit: number): Promise<number> {
  const cap = inputLimit + FULL_HEADROOM;
  await runInDurableObject(env.THREADS.getByName(id), (instance) => {
    Reflect.set(instance, "env", { ...(Reflect.get(instance, "env") as Env), MAX_THREAD_EVENTS: String(cap) });
  });
  return cap;
}

const message = (id: string, text: string, key?: string) =>
  api(`/v1/threads/${id}/messages`, { method: "POST", json: { text }, ...(key ? { headers: { "Idempotency-Key": key } } : {}) });
const filled = (events: readonly Event[]) => events.filter((e) => e.type === "thread_filled");
const fullNotices = (id: string) => webhook.for(id).filter((r) => r.body["full"] !== undefined);
const get = async (id: string) => (await (await api(`/v1/threads/${id}`)).json()) as ThreadView;

describe("MAX_THREAD_EVENTS: a full thread refuses outside input and escalates, once", () => {
  it("the headroom holds the escalation and every attempt to notify about it", () => {
    expect(FULL_ESCALATION_EVENTS).toBe(1 + 2 * MAX_NOTIFICATION_ATTEMPTS);
    expect(FULL_HEADROOM).toBeGreaterThanOrEqual(FULL_ESCALATION_EVENTS);
  });

  it("the event that reaches the input limit records thread_filled and escalates to ESCALATION_CONTACT; later input gets 409 and appends nothing", async () => {
    const { id, view } = await waiting("cross", [ask("Which tag?"), ask("And the environment?")]);
    const cap = await capAt(id, view.lastSeq + 1);
    // This message is the last outside input the thread takes: it reaches the limit.
    expect((await message(id, "v1.2.3", "last-one")).status).toBe(202);
    const after = await settle(id);
    const events = await eventsOf(id);
    const [fill] = filled(events);
    expect(fill).toMatchObject({ seq: view.lastSeq + 2, data: { cap, notify: ["webhook"] }, source: { kind: "runtime" } });
    // The thread's own steps still ran: it asked its next question.
    expect(after.status).toBe("waiting_for_human");
    expect(after.full).toEqual({ seq: fill?.seq, at: fill?.at, cap });
    // The escalation went out once, on the configured channel, naming the escalation contact.
    const [notice] = fullNotices(id);
    expect(fullNotices(id)).toHaveLength(1);
    expect(notice?.body).toMatchObject({ purpose: "escalation", escalationContact: "@oncall", full: { cap, seq: fill?.seq } });
    expect(String(notice?.body["text"])).toMatch(new RegExp(`^ESCALATION for @oncall: Thread ${id} reached its cap of ${cap} events`));
    expect(notice?.headers["x-agents-delivery"]).toBe(`${id}:thread_full:escalation`);
    expect(events.filter((e) => e.type === "notification_sent" && e.data.requestId === "thread_full")).toHaveLength(1);

    // Past the limit: messages and answers are refused and change nothing.
    const refused = await message(id, "one more");
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: { code: "thread_full", message: expect.stringMatching(new RegExp(`the cap is ${cap}, the last ${FULL_HEADROOM} kept for its escalation.*Fork it or start a new one`)) } });
    const answer = await api(`/v1/threads/${id}/responses`, { method: "POST", json: { requestId: after.pending?.requestId, answer: "production" } });
    expect(answer.status).toBe(409);
    // A retry of the message the thread took still gets its original.
    const retry = await message(id, "v1.2.3", "last-one");
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { event: Event }).event).toMatchObject({ type: "user_messaged", seq: view.lastSeq + 1 });
    expect(await eventsOf(id)).toEqual(events);
    expect((await get(id)).lastSeq).toBeLessThan(cap);
  });

  it("concurrent and duplicate input at the limit: every request gets 409, one thread_filled, one escalation", async () => {
    const { id, view } = await waiting("race", [ask("Which tag?")]);
    // The limit is already reached (as for a log from before this cap, or a lowered cap).
    await capAt(id, view.lastSeq);
    const attempts = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => message(id, `flood ${i}`)),
      ...Array.from({ length: 3 }, () => message(id, "same", "dup-key")),
      ...Array.from({ length: 3 }, () => api(`/v1/threads/${id}/responses`, { method: "POST", json: { requestId: view.pending?.requestId, answer: "x" } })),
    ]);
    expect(attempts.map((r) => r.status)).toEqual(Array.from({ length: 12 }, () => 409));
    const after = await settle(id);
    const events = await eventsOf(id);
    expect(filled(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === "user_messaged" || e.type === "human_responded")).toEqual([]);
    expect(fullNotices(id)).toHaveLength(1);
    expect(after.full?.seq).toBe(view.lastSeq + 1);
    // And again later: still one.
    expect((await message(id, "later")).status).toBe(409);
    expect(filled(await eventsOf(id))).toHaveLength(1);
    expect(fullNotices(id)).toHaveLength(1);
  });

  it("a thread started by mail also tells its starter, by mail, that it is full", async () => {
    const script = `fullmail${++n}`;
    model.script(script, [ask("Which tag?"), ask("And the environment?")]);
    const messageId = `<${freshId("mail")}@example.com>`;
    const raw = plain
      .replace("{{FROM}}", "alice@example.com")
      .replace("{{TO}}", "deploybot@agents.test")
      .replace("{{SUBJECT}}", "Ship it")
      .replace("{{MESSAGE_ID}}", messageId)
      .replace("{{BODY}}", `Ship it. [script:${script}]`);
    expect((await deliver(raw, { from: "alice@example.com", to: "deploybot@agents.test" })).refused).toBeUndefined();
    const id = await threadIdForMessage("deploybot", messageId);
    const view = await settle(id);
    const cap = await capAt(id, view.lastSeq + 1);
    expect((await message(id, "v1.2.3")).status).toBe(202);
    await settle(id);
    const fill = filled(await eventsOf(id))[0];
    expect(fill?.data.notify).toEqual(["webhook", "email"]);
    const mails = await Promise.all(mailbox.of(id).map((m) => parsed(m.raw)));
    const escalations = mails.filter((m) => (m.text ?? "").includes("reached its cap"));
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.text).toContain(`ESCALATION for @oncall: Thread ${id} reached its cap of ${cap} events at event ${fill?.seq}`);
    expect(escalations[0]?.to?.map((a) => a.address)).toEqual(["alice@example.com"]);
  });

  it("cancel is never capped, and a thread that ended does not escalate", async () => {
    const { id, view } = await waiting("cancel", [ask("Which tag?")]);
    await capAt(id, view.lastSeq + 100);
    expect((await api(`/v1/threads/${id}/cancel`, { method: "POST", json: {} })).status).toBe(200);
    await capAt(id, 1);
    expect((await message(id, "too late")).status).toBe(409);
    expect(filled(await eventsOf(id))).toEqual([]);
    expect((await get(id)).full).toBeUndefined();
  });
});
