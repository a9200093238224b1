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
