import { describe, expect, it } from "vitest";
import { api, eventsOf, launch, settle, types } from "../support/api";
import { model } from "../support/harness";

describe("concurrent requests to one thread", () => {
  it("20 concurrent messages all land once, in the order the object acknowledged them, and the model sees them all", async () => {
    const id = "conc-20";
    // The model keeps asking, so the thread stays open while messages race its steps.
    const ask = { tool: "request_more_information", args: { message: "What else?" } };
    const marker = model.script(id, Array.from({ length: 30 }, () => ask));
    await launch("probe", `go ${marker}`, { threadId: id });
    expect((await settle(id)).status).toBe("waiting_for_human");
    const before = (await eventsOf(id)).length;

    const texts = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    const responses = await Promise.all(
      texts.map((text) => api(`/v1/threads/${id}/messages`, { method: "POST", json: { text } })),
    );
    expect(responses.map((r) => r.status)).toEqual(texts.map(() => 202));
    const acknowledged = await Promise.all(responses.map(async (r) => ((await r.json()) as { event: { seq: number; data: { text: string } } }).event));
    const seqs = acknowledged.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(20);

    const after = await settle(id);
    expect(after.status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    const messages = events.filter((e) => e.type === "user_messaged");
    expect(messages).toHaveLength(20);
    // Log order is acknowledgement order: each response's seq points at its own text.
    const bySeq = [...acknowledged].sort((a, b) => a.seq - b.seq).map((e) => e.data.text);
    expect(messages.map((e) => (e.type === "user_messaged" ? e.data.text : ""))).toEqual(bySeq);
    expect(messages.map((e) => e.seq)).toEqual([...seqs].sort((a, b) => a - b));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.length).toBeGreaterThan(before + 20);
    // Every question was announced once, and answered questions stopped being announced.

    // No input was lost: the loop only settles once the model has seen every message.
    const last = model.requests(id).at(-1)?.messages[1]?.content ?? "";
    for (const text of texts) expect(last).toContain(`${text}\n`);
    expect(types(events).filter((t) => !t.startsWith("notification_")).at(-1)).toBe("human_requested");
  });
});

describe("a burst of messages into a running thread (issue 31: ingest coalesces)", () => {
  it("messages that land while a step is in flight are seen by ONE next model call, all of them, in log order; a duplicate is appended once", async () => {
    const id = "burst-10";
    const ask = { tool: "request_more_information", args: { message: "What else?" } };
    const marker = model.script(id, [{ gate: `${id}-gate`, then: ask }, ask, ask]);
    await launch("probe", `go ${marker}`, { threadId: id });
    await model.arrived(`${id}-gate`); // the launch's model call is in flight: the thread is running

    const texts = Array.from({ length: 10 }, (_, i) => `burst ${i}`);
    const send = (text: string, key?: string) =>
      api(`/v1/threads/${id}/messages`, { method: "POST", json: { text }, ...(key ? { headers: { "idempotency-key": key } } : {}) });
    // The burst, with one message sent twice under the same Idempotency-Key (a client retry racing its original).
    const responses = await Promise.all([...texts.map((text, i) => send(text, `burst-key-${i}`)), send("burst 3", "burst-key-3")]);
    expect(responses.map((r) => r.status).sort()).toEqual([...texts.map(() => 202), 200].sort());
    // The duplicate (200) answers with its original's event.
    const acks = await Promise.all(responses.map(async (r) => ((await r.json()) as { event: { seq: number } }).event.seq));
    expect(acks).toHaveLength(11);
    expect(new Set(acks).size).toBe(10);

    await model.release(`${id}-gate`);
    expect((await settle(id)).status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    const messages = events.filter((e) => e.type === "user_messaged");
    expect(messages).toHaveLength(10); // nothing lost, the duplicate not appended
    // Exactly two model calls: the launch's, and ONE for the whole burst.
    const requests = model.requests(id);
    expect(requests).toHaveLength(2);
    const decided = events.filter((e) => e.type === "model_decided");
    expect(decided).toHaveLength(2);
    const last = decided[1];
    expect(last?.type === "model_decided" && last.data.seenSeq).toBeGreaterThanOrEqual(messages.at(-1)?.seq ?? Infinity);
    // It saw every message, in the order the log holds them.
    const seen = requests[1]?.messages[1]?.content ?? "";
    const logOrder = messages.map((e) => (e.type === "user_messaged" ? e.data.text : ""));
    expect(logOrder.map((text) => seen.indexOf(`${text}\n`))).toEqual([...logOrder.map((text) => seen.indexOf(`${text}\n`))].sort((a, b) => a - b));
    for (const text of texts) expect(seen).toContain(`${text}\n`);
  });
});
