/**
 * "A response lost because it arrived before the wait was registered": the human answers
 * from INSIDE the notification delivery, while the thread's own step is still running.
 * The request is logged before anyone can learn of it, so the answer always finds it.
 */
import { afterEach, expect, it } from "vitest";
import { api, eventsOf, launch, settle } from "../support/api";
import { executions, model, webhook } from "../support/harness";
import { assertConsistent, count, fresh } from "./consistency";

const original = webhook.fetch;
afterEach(() => {
  webhook.fetch = original;
});

it("an approval sent while the request's notification is still being delivered is recorded and acted on", async () => {
  const id = fresh("early");
  const label = fresh("early-run");
  const answers: number[] = [];
  webhook.fetch = async function (request: Request) {
    const body = (await request.clone().json()) as { thread?: { id?: string }; request?: { requestId?: string } };
    if (body.thread?.id === id && body.request?.requestId) {
      // The human is fast: answer before the webhook call has even returned.
      const response = await api(`/v1/threads/${id}/responses`, { method: "POST", json: { requestId: body.request.requestId, approved: true } });
      answers.push(response.status);
    }
    return original.call(this, request);
  };
  await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label } }, { tool: "done_for_now", args: { message: "ran" } }])}`, { threadId: id });
  expect(await settle(id)).toMatchObject({ status: "done", result: { message: "ran" } });
  expect(answers).toEqual([200]);
  const events = await eventsOf(id);
  assertConsistent(events);
  expect(count(events, "human_responded")).toBe(1);
  expect(executions.get(label)).toBe(1);
});
