/// <reference types="node" />
/**
 * Every trigger end to end over real HTTP, against one `wrangler dev` for the file: email
 * in and out (miniflare's email trigger and the `send_email` binding's .eml files), cron
 * ticks (miniflare's scheduled trigger), signed GitHub webhooks and agent composition.
 * The scripted model and the deploy target are served from Node.
 */
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, ThreadView } from "../../src/core";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { apiClient, ended, types, untilLogged } from "./support/api";
import type { DeployTarget } from "./support/deploy-target";
import { deliver, emailOutcomes, rawMail, SCHEDULED_TRIGGER, waitForMail } from "./support/mail";
import type { ModelServer } from "./support/model-server";
import { startStack, STACK_DOMAIN, stopStack, type Stack } from "./support/stack";
import type { DevServer } from "./support/wrangler";
import { redactEmails } from "../../src/log";

const TOKEN = "e2e-triggers-token";
const DOMAIN = STACK_DOMAIN;
const ALICE = "alice@example.com";
const GITHUB_SECRET = "e2e-github-secret";

let stack: Stack | undefined;
let model: ModelServer;
let target: DeployTarget;
let dev: DevServer;

beforeAll(async () => {
  stack = await startStack(TOKEN, { EMAIL_ALLOWED_SENDERS: ALICE, WEBHOOK_SECRET_GITHUB: GITHUB_SECRET });
  ({ model, target, dev } = stack);
}, 90_000);

afterAll(() => stopStack(stack));

const { v1, until, eventsOf, untilEvent, threadIds, untilListed } = apiClient(() => dev.url, TOKEN);

const sentFor = (purpose: string) => (e: Event) => e.type === "notification_sent" && e.data.purpose === purpose;

describe("email", () => {
  it("mail launches deploybot; the approval comes back by mail; a reply 'approve' deploys; the answer comes by mail", async () => {
    const marker = model.model.script("e2e-mail", [
      { tool: "deploy_backend", args: { tag: "v3.1.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed backend v3.1.0 to production." } },
    ]);
    const first = { messageId: "<e2e-ship-1@example.com>", subject: "Ship backend v3.1.0 to production" };
    const delivered = await deliver(dev.url, { from: ALICE, to: `deploybot@${DOMAIN}` }, rawMail({
      from: `Alice <${ALICE}>`,
      to: `deploybot@${DOMAIN}`,
      ...first,
      text: `Please ship backend v3.1.0 to production. ${marker}\n\n-- \nAlice`,
    }));
    expect(delivered).toEqual({ status: 200, text: "Worker successfully processed email" });

    const id = await threadIdForMessage("deploybot", first.messageId);
    await untilListed("deploybot", id); // GET /v1/threads?agent=deploybot finds it too
    const waiting = await until(id, (t) => t.status === "waiting_for_human");
    expect(waiting.pending).toMatchObject({ kind: "approval", tool: { name: "deploy_backend", args: { tag: "v3.1.0", environment: "production" } } });
    expect(target.count("POST /deployments")).toBe(0);

    // The approval request, by mail: from the agent, answerable by reply, with a signed link.
    const approval = await waitForMail(dev.output, (m) => m.header("x-agent-thread") === id);
    expect(approval.parsed.from).toMatchObject({ address: `deploybot@${DOMAIN}` });
    expect(approval.parsed.to).toEqual([expect.objectContaining({ address: ALICE })]);
    // Its Reply-To is the request's own signed address (invariant 10), not the bare plus address.
    const replyAddress = approval.parsed.replyTo?.[0]?.address ?? "";
    expect(replyAddress).toMatch(new RegExp(`^deploybot\\+${id}\\.[0-9a-f]{20}@${DOMAIN.replace(".", "\\.")}$`));
    expect(approval.parsed.subject).toBe(`Re: ${first.subject}`);
    expect(approval.parsed.inReplyTo).toBe(first.messageId);
    expect(approval.header("auto-submitted")).toBe("auto-replied");
    const body = approval.parsed.text ?? "";
    expect(body).toContain("deploybot needs your approval before it runs deploy_backend.");
    expect(body).toContain('"tag": "v3.1.0"');
    const link = new RegExp(`${dev.url.replace(/\./g, "\\.")}/h/[A-Za-z0-9_.-]+`).exec(body)?.[0];
    if (!link) throw new Error(`no approval link in:\n${body}`);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("deploy_backend");
    // The thread logged the Message-ID the mail really went out with (miniflare assigns its own).
    const approvalId = approval.parsed.messageId;
    const requestSent = await untilEvent(id, sentFor("request"));
    expect(requestSent.find(sentFor("request"))).toMatchObject({ data: { channel: "email", messageId: approvalId } });

    // Alice replies "approve" from her mail client: to the request's address, quoting the thread.
    const reply = rawMail({
      from: `Alice <${ALICE}>`,
      to: replyAddress,
      subject: `Re: ${first.subject}`,
      messageId: "<e2e-ship-2@example.com>",
      inReplyTo: approvalId,
      references: `${first.messageId} ${approvalId}`,
      text: `approve, ship it\n\nOn Mon, 2 Mar 2026 deploybot wrote:\n> deploybot needs your approval before it runs deploy_backend.`,
    });
    const replied = await deliver(dev.url, { from: ALICE, to: replyAddress }, reply);
    expect(replied.status).toBe(200);
    const done = await until(id, ended);
    expect(done).toMatchObject({ status: "done", result: { message: "Deployed backend v3.1.0 to production." } });
    expect(target.received.filter((r) => r.path === "/deployments").map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { service: "backend", tag: "v3.1.0", environment: "production" },
    ]);
    const events = await eventsOf(id);
    expect(events.find((e) => e.type === "human_responded")).toMatchObject({
      data: { approved: true, comment: "ship it", by: { kind: "email", id: ALICE, verifiedBy: "dmarc" } },
    });
    expect(events.find((e) => e.type === "thread_launched")).toMatchObject({
      data: { agent: "deploybot", replyChannels: ["email"] },
      source: { kind: "email", detail: { from: ALICE, messageId: first.messageId, subject: first.subject } },
    });

    // The final answer, by mail, threaded under Alice's reply.
    const answer = await waitForMail(dev.output, (m) => m.header("x-agent-thread") === id && m.parsed.messageId !== approvalId);
    expect(answer.parsed.text).toContain("Deployed backend v3.1.0 to production.");
    expect(answer.parsed.inReplyTo).toBe("<e2e-ship-2@example.com>");
    expect(answer.parsed.replyTo).toEqual([expect.objectContaining({ address: `deploybot+${id}@${DOMAIN}` })]);

    // The same reply delivered again appends nothing.
    const settled = await untilEvent(id, sentFor("result"));
    expect(settled.find(sentFor("result"))).toMatchObject({ data: { messageId: answer.parsed.messageId } });
    const redelivered = await deliver(dev.url, { from: ALICE, to: replyAddress }, reply);
    expect(redelivered.status).toBe(200);
    const ofThread = (log: string) => emailOutcomes(log).filter((o) => o["threadId"] === id);
    const logged = await untilLogged(dev.output, (log) => ofThread(log).length >= 3);
    expect(ofThread(logged)).toEqual([
      expect.objectContaining({ action: "launched" }),
      expect.objectContaining({ action: "replied", outcome: "approved", routedBy: "plus_address" }),
      expect.objectContaining({ action: "replied", outcome: "duplicate", routedBy: "plus_address" }),
    ]);
    expect(await eventsOf(id)).toEqual(settled);
    expect(target.count("POST /deployments")).toBe(1);
  });

  it("the same mail delivered twice (and twice more at once) launches one thread with one thread_launched", async () => {
    const marker = model.model.script("e2e-mail-dup", [{ tool: "done_for_now", args: { message: "Nothing to do." } }]);
    const messageId = "<e2e-dup-1@example.com>";
    const raw = rawMail({ from: ALICE, to: `deploybot@${DOMAIN}`, subject: "Status?", messageId, text: `Anything to deploy? ${marker}` });
    const envelope = { from: ALICE, to: `deploybot@${DOMAIN}` };
    const before = await threadIds("deploybot");
    expect((await deliver(dev.url, envelope, raw)).status).toBe(200);
    const id = await threadIdForMessage("deploybot", messageId);
    await until(id, ended);
    const settled = await untilEvent(id, sentFor("result")); // the answer went out: the outbox is idle

    const again = await Promise.all([deliver(dev.url, envelope, raw), deliver(dev.url, envelope, raw), deliver(dev.url, envelope, raw)]);
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    const ofThread = (log: string) => emailOutcomes(log).filter((o) => o["threadId"] === id);
    const logged = await untilLogged(dev.output, (log) => ofThread(log).length >= 4);
    expect(ofThread(logged).map((o) => o["action"])).toEqual([
      "launched", "duplicate_launch", "duplicate_launch", "duplicate_launch",
    ]);
    expect(await eventsOf(id)).toEqual(settled);
    expect(types(settled).filter((t) => t === "thread_launched")).toHaveLength(1);
    expect(await untilListed("deploybot", id)).toEqual([...before, id].sort());
    expect(model.model.consumed("e2e-mail-dup")).toBe(1);
  });
});

describe("email refused", () => {
  it("a sender not allowed and a forged From bounce; a plus address naming no thread gets our reply; an auto-reply is dropped; none launches", async () => {
    const before = await threadIds("deploybot");
    const mail = (n: number, from: string, to: string, headers?: Record<string, string>) =>
      rawMail({ from, to, subject: "Deploy", messageId: `<e2e-refused-${n}@example.com>`, text: "deploy v9 to production", ...(headers ? { headers } : {}) });
    const answers = [
      await deliver(dev.url, { from: "mallory@evil.example", to: `deploybot@${DOMAIN}` }, mail(1, "mallory@evil.example", `deploybot@${DOMAIN}`)),
      // From an authenticated sender: answered by our own reply (security.test.ts reads it), not bounced.
      await deliver(dev.url, { from: ALICE, to: `deploybot+e_nothread@${DOMAIN}` }, mail(2, ALICE, `deploybot+e_nothread@${DOMAIN}`)),
      // An allowed envelope carrying someone else's From header.
      await deliver(dev.url, { from: ALICE, to: `deploybot@${DOMAIN}` }, mail(3, "mallory@evil.example", `deploybot@${DOMAIN}`)),
      await deliver(dev.url, { from: ALICE, to: `nobody@${DOMAIN}` }, mail(4, ALICE, `nobody@${DOMAIN}`)),
    ];
    expect(answers).toEqual([
      { status: 400, text: "Worker rejected email with the following reason: Sender mallory@evil.example may not email deploybot." },
      { status: 200, text: "Worker successfully processed email" },
      { status: 400, text: "Worker rejected email with the following reason: Sender mallory@evil.example may not email deploybot." },
      { status: 400, text: `Worker rejected email with the following reason: No agent named "nobody" at ${DOMAIN}.` },
    ]);
    // An out-of-office answer gets no answer at all (no bounce, no thread): no mail loop.
    const auto = await deliver(dev.url, { from: ALICE, to: `deploybot@${DOMAIN}` }, mail(5, ALICE, `deploybot@${DOMAIN}`, { "Auto-Submitted": "auto-replied" }));
    expect(auto).toEqual({ status: 200, text: "Worker successfully processed email" });
    const logged = await untilLogged(dev.output, (log) => emailOutcomes(log).some((o) => o["action"] === "ignored"));
    expect(emailOutcomes(logged).filter((o) => o["action"] === "ignored")).toEqual([
      // Addresses are personal data: the log keeps their first letter and domain (docs/operations.md).
      { from: redactEmails(ALICE), to: redactEmails(`deploybot@${DOMAIN}`), action: "ignored", reason: "auto-submitted: auto-replied" },
    ]);
    expect(await threadIds("deploybot")).toEqual(before);
  });
});

describe("cron", () => {
  const DAILY = "0 8 * * *";
  /** Fires one tick. Miniflare answers after scheduled() and its waitUntil launches have settled. */
  async function tick(cron: string, time: number): Promise<void> {
    const response = await fetch(`${dev.url}${SCHEDULED_TRIGGER}?cron=${encodeURIComponent(cron)}&time=${time}`);
    expect({ status: response.status, text: await response.text() }).toEqual({ status: 200, text: "ok" });
  }

  it("a tick launches the job's thread once; the same tick again launches nothing; the next tick launches another", async () => {
    const first = Date.UTC(2030, 0, 15, 8, 0, 7);
    const firstId = "cron-daily-digest-20300115T0800Z"; // to the minute: a retry seconds later is the same tick
    expect(await threadIds("digest")).toEqual([]);
    await tick(DAILY, first);
    // No polling for the launch itself: the tick's answer waited for it.
    const launched = await eventsOf(firstId);
    expect(launched[0]).toMatchObject({
      type: "thread_launched",
      data: { agent: "digest", message: expect.stringContaining("Daily digest") },
      source: { kind: "cron", detail: { job: "daily-digest", cron: DAILY, scheduledTime: "2030-01-15T08:00:07.000Z" } },
    });
    expect(await until(firstId, ended)).toMatchObject({ status: "done" });
    const settled = await eventsOf(firstId);

    await tick(DAILY, first); // the same tick delivered again
    await tick(DAILY, first + 30_000); // a retry within the same minute
    expect(await eventsOf(firstId)).toEqual(settled);
    expect(await untilListed("digest", firstId)).toEqual([firstId]);

    await tick(DAILY, first + 24 * 60 * 60 * 1000);
    const secondId = "cron-daily-digest-20300116T0800Z";
    expect(types(await eventsOf(secondId))[0]).toBe("thread_launched");
    await until(secondId, ended);
    expect(await untilListed("digest", secondId)).toEqual([firstId, secondId]);
    expect(await eventsOf(firstId)).toEqual(settled);

    // An expression no job uses launches nothing and says so in the log.
    await tick("15 3 * * *", first);
    expect(await threadIds("digest")).toEqual([firstId, secondId]);
    await untilLogged(dev.output, (log) => log.includes('cron "15 3 * * *" fired but no job is configured for it'));
  });
});

describe("webhooks", () => {
  const sign = (body: string, secret = GITHUB_SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const deliverHook = (body: string, headers: Record<string, string>) =>
    fetch(`${dev.url}/v1/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "workflow_run", ...headers },
      body,
    });

  it("a signed GitHub delivery launches deploybot (201); forged ones get 401 and launch nothing; a redelivery gets 200", async () => {
    const marker = model.model.script("e2e-github", [
      { tool: "list_git_tags", args: {} },
      { tool: "done_for_now", args: { message: "CI failed on main; staging stays on v2.0.0." } },
    ]);
    const body = JSON.stringify({
      action: "completed",
      workflow_run: {
        id: 42,
        name: `CI ${marker}`,
        conclusion: "failure",
        head_branch: "main",
        head_sha: "abc123def4567890",
        html_url: "https://github.com/acme/app/actions/runs/42",
      },
      repository: { full_name: "acme/app" },
    });
    const delivery = "e2e-delivery-1";
    // Named by the signed body's hash: a replay under a new delivery id is the same thread.
    const key = `b${createHash("sha256").update(body).digest("hex").slice(0, 40)}`;
    const id = `github-${key}`;
    const before = await threadIds("deploybot");

    // Forged: signed with the wrong secret, a tampered body, no signature at all.
    const forged = [
      await deliverHook(body, { "x-github-delivery": "e2e-forged-1", "x-hub-signature-256": sign(body, "not-the-secret") }),
      await deliverHook(body.replace('"main"', '"release"'), { "x-github-delivery": "e2e-forged-2", "x-hub-signature-256": sign(body) }),
      await deliverHook(body, { "x-github-delivery": "e2e-forged-3" }),
    ];
    expect(await Promise.all(forged.map(async (r) => ({ status: r.status, body: (await r.json()) as unknown })))).toEqual([
      { status: 401, body: { error: { code: "bad_signature", message: expect.any(String) } } },
      { status: 401, body: { error: { code: "bad_signature", message: expect.any(String) } } },
      { status: 401, body: { error: { code: "missing_signature", message: expect.any(String) } } },
    ]);
    expect(await threadIds("deploybot")).toEqual(before);
    expect((await v1(`/threads/github-e2e-forged-1`)).status).toBe(404);

    const tagsBefore = target.count("GET /tags");
    const launched = await deliverHook(body, { "x-github-delivery": delivery, "x-hub-signature-256": sign(body) });
    expect(launched.status).toBe(201);
    expect(await launched.json()).toMatchObject({ action: "launched", delivery: key, thread: { id, agent: "deploybot" } });
    expect(await until(id, ended)).toMatchObject({ status: "done", result: { message: "CI failed on main; staging stays on v2.0.0." } });
    expect(target.count("GET /tags")).toBe(tagsBefore + 1);
    const settled = await eventsOf(id);
    expect(settled[0]).toMatchObject({
      type: "thread_launched",
      data: { agent: "deploybot", message: expect.stringContaining("failed in acme/app on branch main at commit abc123def456") },
      source: { kind: "webhook", detail: { source: "github", deliveryId: key, senderDeliveryId: delivery, event: "workflow_run", repository: "acme/app", workflowRunId: 42 } },
    });

    // GitHub redelivers: 200, nothing appended; a forged copy of the same delivery is still refused.
    const again = await deliverHook(body, { "x-github-delivery": delivery, "x-hub-signature-256": sign(body) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ action: "duplicate", delivery: key, thread: { id } });
    // The same signed body under a new delivery id (a replay) is the same delivery too.
    const replayed = await deliverHook(body, { "x-github-delivery": "e2e-replay-1", "x-hub-signature-256": sign(body) });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ action: "duplicate", delivery: key, thread: { id } });
    const forgedAgain = await deliverHook(body, { "x-github-delivery": delivery, "x-hub-signature-256": sign(body, "nope") });
    expect(forgedAgain.status).toBe(401);
    expect(await eventsOf(id)).toEqual(settled);
    expect(await untilListed("deploybot", id)).toEqual([...before, id].sort());
    expect(model.model.consumed("e2e-github")).toBe(2);
  });
});

describe("composition over HTTP", () => {
  it("releasebot delegates to deploybot; the child's production approval is answered on the child; the parent finishes with its result", async () => {
    const child = model.model.script("e2e-child", [
      { tool: "deploy_backend", args: { tag: "v4.0.0", environment: "production" } },
      { tool: "done_for_now", args: { message: "Deployed backend v4.0.0 to production." } },
    ]);
    const parent = model.model.script("e2e-parent", [
      { tool: "delegate_to_deploybot", args: { tag: "v4.0.0", environment: "production", services: ["backend"], notes: child } },
      { tool: "done_for_now", args: { message: "Released v4.0.0: deploybot deployed the backend to production." } },
    ]);
    const id = "e2e-release-1";
    const launched = await v1<ThreadView>("/agents/releasebot/threads", {
      method: "POST",
      body: JSON.stringify({ message: `release backend v4.0.0 to production ${parent}`, threadId: id }),
    });
    expect(launched.status).toBe(201);

    const waiting = await until(id, (t) => t.status === "waiting_for_agent" && t.children?.[0]?.status === "waiting_for_human");
    const childId = waiting.children?.[0]?.threadId ?? "";
    expect(waiting.children).toEqual([expect.objectContaining({ agent: "deploybot", status: "waiting_for_human" })]);
    const held = (await v1<ThreadView>(`/threads/${childId}`)).body;
    expect(held).toMatchObject({ parent: { threadId: id }, depth: 1, pending: { kind: "approval", tool: { name: "deploy_backend" } } });
    const deploysBefore = target.count("POST /deployments");

    const answered = await v1(`/threads/${childId}/responses`, {
      method: "POST",
      body: JSON.stringify({ requestId: held.pending?.requestId, approved: true, comment: "release approved" }),
    });
    expect(answered.status).toBe(200);
    expect(await until(id, ended)).toMatchObject({
      status: "done",
      result: { message: "Released v4.0.0: deploybot deployed the backend to production." },
    });
    expect(await until(childId, ended)).toMatchObject({ status: "done", result: { message: "Deployed backend v4.0.0 to production." } });
    expect(target.count("POST /deployments")).toBe(deploysBefore + 1);

    const events = await eventsOf(id);
    expect(types(events)).toEqual([
      "thread_launched", "model_decided", "agent_delegated", "tool_succeeded", "model_decided", "thread_finished",
    ]);
    expect(events.find((e) => e.type === "tool_succeeded")).toMatchObject({
      data: { result: { agent: "deploybot", threadId: childId, message: "Deployed backend v4.0.0 to production." } },
    });
    expect(types(await eventsOf(childId))).toContain("parent_notified");
  });
});
