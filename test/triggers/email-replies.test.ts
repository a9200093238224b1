import { afterEach, describe, expect, it } from "vitest";
import type { ThreadView } from "../../src/core";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { api, eventsOf, fireTimer, settle, thread, types } from "../support/api";
import { deliver, parsed } from "../support/email";
import { clock, mailbox, model } from "../support/harness";
import type { ScriptStep } from "../support/scripted-model";
import outlookReply from "../fixtures/email/outlook-reply.eml?raw";
import plain from "../fixtures/email/plain.eml?raw";
import replyQuoted from "../fixtures/email/reply-quoted.eml?raw";

afterEach(() => {
  clock.offsetMs = 0;
  mailbox.failNext = 0;
  mailbox.assignIds = false;
});

const ALICE = "alice@example.com";
const TO = "deploybot@agents.test";
const PRODUCTION = { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } };
const done = (message: string): ScriptStep => ({ tool: "done_for_now", args: { message } });

let n = 0;
const unique = (what: string) => `<${what}-${++n}-${Math.random().toString(36).slice(2, 8)}@example.com>`;

/** Emails deploybot a new request with a script; resolves once the thread waits on its first request. */
async function startByEmail(steps: ScriptStep[]) {
  const script = `rep${++n}${Math.random().toString(36).slice(2, 6)}`;
  model.script(script, steps);
  const messageId = unique("start");
  const subject = "Ship v1.2.3 to production";
  const raw = plain
    .replace("{{FROM}}", `Alice Example <${ALICE}>`)
    .replace("{{TO}}", TO)
    .replace("{{SUBJECT}}", subject)
    .replace("{{MESSAGE_ID}}", messageId)
    .replace("{{BODY}}", `Please ship the backend v1.2.3 to production. [script:${script}]`);
  expect((await deliver(raw, { from: ALICE, to: TO })).refused).toBeUndefined();
  const id = await threadIdForMessage("deploybot", messageId);
  return { id, messageId, subject, view: await settle(id) };
}

/** The newest mail the thread sent, parsed as a mail client would. */
async function lastMail(id: string) {
  const mail = mailbox.of(id).at(-1);
  if (!mail) throw new Error(`thread ${id} sent no mail`);
  return { mail, email: await parsed(mail.raw) };
}

function replyRaw(template: string, fields: { to: string; subject: string; inReplyTo: string; references?: string; body: string }) {
  const messageId = unique("reply");
  const raw = template
    .replace("{{TO}}", fields.to)
    .replaceAll("{{SUBJECT}}", fields.subject)
    .replace("{{MESSAGE_ID}}", messageId)
    .replace("{{IN_REPLY_TO}}", fields.inReplyTo)
    .replace("{{REFERENCES}}", fields.references ?? fields.inReplyTo)
    .replace("{{BODY}}", fields.body);
  return { raw, messageId };
}

/** The Reply-To of the newest mail the thread sent: a request's signed address, or the bare plus address. */
async function replyTo(id: string): Promise<string> {
  const address = (await lastMail(id)).email.replyTo?.[0]?.address;
  if (!address) throw new Error(`thread ${id}'s last mail has no Reply-To`);
  return address;
}

const pendingOf = (view: ThreadView) => {
  if (!view.pending) throw new Error(`no pending request; status ${view.status}`);
  return view.pending;
};

describe("email out", () => {
  it("an approval request goes to the sender with threading headers, the plus address and the signed link", async () => {
    const { id, messageId, subject, view } = await startByEmail([PRODUCTION, done("deployed")]);
    expect(view.status).toBe("waiting_for_human");
    const { mail, email } = await lastMail(id);
    expect(mail.from).toBe("deploybot@agents.test");
    expect(mail.to).toBe(ALICE);
    expect(email.from).toMatchObject({ address: "deploybot@agents.test", name: "deploybot" });
    expect(email.to?.[0]).toMatchObject({ address: ALICE });
    // The request's own signed reply address: thread id plus an 80-bit mac of request and recipient.
    expect(email.replyTo?.[0]?.address).toMatch(new RegExp(`^deploybot\\+${id}\\.[0-9a-f]{20}@agents\\.test$`));
    expect(email.subject).toBe(`Re: ${subject}`);
    expect(email.messageId).toBe(mail.messageId);
    // Numbered by the seq the thread stood at when it sent (no count of earlier mails read back).
    expect(email.messageId).toMatch(new RegExp(`^<${id}\\.\\d{1,9}\\.[a-z0-9]{16}@agents\\.test>$`));
    expect(email.inReplyTo).toBe(messageId);
    expect(email.references).toBe(messageId);
    expect(email.headers.find((h) => h.key === "auto-submitted")?.value).toBe("auto-replied");
    expect(email.text).toContain("deploybot needs your approval before it runs deploy_backend.");
    expect(email.text).toContain('"environment": "production"');
    expect(email.text).toContain(`${pendingOf(view).deadline}`);
    expect(email.text).toMatch(/Or answer on the web: http:\/\/localhost:8787\/h\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    const sent = (await eventsOf(id)).find((e) => e.type === "notification_sent" && e.data.channel === "email");
    expect(sent?.type === "notification_sent" && sent.data).toMatchObject({ channel: "email", purpose: "request", messageId: mail.messageId });
  });

  it("a failed send is an event and is retried by the outbox", async () => {
    mailbox.failNext = 1;
    const { id } = await startByEmail([{ tool: "request_more_information", args: { message: "Which tag?" } }]);
    const events = await eventsOf(id);
    const failed = events.find((e) => e.type === "notification_failed");
    expect(failed?.type === "notification_failed" && failed.data).toMatchObject({ channel: "email", attempt: 1, message: "mail service unavailable" });
    expect(mailbox.of(id)).toHaveLength(0);
    clock.advance(31_000);
    await fireTimer(id, { type: "notify" });
    await settle(id);
    expect(mailbox.of(id)).toHaveLength(1);
    const sent = (await eventsOf(id)).find((e) => e.type === "notification_sent" && e.data.channel === "email");
    expect(sent?.type === "notification_sent" && sent.data).toMatchObject({ attempt: 2, messageId: mailbox.of(id)[0]?.messageId });
  });
});

describe("replies by email", () => {
  it("'approve' to the plus address approves the production deploy, the deploy runs, and the final answer is mailed in the same conversation", async () => {
    const { id, messageId, subject } = await startByEmail([PRODUCTION, done("Deployed v1.2.3 to production.")]);
    const first = await lastMail(id);
    const reply = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: first.mail.messageId, references: `${messageId} ${first.mail.messageId}`, body: "Approve - ship it" });
    expect((await deliver(reply.raw, { from: ALICE, to: await replyTo(id) })).refused).toBeUndefined();
    expect((await settle(id)).status).toBe("done");

    const events = await eventsOf(id);
    const answer = events.find((e) => e.type === "human_responded");
    expect(answer?.type === "human_responded" && answer.data).toEqual({ requestId: expect.any(String), approved: true, comment: "ship it", by: { kind: "email", id: ALICE, verifiedBy: "dmarc" } });
    expect(answer?.source).toMatchObject({ kind: "email", detail: { from: ALICE, messageId: reply.messageId } });
    const started = events.find((e) => e.type === "tool_started");
    expect(started?.type === "tool_started" && started.data.args).toEqual({ tag: "v1.2.3", environment: "production" });
    expect(types(events)).toContain("tool_succeeded");

    const result = await lastMail(id);
    expect(mailbox.of(id)).toHaveLength(2);
    expect(result.email.text).toContain("Deployed v1.2.3 to production.");
    expect(result.email.inReplyTo).toBe(reply.messageId);
    expect(result.email.references).toBe(`${messageId} ${first.mail.messageId} ${reply.messageId}`);
    const nth = (messageId: string | undefined) => Number(new RegExp(`^<${id}\\.(\\d+)\\.`).exec(messageId ?? "")?.[1]);
    expect(nth(result.email.messageId)).toBeGreaterThan(nth(first.mail.messageId));

    // The same reply delivered again appends nothing, even though the approval is closed now.
    const before = await eventsOf(id);
    expect((await deliver(reply.raw, { from: ALICE, to: await replyTo(id) })).refused).toBeUndefined();
    expect(await eventsOf(id)).toEqual(before);
    // A new mail to a finished thread is refused with a reason the sender can read.
    const late = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: result.mail.messageId, body: "thanks!" });
    expect((await deliver(late.raw, { from: ALICE, to: await replyTo(id) })).refused).toMatch(/is done/);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("a reply to the bare agent address (routed by In-Reply-To) never answers a request: refused with the reason, nothing appended", async () => {
    const { id, subject } = await startByEmail([PRODUCTION, done("deployed")]);
    const first = await lastMail(id);
    const before = await eventsOf(id);
    const reply = replyRaw(outlookReply, { to: TO, subject, inReplyTo: first.mail.messageId, body: "Yes." });
    expect((await deliver(reply.raw, { from: ALICE, to: TO })).refused).toMatch(/reply to the request's own mail/);
    expect(await eventsOf(id)).toEqual(before);
    expect((await settle(id)).status).toBe("waiting_for_human");
    // It did not launch a thread of its own.
    expect(await thread(await threadIdForMessage("deploybot", reply.messageId)).thread()).toBeNull();
  });

  it("when the mail service assigns its own Message-IDs, that id is logged, and a reply to the request's address answers it", async () => {
    mailbox.assignIds = true;
    const { id, messageId, subject } = await startByEmail([PRODUCTION, done("deployed")]);
    const first = await lastMail(id);
    expect(first.email.messageId).toMatch(/@assigned\.test>$/);
    const sent = (await eventsOf(id)).find((e) => e.type === "notification_sent" && e.data.channel === "email");
    expect(sent?.type === "notification_sent" && sent.data.messageId).toBe(first.email.messageId);
    const reply = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: first.mail.messageId, references: `${messageId} ${first.mail.messageId}`, body: "lgtm" });
    expect((await deliver(reply.raw, { from: ALICE, to: await replyTo(id) })).refused).toBeUndefined();
    expect((await settle(id)).status).toBe("done");
    expect((await lastMail(id)).email.references).toBe(`${messageId} ${first.mail.messageId} ${reply.messageId}`);
  });

  it("'reject' goes to the model with the comment; nothing is deployed", async () => {
    const { id, subject } = await startByEmail([PRODUCTION, done("Not deployed.")]);
    const first = await lastMail(id);
    const reply = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: first.mail.messageId, body: "No, not on a Friday." });
    await deliver(reply.raw, { from: ALICE, to: await replyTo(id) });
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    const answer = events.find((e) => e.type === "human_responded");
    expect(answer?.type === "human_responded" && answer.data).toMatchObject({ approved: false, comment: "not on a Friday." });
    expect(types(events)).not.toContain("tool_started");
  });

  it("an unclear first word does not approve: it is kept as a user message and the approval stays open", async () => {
    const { id, subject, view } = await startByEmail([PRODUCTION, { tool: "request_more_information", args: { message: "Please answer approve or reject." } }]);
    const approval = pendingOf(view);
    const first = await lastMail(id);
    const reply = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: first.mail.messageId, body: "Maybe later, let me check with the team" });
    expect((await deliver(reply.raw, { from: ALICE, to: await replyTo(id) })).refused).toBeUndefined();
    const after = await settle(id);
    const events = await eventsOf(id);
    expect(types(events)).not.toContain("human_responded");
    expect(types(events)).not.toContain("tool_started");
    const message = events.find((e) => e.type === "user_messaged");
    expect(message?.type === "user_messaged" && message.data.text).toBe("Maybe later, let me check with the team");
    expect(after.pendingRequests.map((r) => r.requestId)).toContain(approval.requestId);
  });

  it("a forged In-Reply-To naming a thread that never sent that id is not routed there", async () => {
    const { id, view } = await startByEmail([PRODUCTION]);
    const before = await eventsOf(id);
    const forgedId = `<${id}.1.deadbeefdeadbeef@agents.test>`;
    const forged = replyRaw(outlookReply, { to: TO, subject: "Ship it", inReplyTo: forgedId, body: "approve [script:none]" });
    await deliver(forged.raw, { from: ALICE, to: TO });
    await settle(id);
    expect(await eventsOf(id)).toEqual(before);
    expect(pendingOf(await settle(id)).requestId).toBe(pendingOf(view).requestId);
    // It is an ordinary new mail to deploybot instead: a thread of its own, which approves nothing.
    const own = await threadIdForMessage("deploybot", forged.messageId);
    expect((await settle(own)).agent).toBe("deploybot");
  });

  it("a question is answered by the reply text", async () => {
    const { id, subject } = await startByEmail([
      { tool: "request_more_information", args: { message: "Which tag?" } },
      { tool: "deploy_backend", args: { tag: "v1.2.2", environment: "staging" } },
      done("Deployed v1.2.2 to staging."),
    ]);
    const question = await lastMail(id);
    expect(question.email.text).toContain("Which tag?");
    expect(question.email.text).toContain("Reply to this email with your answer.");
    const reply = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: question.mail.messageId, body: "v1.2.2 please" });
    await deliver(reply.raw, { from: ALICE, to: await replyTo(id) });
    expect((await settle(id)).status).toBe("done");
    const answer = (await eventsOf(id)).find((e) => e.type === "human_responded");
    expect(answer?.type === "human_responded" && answer.data.answer).toBe("v1.2.2 please");
    expect((await lastMail(id)).email.text).toContain("Deployed v1.2.2 to staging.");
  });

  it("with no open request a reply is a user message (here: to a paused thread)", async () => {
    const { id, subject } = await startByEmail([{ tool: "request_more_information", args: { message: "Which tag?" } }, done("ok")]);
    const question = await lastMail(id);
    const first = replyRaw(replyQuoted, { to: await replyTo(id), subject, inReplyTo: question.mail.messageId, body: "v1.2.1" });
    expect((await api(`/v1/threads/${id}/pause`, { method: "POST", json: {} })).status).toBe(200);
    await deliver(first.raw, { from: ALICE, to: await replyTo(id) }); // answers the question
    // The question's address died with the question; the bare plus address takes messages from the starter.
    const second = replyRaw(replyQuoted, { to: `deploybot+${id}@agents.test`, subject, inReplyTo: question.mail.messageId, body: "and frontend too" });
    await deliver(second.raw, { from: ALICE, to: `deploybot+${id}@agents.test` });
    const events = await eventsOf(id);
    const message = events.find((e) => e.type === "user_messaged");
    expect(message?.type === "user_messaged" && message.data.text).toBe("and frontend too");
    expect(message?.source).toMatchObject({ kind: "email" });
  });
});
