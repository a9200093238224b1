import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { eventsOf, settle, thread, types } from "../support/api";
import { deliver, emailMessage } from "../support/email";
import { mailbox, model } from "../support/harness";
import alternative from "../fixtures/email/alternative.eml?raw";
import attachment from "../fixtures/email/attachment.eml?raw";
import autoReply from "../fixtures/email/auto-reply.eml?raw";
import bounce from "../fixtures/email/bounce.eml?raw";
import htmlOnly from "../fixtures/email/html-only.eml?raw";
import latin1 from "../fixtures/email/latin1.eml?raw";
import plain from "../fixtures/email/plain.eml?raw";
import quotedPrintable from "../fixtures/email/quoted-printable.eml?raw";
import windows1252 from "../fixtures/email/windows-1252.eml?raw";
import worker from "../support/worker";

const TO = "deploybot@agents.test";
const ALICE = "alice@example.com";
const done = (message: string) => ({ tool: "done_for_now", args: { message } });

let n = 0;
/** A fresh plain mail with a unique Message-ID. */
function mail(fields: { from?: string; to?: string; subject?: string; body?: string; messageId?: string } = {}) {
  const messageId = fields.messageId ?? `<plain-${++n}-${Math.random().toString(36).slice(2, 8)}@example.com>`;
  const raw = plain
    .replace("{{FROM}}", fields.from ?? ALICE)
    .replace("{{TO}}", fields.to ?? TO)
    .replace("{{SUBJECT}}", fields.subject ?? "Hello")
    .replace("{{MESSAGE_ID}}", messageId)
    .replace("{{BODY}}", fields.body ?? "Deploy please.");
  return { raw, messageId };
}

/** The thread a new mail launches (derived from its Message-ID) and its launch event. */
async function launched(messageId: string, agent = "deploybot") {
  const id = await threadIdForMessage(agent, messageId);
  await settle(id);
  const events = await eventsOf(id);
  const launch = events[0];
  if (launch?.type !== "thread_launched") throw new Error(`no thread for ${messageId}`);
  return { id, events, launch, message: launch.data.message };
}

async function noThread(messageId: string, agent = "deploybot") {
  expect(await thread(await threadIdForMessage(agent, messageId)).thread()).toBeNull();
}

describe("inbound mail launches a thread", () => {
  it("multipart/alternative: the plain part, without signature, with the trigger on the event's source; the final answer goes back by email", async () => {
    model.script("eml-alt", [{ tool: "list_git_tags" }, { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "staging" } }, done("Deployed v1.2.3 to staging.")]);
    expect((await deliver(alternative, { from: ALICE, to: TO })).refused).toBeUndefined();
    const { id, launch, message } = await launched("<CAF=alt-0001@mail.example.com>");
    expect(message).toContain("Email from alice@example.com");
    expect(message).toContain("Subject: Please deploy the latest backend to staging");
    expect(message).toContain("please deploy the latest backend tag to staging.");
    expect(message).not.toContain("HTML PART");
    expect(message).not.toContain("Platform team"); // the "-- " signature
    expect(launch.source).toEqual({
      kind: "email",
      detail: { from: ALICE, to: TO, messageId: "<CAF=alt-0001@mail.example.com>", subject: "Please deploy the latest backend to staging" },
    });
    expect(launch.data.replyChannels).toEqual(["email"]);
    const view = await settle(id);
    expect(view.status).toBe("done");
    const sent = mailbox.of(id);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe(ALICE);
  });

  it("HTML-only: converted to text, styles and quoted history dropped", async () => {
    model.script("eml-html", [done("ok")]);
    expect((await deliver(htmlOnly, { from: "bob@trusted.example", to: TO })).refused).toBeUndefined();
    const { message } = await launched("<html-only-0002@trusted.example>");
    expect(message).toContain("Hello deploybot,");
    expect(message).toContain("Please deploy the frontend & nothing else to staging.");
    expect(message).toContain("- tag: newest");
    for (const gone of ["OLD QUOTED", "color: red", "ignored title", "<p>", "wrote:"]) expect(message).not.toContain(gone);
  });

  it.each([
    ["quoted-printable UTF-8", quotedPrintable, "<qp-0003@example.com>", "Subject: Déploiement du backend", "merci de déployer le backend en pré-production (staging) avec le dernier tag. Café offert ☕"],
    ["ISO-8859-1", latin1, "<latin1-0004@example.com>", "Subject: Résumé des déploiements", "Grüße! Le déploiement coûte 5 £, naïveté garantie."],
    ["windows-1252 in base64", windows1252, "<cp1252-0005@example.com>", "Subject: Windows charset", "“Café” costs 3 €. Deploy it."],
  ])("%s is decoded", async (_what, raw, messageId, subject, body) => {
    model.script(/\[script:([a-z0-9-]+)\]/.exec(raw)?.[1] ?? "none", [done("ok")]);
    expect((await deliver(raw, { from: ALICE, to: TO })).refused).toBeUndefined();
    const { message } = await launched(messageId);
    expect(message).toContain(subject);
    expect(message).toContain(body);
  });

  it("attachments are listed by name, type and size, never inlined", async () => {
    model.script("eml-attach", [done("ok")]);
    expect((await deliver(attachment, { from: ALICE, to: TO })).refused).toBeUndefined();
    const { message } = await launched("<attach-0006@example.com>");
    expect(message).toContain("Attachments (not included):\n- release-notes.pdf (application/pdf, 2.9 KB)\n- graph.png (image/png, 70 B)");
    expect(message).not.toContain("AAAA");
    expect(message).not.toContain("iVBOR");
  });

  it("a duplicate delivery maps to the same thread and appends nothing", async () => {
    const { raw, messageId } = mail({ body: `twice [script:eml-dup]` });
    model.script("eml-dup", [{ tool: "request_more_information", args: { message: "Which tag?" } }]);
    await deliver(raw, { from: ALICE, to: TO });
    const { id, events } = await launched(messageId);
    expect((await deliver(raw, { from: ALICE, to: TO })).refused).toBeUndefined();
    await settle(id);
    expect(await eventsOf(id)).toEqual(events);
    expect(types(events).filter((t) => t === "thread_launched")).toHaveLength(1);
    expect(mailbox.of(id)).toHaveLength(1); // the question, once
  });
});

describe("mail that must not start a thread", () => {
  it("a sender off the allowlist is rejected (envelope or header From)", async () => {
    const a = mail({ from: "mallory@evil.example" });
    expect((await deliver(a.raw, { from: "mallory@evil.example", to: TO })).refused).toMatch(/may not email deploybot/);
    await noThread(a.messageId);
    // An allowed envelope carrying someone else's From header.
    const b = mail({ from: "Mallory <mallory@evil.example>" });
    expect((await deliver(b.raw, { from: ALICE, to: TO })).refused).toMatch(/mallory@evil.example may not email/);
    await noThread(b.messageId);
    // A subdomain of an allowed @domain is not that domain.
    const c = mail({ from: "eve@sub.trusted.example" });
    expect((await deliver(c.raw, { from: "eve@sub.trusted.example", to: TO })).rejected).toBeDefined();
  });

  it("an agent's own allowlist admits its senders only to that agent", async () => {
    const toProbe = mail({ from: "carol@probe.example", to: "probe@agents.test" });
    expect((await deliver(toProbe.raw, { from: "carol@probe.example", to: "probe@agents.test" })).refused).toBeUndefined();
    await launched(toProbe.messageId, "probe");
    const toDeploybot = mail({ from: "carol@probe.example" });
    expect((await deliver(toDeploybot.raw, { from: "carol@probe.example", to: TO })).refused).toMatch(/may not email deploybot/);
  });

  it("an unknown agent, another domain, or a plus address naming no thread is rejected", async () => {
    const a = mail({ to: "nobody@agents.test" });
    expect((await deliver(a.raw, { from: ALICE, to: "nobody@agents.test" })).refused).toMatch(/No agent named "nobody"/);
    const b = mail({ to: "deploybot@elsewhere.test" });
    expect((await deliver(b.raw, { from: ALICE, to: "deploybot@elsewhere.test" })).refused).toMatch(/No mailbox/);
    await noThread(b.messageId);
    const c = mail({ to: "deploybot+e_doesnotexist@agents.test" });
    expect((await deliver(c.raw, { from: ALICE, to: "deploybot+e_doesnotexist@agents.test" })).refused).toMatch(/No thread e_doesnotexist/);
    await noThread(c.messageId);
  });

  it("oversized mail is rejected from its envelope size, before the body is read", async () => {
    const { raw, messageId } = mail();
    const { message, delivery } = emailMessage(raw, { from: ALICE, to: TO, rawSize: 100_001 });
    await worker.email(message, env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
    expect(delivery.refused).toBe("Message too large: 100001 bytes; the limit is 100000.");
    expect(message.raw.locked).toBe(false);
    await noThread(messageId);
  });

  it.each([
    ["an auto-reply (Auto-Submitted)", autoReply, ALICE, "<ooo-0007@example.com>"],
    ["a bounce (multipart/report, empty envelope sender)", bounce, "", "<bounce-0008@mx.example.com>"],
    ["a bounce from MAILER-DAEMON", bounce, "MAILER-DAEMON@mx.example.com", "<bounce-0008@mx.example.com>"],
  ])("%s is ignored: no thread, no rejection (no mail loop)", async (_what, raw, from, messageId) => {
    const delivery = await deliver(raw, { from, to: TO });
    expect(delivery).toEqual({ forwarded: [], replies: [] });
    await noThread(messageId);
  });

  it("Precedence: bulk and an empty Return-Path are ignored too", async () => {
    for (const header of ["Precedence: bulk", "Return-Path: <>", "X-Autoreply: yes"]) {
      const { raw, messageId } = mail();
      expect(await deliver(`${header}\n${raw}`, { from: ALICE, to: TO })).toEqual({ forwarded: [], replies: [] });
      await noThread(messageId);
    }
  });
});
