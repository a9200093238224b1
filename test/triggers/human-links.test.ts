import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signLink } from "../../src/channels/links";
import type { PendingView } from "../../src/core";
import { humanLinkRoutes } from "../../src/triggers/http/human-links";
import { api, eventsOf, launch, settle, thread, types } from "../support/api";
import { clock, executions, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";

const expOf = (request: PendingView) => Math.floor(Date.parse(request.deadline) / 1000);

/** A probe thread stopped at its first human request. */
async function waiting(name: string, steps: ScriptStep[]) {
  const { thread: launched } = await launch("probe", `go ${model.script(name, steps)}`);
  const view = await settle(launched.id);
  expect(view.status).toBe("waiting_for_human");
  const request = view.pendingRequests[0];
  if (!request) throw new Error("no pending request");
  const token = await signLink((env.HUMAN_LINK_SECRET ?? ""), { threadId: view.id, requestId: request.requestId, exp: expOf(request) });
  return { id: view.id, request, token };
}

const open = (token: string) => api(`/h/${token}`, { token: null });
const submit = (token: string, fields: Record<string, string>) =>
  api(`/h/${token}`, { token: null, method: "POST", body: new URLSearchParams(fields) });

/** Runs `act` and checks that the thread's log is exactly as before. */
async function appendsNothing(id: string, act: () => Promise<void>) {
  const before = await eventsOf(id);
  await act();
  expect(await eventsOf(id)).toEqual(before);
}

async function expectPage(response: Response, status: number, text: string | RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const body = await response.text();
  expect(body).toMatch(text);
  return body;
}

describe("GET /h/:token", () => {
  it("renders the approval page with the tool, its arguments and safe headers, with no bearer token", async () => {
    const { token, id } = await waiting("hl-page", [{ tool: "guarded", args: { label: "<script>alert(1)</script> & co" } }]);
    const response = await open(token);
    const body = await expectPage(response, 200, /Approval needed: guarded/);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toContain('<html lang="en">');
    expect(body).toContain("<code>guarded</code>");
    expect(body).toContain("<code>label</code>");
    expect(body).toContain("&#60;script&#62;alert(1)&#60;/script&#62; &#38; co");
    expect(body).not.toContain("<script>");
    expect(body).toContain('<button type="submit" name="decision" value="approve"');
    expect(body).toContain('<button type="submit" name="decision" value="reject"');
    expect(body).toContain(id);
  });
});

describe("POST /h/:token", () => {
  it("approve: records the approval from the link, then the tool runs", async () => {
    const { id, token } = await waiting("hl-approve", [
      { tool: "guarded", args: { label: "hl-approve" } },
      { tool: "done_for_now", args: { message: "ok" } },
    ]);
    await expectPage(await submit(token, { decision: "approve", comment: "" }), 200, /<h1 class="success">Approved<\/h1>/);
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    const responded = events.find((e) => e.type === "human_responded");
    expect(responded).toMatchObject({ data: { approved: true, by: { kind: "link", verifiedBy: "signed_link" } }, source: { kind: "http", detail: { via: "approval-link" } } });
    expect(responded?.type === "human_responded" && "comment" in responded.data).toBe(false);
    const after = types(events.slice(events.indexOf(responded ?? events[0]!)));
    expect(after.slice(0, 3)).toEqual(["human_responded", "tool_started", "tool_succeeded"]);
    expect(events.find((e) => e.type === "tool_succeeded")).toMatchObject({ data: { tool: "guarded", result: { guarded: "hl-approve" } } });
    expect(executions.get("hl-approve")).toBe(1);
  });

  it("reject with a comment: the tool never runs and the model sees the comment", async () => {
    const { id, token } = await waiting("hl-reject", [
      { tool: "guarded", args: { label: "hl-reject" } },
      { tool: "done_for_now", args: { message: "understood" } },
    ]);
    const form = new FormData(); // browsers may send multipart too
    form.set("decision", "reject");
    form.set("comment", "not on a Friday, please");
    const response = await api(`/h/${token}`, { token: null, method: "POST", body: form });
    await expectPage(response, 200, /<h1 class="success">Rejected<\/h1>/);
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    expect(events.find((e) => e.type === "human_responded")).toMatchObject({
      data: { approved: false, comment: "not on a Friday, please", by: { kind: "link", verifiedBy: "signed_link" } },
    });
    expect(types(events)).not.toContain("tool_started");
    expect(executions.get("hl-reject")).toBeUndefined();
    const last = model.requests("hl-reject").at(-1);
    expect(last?.messages.map((m) => m.content).join("\n")).toContain("not on a Friday, please");
  });

  it("a question (request_more_information) is answered through the form", async () => {
    const { id, token, request } = await waiting("hl-question", [
      { tool: "request_more_information", args: { message: "Which region?" } },
      { tool: "done_for_now", args: { message: "thanks" } },
    ]);
    expect(request.kind).toBe("input");
    const page = await expectPage(await open(token), 200, /Which region\?/);
    expect(page).toContain('<textarea id="answer" name="answer"');
    expect(page).not.toContain('name="decision"');
    await expectPage(await submit(token, { answer: "eu-west-1" }), 200, /Answer recorded/);
    expect((await settle(id)).status).toBe("done");
    expect((await eventsOf(id)).find((e) => e.type === "human_responded")).toMatchObject({ data: { answer: "eu-west-1", by: { kind: "link", verifiedBy: "signed_link" } } });
    expect(model.requests("hl-question").at(-1)?.messages.map((m) => m.content).join("\n")).toContain("eu-west-1");
  });
});

describe("links that must not work append nothing", () => {
  it("forged (other secret), tampered, expired and incomplete forms", async () => {
    const { id, token, request } = await waiting("hl-bad", [{ tool: "guarded", args: { label: "hl-bad" } }]);
    const claims = { threadId: id, requestId: request.requestId };
    const forged = await signLink("not-the-server-secret", { ...claims, exp: expOf(request) });
    const [payload, signature] = token.split(".");
    const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const tampered = `${b64url(JSON.stringify({ ...claims, exp: expOf(request) + 1 }))}.${signature}`;
    const expired = await signLink((env.HUMAN_LINK_SECRET ?? ""), { ...claims, exp: Math.floor(Date.now() / 1000) - 60 });
    await appendsNothing(id, async () => {
      for (const bad of [forged, tampered, `${payload}.`, "garbage"]) {
        await expectPage(await open(bad), 403, /This link is not valid/);
        await expectPage(await submit(bad, { decision: "approve" }), 403, /This link is not valid/);
      }
      await expectPage(await open(expired), 410, /This link has expired/);
      await expectPage(await submit(expired, { decision: "approve" }), 410, /This link has expired/);
      // A valid link with an incomplete or wrong body changes nothing either.
      await expectPage(await submit(token, { comment: "forgot to choose" }), 400, /Choose Approve or Reject/);
      await expectPage(await submit(token, { decision: "maybe" }), 400, /not valid/);
      const json = await api(`/h/${token}`, { token: null, method: "POST", json: { decision: "approve" } });
      await expectPage(json, 415, /Request not accepted/);
      const huge = await submit(token, { decision: "approve", comment: "x".repeat(70_000) });
      await expectPage(huge, 413, /larger than 65536 bytes/);
      await expectPage(await api(`/h/${token}`, { token: null, method: "PUT" }), 405, /Method not allowed/);
    });
    expect(executions.get("hl-bad")).toBeUndefined();
    expect((await thread(id).thread())?.status).toBe("waiting_for_human");
  });

  it("a link to an unknown thread is a 404 and creates nothing", async () => {
    const token = await signLink((env.HUMAN_LINK_SECRET ?? ""), { threadId: "t_no_such_thread", requestId: "req_x", exp: Math.floor(Date.now() / 1000) + 600 });
    await expectPage(await open(token), 404, /no longer exists/);
    await expectPage(await submit(token, { decision: "approve" }), 404, /no longer exists/);
    expect(await thread("t_no_such_thread").thread()).toBeNull();
  });

  it("answering twice through the link: the second gets 409 and the log is unchanged", async () => {
    const { id, token } = await waiting("hl-twice", [
      { tool: "guarded", args: { label: "hl-twice" } },
      { tool: "done_for_now", args: { message: "ok" } },
    ]);
    await expectPage(await submit(token, { decision: "approve" }), 200, /Approved/);
    await settle(id);
    await appendsNothing(id, async () => {
      await expectPage(await submit(token, { decision: "reject" }), 409, /This request was already answered/);
      await expectPage(await open(token), 409, /This request was already answered/);
    });
    expect(executions.get("hl-twice")).toBe(1);
  });

  it("a request that timed out says so", async () => {
    const { id, token } = await waiting("hl-late", [{ tool: "guarded", args: { label: "hl-late" } }]);
    clock.advance(61_000); // past the probe's 60 s deadline, as the runtime sees time
    try {
      // The runtime settles the race by recording the timeout, then refuses the answer.
      await expectPage(await submit(token, { decision: "approve" }), 409, /This request has expired/);
      await settle(id);
      const events = await eventsOf(id);
      expect(types(events)).toContain("human_timed_out");
      expect(types(events)).not.toContain("human_responded");
      await expectPage(await open(token), 409, /This request has expired/);
    } finally {
      clock.advance(-61_000);
    }
    expect(executions.get("hl-late")).toBeUndefined();
  });

  it("answers 503 with a clear page when HUMAN_LINK_SECRET is not set", async () => {
    const response = await humanLinkRoutes().request("/anything", {}, { ...env, HUMAN_LINK_SECRET: "" });
    await expectPage(response, 503, /HUMAN_LINK_SECRET/);
  });
});
