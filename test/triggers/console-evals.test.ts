/**
 * Evals in the console: start one from the agent page's form (through the API's route, with
 * the form's Idempotency-Key), read its report with the differing cases side by side, and the
 * refusals (signed out, cross-site, bad form, the API's own 4xx).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EvalView } from "../../src/evals/schemas";
import { evalStub } from "../../src/evals/stubs";
import { api } from "../support/api";
import { get, post, signIn } from "../support/console";
import { deployHistory } from "../support/eval-history";
import { model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
const rows = (html: string) => [...html.matchAll(/<tr data-case="([^"]+)" class="(same|differs)">(.*?)<\/tr>/gs)].map((m) => ({ key: m[1], cls: m[2], html: m[3] ?? "" }));

describe("evals in the console", () => {
  it("the agent page starts an eval once per form, and its page shows progress, summary and the differing case side by side", async () => {
    const script = `ce-${run}`;
    const threadId = `ce-${run}-1`;
    await deployHistory(script, [threadId]);
    expect(model.requests(script)).toHaveLength(3);
    const cookie = await signIn();

    const agentPage = await (await get("/console/agents/deploybot", { cookie })).text();
    const key = /<input type="hidden" name="key" value="([^"]+)"\/?>/.exec(agentPage)?.[1];
    expect(key).toMatch(/^console-[0-9a-f-]{36}$/);
    expect(agentPage).toContain('<option value="terse">terse</option>');
    expect(agentPage).toContain('action="/console/agents/deploybot/evals"');

    const fields = { key: key!, variant: "terse", steps: "all", threads: `  ${threadId}\n`, model: "", status: "", since: "", limit: "" };
    const first = await post("/console/agents/deploybot/evals", fields, { cookie });
    expect(first.status).toBe(303);
    const location = first.headers.get("location") ?? "";
    expect(location).toMatch(/^\/console\/evals\/ev_[0-9a-f]{32}$/);
    // The same form sent again (a double click, a resent POST): the same eval, no second one.
    const again = await post("/console/agents/deploybot/evals", fields, { cookie });
    expect([again.status, again.headers.get("location")]).toEqual([303, location]);
    const id = location.split("/").pop()!;
    await evalStub(env, id).settled();
    expect(model.requests(script)).toHaveLength(3 + 3);

    const view = (await (await api(`/v1/evals/${id}`)).json()) as EvalView;
    expect(view.summary).toMatchObject({ questions: 3, sameArgs: 2 });
    const differing = view.cases.filter((c) => !c.same);
    expect(differing).toHaveLength(1);
    const seq = differing[0]!.seq;

    const pageHtml = await (await get(location, { cookie })).text();
    expect(pageHtml).toContain('data-status="done"');
    expect(pageHtml).toContain('<progress id="eval-progress" max="3" value="3"');
    expect(pageHtml).toContain("66.7%");
    // Differing only by default: the one case, baseline and candidate side by side.
    const shown = rows(pageHtml);
    expect(shown.map((r) => [r.key, r.cls])).toEqual([[`${threadId}@${seq}`, "differs"]]);
    const [baseline, candidate] = [...shown[0]!.html.matchAll(/<td data-label="(?:Baseline|Candidate)">(.*?)<\/td>/gs)].map((m) => m[1] ?? "");
    expect(baseline).toContain('<strong class="tool">deploy_backend</strong>');
    expect(baseline).toContain("&quot;environment&quot;: &quot;staging&quot;");
    expect(candidate).toContain('<strong class="tool">deploy_backend</strong>');
    expect(candidate).toContain("&quot;environment&quot;: &quot;production&quot;");

    const all = await (await get(`/console/evals/${id}/report?only=all`, { cookie })).text();
    expect(all.startsWith('<section id="eval" data-status="done"')).toBe(true);
    // list_git_tags, deploy_backend (staging then, production now), done_for_now: in question order.
    expect(rows(all).map((r) => [r.key, r.cls])).toEqual(view.cases.map((c) => [`${c.threadId}@${c.seq}`, c.same ? "same" : "differs"]));
    expect(rows(all).map((r) => r.cls)).toEqual(["same", "differs", "same"]);
    expect(await (await get("/console/agents/deploybot", { cookie })).text()).toContain(`href="/console/evals/${id}"`);
  });

  it("refuses a signed-out or cross-site start, a form without its key, and passes on the API's own refusals; nothing starts", async () => {
    const cookie = await signIn();
    const before = await (await api("/v1/agents/deploybot/evals")).text();
    const form = { key: `k-${run}`, variant: "terse", threads: `ce-${run}-1` };
    const json = { accept: "application/json" };
    const signedOut = await post("/console/agents/deploybot/evals", form, json);
    expect(signedOut.status).toBe(401);
    const crossSite = await post("/console/agents/deploybot/evals", form, { ...json, cookie, origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const cases: [Record<string, string>, number, string][] = [
      [{ variant: "terse", threads: `ce-${run}-1` }, 400, "invalid_form"],
      [{ ...form, key: "has space" }, 400, "invalid_form"],
      [{ ...form, variant: "shouty" }, 400, "unknown_variant"],
      [{ ...form, threads: `ce-${run}-missing` }, 404, "thread_not_found"],
      [{ ...form, since: "7d" }, 400, "invalid_request"],
    ];
    for (const [fields, status, code] of cases) {
      const response = await post("/console/agents/deploybot/evals", fields, { ...json, cookie });
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code], JSON.stringify(fields)).toEqual([status, code]);
    }
    const unknownAgent = await post("/console/agents/nobody/evals", form, { ...json, cookie });
    expect(unknownAgent.status).toBe(404);
    // A person navigating gets the message as a page.
    const asPage = await post("/console/agents/deploybot/evals", { ...form, variant: "shouty" }, { cookie });
    expect(asPage.status).toBe(400);
    expect(await asPage.text()).toContain("<h1>Not done</h1>");
    expect(await (await api("/v1/agents/deploybot/evals")).text()).toBe(before);

    expect((await get("/console/evals/nope", { cookie, accept: "application/json" })).status).toBe(400);
    expect((await get(`/console/evals/ev_${"0".repeat(32)}`, { cookie, accept: "application/json" })).status).toBe(404);
    expect((await get(`/console/evals/ev_${"0".repeat(32)}?only=some`, { cookie, accept: "application/json" })).status).toBe(400);
    expect((await get(`/console/evals/ev_${"0".repeat(32)}`)).status).toBe(303);
  });
});
