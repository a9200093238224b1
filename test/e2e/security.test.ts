/// <reference types="node" />
/**
 * Invariant 10 against the real runtime (`wrangler dev`): a forged mail to a request's own
 * signed reply address is refused and deploys nothing; the recipient's authenticated reply
 * approves and the deploy target sees exactly one deploy; an API answer records its named
 * credential, one not named by DEPLOY_APPROVERS gets 403; the [[ratelimits]] binding runs
 * locally and turns a flood of writes into 429s with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { apiClient, ended } from "./support/api";
import type { DeployTarget } from "./support/deploy-target";
import { deliver, deliverJson, rawMail, waitForMail } from "./support/mail";
import type { ModelServer } from "./support/model-server";
import { startStack, STACK_DOMAIN, stopStack, type Stack } from "./support/stack";
import type { DevServer } from "./support/wrangler";

const TOKEN = "e2e-security-token";
const RM_TOKEN = "e2e-release-manager-token";
const FLOOD_TOKEN = "e2e-flood-token-123";
const DOMAIN = STACK_DOMAIN;
const ALICE = "alice@example.com";

let stack: Stack | undefined;
let model: ModelServer;
let target: DeployTarget;
let dev: DevServer;

beforeAll(async () => {
  stack = await startStack(TOKEN, {
    DEPLOY_TARGET_TOKEN: "e2e-deploy-token",
    API_TOKENS: `release-manager:${RM_TOKEN}, flood:${FLOOD_TOKEN}`,
    DEPLOY_APPROVERS: `release-manager, ${ALICE}`,
    EMAIL_ALLOWED_SENDERS: ALICE,
  });
  ({ model, target, dev } = stack);
}, 90_000);

afterAll(() => stopStack(stack));

const { v1, until, eventsOf } = apiClient(() => dev.url, TOKEN);
const deploys = () => target.received.filter((r) => r.method === "POST" && r.path === "/deployments").length;
const answered = (events: Event[]) => events.filter((e): e is Extract<Event, { type: "human_responded" }> => e.type === "human_responded");

describe("approvals against wrangler dev", () => {
  it("a forged mail (dmarc=fail) to the request's signed address is refused; the recipient's authenticated reply deploys exactly once", async () => {
    const marker = model.model.script("e2e-sec-mail", [
      { tool: "deploy_backend", args: { tag: "v7.0.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed backend v7.0.0 to production." } },
    ]);
    const messageId = "<e2e-sec-1@example.com>";
    const launched = await deliver(dev.url, { from: ALICE, to: `deploybot@${DOMAIN}` }, rawMail({
      from: `Alice <${ALICE}>`, to: `deploybot@${DOMAIN}`, subject: "Ship v7.0.0", messageId, text: `Ship backend v7.0.0 to production. ${marker}`,
    }));
    expect(launched.status).toBe(200);
    const id = await threadIdForMessage("deploybot", messageId);
    const waiting = await until(id, (t) => t.status === "waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", approvers: ["release-manager", ALICE] });
    const request = await waitForMail(dev.output, (m) => m.header("x-agent-thread") === id);
    const replyAddress = request.parsed.replyTo?.[0]?.address ?? "";
    expect(replyAddress).toMatch(new RegExp(`^deploybot\\+${id}\\.[0-9a-f]{20}@agents\\.example$`));
    const before = await eventsOf(id);

    const reply = (n: number, authResults?: string) =>
      rawMail({
        from: `Alice <${ALICE}>`, to: replyAddress, subject: "Re: Ship v7.0.0", messageId: `<e2e-sec-reply-${n}@example.com>`,
        inReplyTo: request.parsed.messageId, text: "approve", ...(authResults ? { authResults } : {}),
      });
    const forged = await deliver(dev.url, { from: ALICE, to: replyAddress }, reply(1, "mx.cloudflare.net; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=fail header.from=example.com"));
    expect(forged.status).toBe(400);
    expect(forged.text).toMatch(/^Worker rejected email with the following reason: .*DMARC fail/);
    expect(await eventsOf(id)).toEqual(before);
    expect(deploys()).toBe(0);

    const genuine = await deliver(dev.url, { from: ALICE, to: replyAddress }, reply(2));
    expect(genuine).toEqual({ status: 200, text: "Worker successfully processed email" });
    expect(await until(id, ended)).toMatchObject({ status: "done", result: { message: "Deployed backend v7.0.0 to production." } });
    expect(deploys()).toBe(1);
    expect(answered(await eventsOf(id)).map((e) => e.data.by)).toEqual([{ kind: "email", id: ALICE, verifiedBy: "dmarc" }]);
  });

  it("a refused mail from the authenticated sender gets our reply saying why (message.reply() under wrangler dev); a forged one only the bounce", async () => {
    const marker = model.model.script("e2e-sec-refusal", [{ tool: "deploy_backend", args: { tag: "v7.1.0", environment: "production" } }]);
    const messageId = "<e2e-sec-refusal-1@example.com>";
    await deliver(dev.url, { from: ALICE, to: `deploybot@${DOMAIN}` }, rawMail({
      from: `Alice <${ALICE}>`, to: `deploybot@${DOMAIN}`, subject: "Ship v7.1.0", messageId, text: `Ship backend v7.1.0 to production. ${marker}`,
    }));
    const id = await threadIdForMessage("deploybot", messageId);
    await until(id, (t) => t.status === "waiting_for_human");
    const request = await waitForMail(dev.output, (m) => m.header("x-agent-thread") === id);
    const before = await eventsOf(id);
    const deploysBefore = deploys();
    // "approve" to the thread's bare plus address never answers a request: refused, and told so by mail.
    const bare = `deploybot+${id}@${DOMAIN}`;
    const refusedId = "<e2e-sec-refusal-2@example.com>";
    const refused = await deliverJson(dev.url, { from: ALICE, to: bare }, rawMail({
      from: `Alice <${ALICE}>`, to: bare, subject: "Re: Ship v7.1.0", messageId: refusedId,
      inReplyTo: request.parsed.messageId, references: `${messageId} ${request.parsed.messageId}`, text: "approve",
    }));
    expect(refused).toMatchObject({ outcome: "ok", replies: [{ sender: `deploybot@${DOMAIN}` }] });
    expect(refused.rejectReason).toBeUndefined();
    const [reply] = refused.replies;
    expect(reply?.parsed.to?.map((a) => a.address)).toEqual([ALICE]);
    expect(reply?.parsed.inReplyTo).toBe(refusedId);
    expect(reply?.parsed.headers.find((h) => h.key === "auto-submitted")?.value).toBe("auto-replied");
    expect(reply?.parsed.text).toMatch(/was refused; nothing was done with it\.\s+Why: .*reply to the request's own mail/);
    // The same mail with a DMARC fail: bounced by setReject, never answered by us (backscatter).
    const forged = await deliverJson(dev.url, { from: ALICE, to: bare }, rawMail({
      from: `Alice <${ALICE}>`, to: bare, subject: "Re: Ship v7.1.0", messageId: "<e2e-sec-refusal-3@example.com>", text: "approve",
      authResults: "mx.cloudflare.net; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=fail header.from=example.com",
    }));
    expect(forged.rejectReason).toMatch(/DMARC fail/);
    expect(forged.replies).toEqual([]);
    expect(await eventsOf(id)).toEqual(before);
    expect(deploys()).toBe(deploysBefore);
  });

  it("over the API, a credential not in DEPLOY_APPROVERS gets 403 not_an_approver; release-manager is recorded as the approver", async () => {
    const marker = model.model.script("e2e-sec-api", [
      { tool: "deploy_backend", args: { tag: "v7.0.1", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed backend v7.0.1 to production." } },
    ]);
    const launched = await v1<ThreadView>("/agents/deploybot/threads", { method: "POST", body: JSON.stringify({ message: `deploy v7.0.1 to production ${marker}` }) });
    expect(launched.status).toBe(201);
    const id = launched.body.id;
    const requestId = (await until(id, (t) => t.status === "waiting_for_human")).pending?.requestId;
    const deploysBefore = deploys();

    const refused = await v1<{ error: { code: string } }>(`/threads/${id}/responses`, { method: "POST", body: JSON.stringify({ requestId, approved: true }) });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "not_an_approver" } } });
    expect((await eventsOf(id)).filter((e) => e.type === "human_response_refused")).toHaveLength(1);
    expect(deploys()).toBe(deploysBefore);

    const accepted = await fetch(`${dev.url}/v1/threads/${id}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${RM_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ requestId, approved: true }),
    });
    expect(accepted.status).toBe(200);
    expect((await until(id, ended)).status).toBe("done");
    expect(deploys()).toBe(deploysBefore + 1);
    expect(answered(await eventsOf(id)).map((e) => e.data.by)).toEqual([{ kind: "api", id: "release-manager", verifiedBy: "api_token" }]);
  });

  it("the [[ratelimits]] binding runs under wrangler dev: a flood of writes by one credential gets 429 with Retry-After; others go on", async () => {
    // 250 writes in a few seconds: past 120 per 60 s in whichever window they land.
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 250 && !limited; i++) {
      const response = await fetch(`${dev.url}/v1/threads/e2e-none/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${FLOOD_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "flood" }),
      });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(limited, `no 429 in ${statuses.length} writes: ${JSON.stringify([...new Set(statuses)])}`).toBeDefined();
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(await limited?.json()).toMatchObject({ error: { code: "rate_limited", details: { retryAfterSeconds: 60 } } });
    expect(statuses.length).toBeGreaterThan(120);
    // Another credential's writes and the flooder's reads are not limited.
    expect((await v1("/threads/e2e-none/messages", { method: "POST", body: JSON.stringify({ text: "hi" }) })).status).toBe(404);
    expect((await fetch(`${dev.url}/v1/agents`, { headers: { authorization: `Bearer ${FLOOD_TOKEN}` } })).status).toBe(200);
  });
});
