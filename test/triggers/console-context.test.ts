import { describe, expect, it } from "vitest";
import { launch, settle } from "../support/api";
import { get, signIn } from "../support/console";
import { model } from "../support/harness";

// The console's context view (Factor 3): the budget, what each range of the log became, the messages.
describe("console: a thread's context", () => {
  it("shows tokens against the limit and the tokenizer, the sections with their reasons, and the messages", async () => {
    const id = "console-context";
    const steps = Array.from({ length: 25 }, (_, i) => ({ tool: "echo", args: { text: `turn ${i}: ${"lorem ipsum ".repeat(16)}` } }));
    const marker = model.script(id, [...steps, { tool: "done_for_now", args: { message: "ok" } }]);
    model.failSummaries(id, 1_000); // nothing summarised: the view must show what was omitted
    await launch("tight", `echo ${marker}`, { threadId: id });
    await settle(id);
    const cookie = await signIn();
    const thread = await get(`/console/threads/${id}`, { cookie });
    expect(await thread.text()).toContain(`href="/console/threads/${id}/context"`);
    const page = await get(`/console/threads/${id}/context`, { cookie });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<strong>\d+<\/strong> of 1500 tokens \(cl100k_base\)/);
    expect(html).toContain('<td data-label="Events">#1</td><td data-label="Shown as">full</td><td data-label="Why">pinned</td>');
    expect(html).toMatch(/<td data-label="Shown as">omitted<\/td><td data-label="Why">(older than the read|over budget \(normal\))<\/td>/);
    expect(html).toContain("&lt;user_message&gt;");
    expect((await get("/console/threads/nope/context", { cookie })).status).toBe(404);
  });
});
