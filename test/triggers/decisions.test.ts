/**
 * Invariant 13 through the real runtime over HTTP: a quorum of two distinct credentials,
 * separation of duties (the launcher's approval is 403), edit-and-approve (only editable
 * fields, checked against the tool's schema, voids earlier approvals, runs once with the
 * edited arguments, the model is told), and every bad input a 4xx that appends nothing.
 * The witness for "ran" is the probe's execution count.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../src/core";
import { api, eventsOf, launch, settle } from "../support/api";
import { executions, model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
let n = 0;
const freshId = (name: string) => `dec-${run}-${name}-${++n}`;
const done = (message = "Done.") => ({ tool: "done_for_now", args: { message } });
const RM = "rm-token-1234";
const INTERN = "intern-token-1234";

beforeAll(async () => {
  expect((await api("/v1/agents")).status).toBe(200);
});

function answer(id: string, body: Record<string, unknown>, token?: string, key?: string) {
  return api(`/v1/threads/${id}/responses`, {
    method: "POST",
    json: body,
    ...(token ? { token } : {}),
    ...(key ? { headers: { "Idempotency-Key": key } } : {}),
  });
}

async function held(name: string, label: string) {
  const id = freshId(name);
  const marker = model.script(id, [{ tool: "board_change", args: { label, env: "production" } }, done("changed")]);
  // Launched with the default credential ("default"): the requester.
  expect((await launch("probe", `change ${marker}`, { threadId: id })).response.status).toBe(201);
  const view = await settle(id);
  expect(view.status).toBe("waiting_for_human");
  return { id, requestId: view.pending?.requestId };
}

const responded = (events: readonly Event[]) => events.filter((e): e is Extract<Event, { type: "human_responded" }> => e.type === "human_responded");

describe("decisions over HTTP (invariant 13)", () => {
  it("two distinct approvers, the requester refused, an edit that voids the first approval, one run with the edited arguments", async () => {
    const label = `board-${run}`;
    const fixed = `board-fixed-${run}`;
    const { id, requestId } = await held("quorum", label);
    const pending = (await settle(id)).pending;
    expect(pending).toMatchObject({ approvals: { required: 2, given: [] }, editable: ["label"], selfApproval: false, tool: { args: { label, env: "production" } } });
    const before = await eventsOf(id);

    // Separation of duties: the launcher may neither approve nor edit; it may reject (not tried here).
    for (const body of [{ requestId, approved: true }, { requestId, decision: "approve" }, { requestId, decision: "edit", args: { label: fixed } }]) {
      const refused = await answer(id, body);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("self_approval_refused");
    }
    // Bad inputs: each its 4xx, nothing appended.
    const bad: [Record<string, unknown>, number, string][] = [
      [{ requestId, decision: "maybe" }, 400, "invalid_request"],
      [{ requestId, decision: "edit", args: { env: "staging" } }, 400, "field_not_editable"],
      [{ requestId, decision: "edit", args: { label: 5 } }, 400, "invalid_arguments"],
      [{ requestId, decision: "edit", args: { label: "" } }, 400, "invalid_arguments"],
      [{ requestId, decision: "edit" }, 400, "args_required"],
      [{ requestId, decision: "approve", args: { label: fixed } }, 400, "args_need_edit"],
      [{ requestId, decision: "reject", approved: true }, 400, "conflicting_decision"],
      [{ requestId, decision: "approve", answer: "yes" }, 200, ""],
    ];
    for (const [body, status, code] of bad.slice(0, -1)) {
      const response = await answer(id, body, RM);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(await eventsOf(id)).toEqual(before);

    // 1 of 2: logged, still open, shows who approved.
    expect((await answer(id, { requestId, decision: "approve" }, RM)).status).toBe(200);
    let view = await settle(id);
    expect(view).toMatchObject({ status: "waiting_for_human", pending: { approvals: { required: 2, given: [{ by: { kind: "api", id: "release-manager" } }] } } });
    // The same person twice counts once.
    const twice = await answer(id, { requestId, approved: true }, RM);
    expect(twice.status).toBe(409);
    expect(((await twice.json()) as { error: { code: string } }).error.code).toBe("already_approved");

    // The intern edits the label: that is the intern's approval of the new arguments, and it voids release-manager's.
    expect((await answer(id, { requestId, decision: "edit", args: { label: fixed }, comment: "wrong label" }, INTERN, `edit-${run}`)).status).toBe(200);
    // A retry of the same edit under its key is the same answer, nothing appended.
    const retry = await answer(id, { requestId, decision: "edit", args: { label: fixed }, comment: "wrong label" }, INTERN, `edit-${run}`);
    expect(retry.status).toBe(200);
    view = await settle(id);
    expect(view.pending).toMatchObject({
      tool: { args: { label: fixed, env: "production" } },
      approvals: { required: 2, given: [{ by: { id: "intern" } }] },
      edited: { originalArgs: { label, env: "production" }, by: { id: "intern" } },
    });
    expect(executions.get(fixed)).toBeUndefined();

    // release-manager approves the edited arguments: 2 of 2, the edited call runs once.
    expect((await answer(id, { requestId, approved: true }, RM)).status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    expect(executions.get(fixed)).toBe(1);
    expect(executions.get(label)).toBeUndefined();

    const events = await eventsOf(id);
    expect(responded(events).map((e) => [e.data.by.id, e.data.decision ?? (e.data.approved ? "approve" : "reject")])).toEqual([
      ["release-manager", "approve"],
      ["intern", "edit"],
      ["release-manager", "approve"],
    ]);
    expect(responded(events)[1]?.data).toMatchObject({ args: { label: fixed, env: "production" }, policy: { required: 2, selfApproval: false } });
    expect(events.filter((e) => e.type === "tool_started").map((e) => e.type === "tool_started" && e.data.args)).toEqual([{ label: fixed, env: "production" }]);
    // The model's next turn was told a human changed the call.
    const prompt = model.requests(id).at(-1);
    expect(JSON.stringify(prompt)).toContain("A human changed the arguments of your call");

    // A decision on an ended request.
    const late = await answer(id, { requestId, decision: "reject" }, RM);
    expect(late.status).toBe(409);
  });

  it("one rejection ends the request, even after an approval", async () => {
    const label = `board-reject-${run}`;
    const { id, requestId } = await held("reject", label);
    expect((await answer(id, { requestId, approved: true }, RM)).status).toBe(200);
    // The requester may withdraw its own change.
    expect((await answer(id, { requestId, decision: "reject", comment: "withdrawn" })).status).toBe(200);
    expect((await settle(id)).status).toBe("done");
    const after = await answer(id, { requestId, approved: true }, INTERN);
    expect(after.status).toBe(409);
    expect(executions.get(label)).toBeUndefined();
  });
});
