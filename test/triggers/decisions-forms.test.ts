/**
 * Invariant 13 on the human channels that are forms: the console and the approval link page
 * show the quorum ("1 of 2"), who approved, and an edit form for the tool's editable fields;
 * a two-person approval across the two channels runs the edited call once; a link holder who
 * edits a field that is not editable gets a 400 page and nothing is appended.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signLink } from "../../src/channels/links";
import type { PendingView, ThreadView } from "../../src/core";
import { api, eventsOf, settle } from "../support/api";
import { get, post, signIn } from "../support/console";
import { executions, model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `decf-${run}-${name}-${++n}`;

/** A board_change held for two approvers, launched by the intern credential (so the console's "default" may approve). */
async function held(name: string, label: string) {
  const id = freshId(name);
  const marker = model.script(id, [{ tool: "board_change", args: { label, env: "production" } }, { tool: "done_for_now", args: { message: "changed" } }]);
  const response = await api("/v1/agents/probe/threads", { method: "POST", token: "intern-token-1234", json: { message: `change ${marker}`, threadId: id } });
  expect(response.status).toBe(201);
  const view = await settle(id);
  const request = view.pending as PendingView;
  const token = await signLink(env.HUMAN_LINK_SECRET ?? "", { threadId: id, requestId: request.requestId as never, exp: Math.floor(Date.parse(request.deadline) / 1000), to: "alice@example.com" });
  return { id, request, token };
}

const submit = (token: string, fields: Record<string, string>) => api(`/h/${token}`, { token: null, method: "POST", body: new URLSearchParams(fields) });

describe("decisions on the console and the link page", () => {
  it("console edits (its approval, 1 of 2), the link page approves the edited call (2 of 2): it runs once with the edit", async () => {
    const label = `form-${run}`;
    const fixed = `form-fixed-${run}`;
    const { id, request, token } = await held("two-channels", label);
    const cookie = await signIn();

    // The console's inbox offers the edit and says how many approvals are needed.
    const inbox = await (await get("/console/inbox", { cookie })).text();
    expect(inbox).toContain(`name="edit.label" value="${label}"`);
    expect(inbox).toContain("Approve with changes");
    expect(inbox).toContain("0 of 2 approvals; 2 more needed.");
    expect(inbox).toContain("(not the requester)");

    const edited = await post(`/console/threads/${id}/respond`, { requestId: request.requestId, decision: "edit", "edit.label": fixed, comment: "right label" }, { cookie, accept: "application/json" });
    expect(edited.status).toBe(200);
    const view = (await settle(id)) as ThreadView;
    expect(view.pending).toMatchObject({ tool: { args: { label: fixed } }, approvals: { required: 2, given: [{ by: { kind: "console", id: "default" } }] } });

    // The link page shows 1 of 2 and who approved, with the edited value in the form.
    const page = await (await api(`/h/${token}`, { token: null })).text();
    expect(page).toContain("1 of 2 approvals (default); 1 more needed.");
    expect(page).toContain(`value="${fixed}"`);
    expect(page).toContain('value="edit"');
    expect(executions.get(fixed)).toBeUndefined();

    const approved = await submit(token, { decision: "approve" });
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain("Approved");
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(fixed)).toBe(1);
    expect(executions.get(label)).toBeUndefined();
    const answers = (await eventsOf(id)).filter((e) => e.type === "human_responded").map((e) => e.type === "human_responded" && [e.data.by.kind, e.data.decision ?? "approve"]);
    expect(answers).toEqual([
      ["console", "edit"],
      ["link", "approve"],
    ]);
  });

  it("the link page refuses a field that is not editable and a second approval by its holder; nothing is appended", async () => {
    const { id, request, token } = await held("link-bad", `form-bad-${run}`);
    const before = await eventsOf(id);
    const refused = await submit(token, { decision: "edit", "edit.env": "staging" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("These changes were not accepted");
    expect(await eventsOf(id)).toEqual(before);

    // An edit through the link: the holder's approval of the new label, 1 of 2.
    const edit = await submit(token, { decision: "edit", "edit.label": `form-link-${run}` });
    expect(edit.status).toBe(200);
    expect(await edit.text()).toContain("1 of 2 approvals (alice@example.com)");
    const after = await eventsOf(id);
    const again = await submit(token, { decision: "approve" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("You already approved this request");
    expect(await eventsOf(id)).toEqual(after);
    expect(request.requestId).toBeDefined();
  });
});
