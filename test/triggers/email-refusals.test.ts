/**
 * A refused mail gets a mail back that says why (issue 12): composed by us and sent with
 * Email Routing's `message.reply()`, to the authenticated sender, with nothing appended to
 * any thread. Mail that failed authentication (its From may be forged: a reply would be
 * backscatter) and mail we must not answer (our own domain, auto-reply suppression, a
 * References loop, a reply() that fails) get setReject, the receiving MTA's bounce.
 */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FULL_HEADROOM } from "../../src/runtime/thread/thread-cap";
import { eventsOf, launch, settle } from "../support/api";
import { deliver, emailMessage, withAuthResults, type Delivery } from "../support/email";
import { model } from "../support/harness";
import worker from "../support/worker";
import { ALICE, BOB, TO, PRODUCTION, unique, mail, heldByEmail } from "../support/email-approvals";

/** The one reply a refusal got: from the agent, to the sender, threaded under the refused mail, marked automatic. */
async function refusedByReply(delivery: Delivery, sender: string, refusedId: string, why: RegExp) {
  expect(delivery.rejected).toBeUndefined();
  expect(delivery.replies).toHaveLength(1);
  const [reply] = delivery.replies;
  if (!reply) throw new Error("no reply");
  expect(reply.from).toBe(TO);
  expect(reply.to).toBe(sender);
  const { email } = reply;
  expect(email.from?.address).toBe(TO);
  expect(email.to?.map((a) => a.address)).toEqual([sender]);
  expect(email.subject).toBe("Re: Ship it");
  expect(email.inReplyTo).toBe(refusedId);
  expect(email.references).toContain(refusedId);
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value;
  expect(header("auto-submitted")).toBe("auto-replied");
  expect(header("x-auto-response-suppress")).toBe("All");
  expect(email.text).toContain("was refused; nothing was done with it.");
  expect(delivery.refused).toMatch(why);
}

describe("a refused mail from an authenticated sender gets our reply that says why; nothing is appended", () => {
  it.each([
    ["bob answers alice's request at its address (not the recipient)", "bob", "yes", /may not answer/],
    ["a guessed reply address (wrong mac)", "guess", "approve", /no open request/],
    ["an empty reply (only quoted history)", "empty", "> approve\n", /reply was empty/],
    ["the bare plus address while a request is open", "bare", "approve", /reply to the request's own mail/],
  ])("%s", async (_what, how, body, why) => {
    const { id, replyTo } = await heldByEmail();
    const before = await eventsOf(id);
    const sender = how === "bob" ? BOB : ALICE;
    const to = how === "guess" ? replyTo.replace(/\.[0-9a-f]+@/, ".00000000000000000000@") : how === "bare" ? `deploybot+${id}@agents.test` : replyTo;
    const messageId = `<${unique("refused")}@example.com>`;
    const delivery = await deliver(mail({ from: sender, to, body, messageId }), { from: sender, to });
    await refusedByReply(delivery, sender, messageId, why);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("'lgtm' to the bare plus address of a thread launched over HTTP: the reply names who may write", async () => {
    const script = unique("http");
    model.script(script, [PRODUCTION]);
    const id = (await launch("deploybot", `deploy [script:${script}]`)).thread.id;
    await settle(id);
    const before = await eventsOf(id);
    const bare = `deploybot+${id}@agents.test`;
    const messageId = `<${unique("lgtm")}@example.com>`;
    await refusedByReply(await deliver(mail({ from: ALICE, to: bare, body: "lgtm", messageId }), { from: ALICE, to: bare }), ALICE, messageId, /did not start it/);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("a mail to a thread that does not exist", async () => {
    const to = `deploybot+${unique("nothread")}@agents.test`;
    const messageId = `<${unique("lost")}@example.com>`;
    await refusedByReply(await deliver(mail({ from: ALICE, to, body: "approve", messageId }), { from: ALICE, to }), ALICE, messageId, /No thread/);
  });

  it("an answer to a full thread (409 thread_full) is refused by reply; nothing appended", async () => {
    const { id, replyTo } = await heldByEmail();
    const last = (await eventsOf(id)).at(-1)?.seq ?? 0;
    await runInDurableObject(env.THREADS.getByName(id), (instance) => {
      Reflect.set(instance, "env", { ...(Reflect.get(instance, "env") as Env), MAX_THREAD_EVENTS: String(last + FULL_HEADROOM) });
    });
    const messageId = `<${unique("full")}@example.com>`;
    const delivery = await deliver(mail({ from: ALICE, to: replyTo, body: "approve", messageId }), { from: ALICE, to: replyTo });
    await refusedByReply(delivery, ALICE, messageId, /accepts no more input/);
    // The refusal itself is outside input: the thread records that it is full (once), nothing else.
    expect((await eventsOf(id)).filter((e) => e.seq > last && e.type !== "thread_filled" && e.type !== "notification_sent")).toEqual([]);
  });
});

describe("mail we must not answer gets setReject, never our reply", () => {
  it("a forged mail (DMARC fail) is bounced by the receiving server: a reply would go to whoever was forged", async () => {
    const { id, replyTo } = await heldByEmail();
    const before = await eventsOf(id);
    const verdict = "mx.cloudflare.net; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=fail header.from=example.com";
    const delivery = await deliver(mail({ from: ALICE, to: replyTo, body: "approve" }), { from: ALICE, to: replyTo, authResults: verdict });
    expect(delivery.rejected).toMatch(/not authenticated.*DMARC fail/);
    expect(delivery.replies).toEqual([]);
    expect(await eventsOf(id)).toEqual(before);
  });

  it("with EMAIL_AUTH=off (local development) nobody is authenticated, so refusals are bounced", async () => {
    const to = `deploybot+${unique("nothread")}@agents.test`;
    const delivery = await deliver(mail({ from: ALICE, to, body: "approve" }), { from: ALICE, to, authResults: null }, { EMAIL_AUTH: "off" });
    expect(delivery.rejected).toMatch(/No thread/);
    expect(delivery.replies).toEqual([]);
  });

  it("a sender that is not allowlisted is bounced before anything is read", async () => {
    const delivery = await deliver(mail({ from: "eve@elsewhere.example", to: TO, body: "hi" }), { from: "eve@elsewhere.example", to: TO });
    expect(delivery.rejected).toMatch(/may not email/);
    expect(delivery.replies).toEqual([]);
  });

  it("a sender on our own domain, a sender who suppresses auto-replies, and a References loop are bounced", async () => {
    const to = `deploybot+${unique("nothread")}@agents.test`;
    const own = "ops@agents.test";
    const ownDelivery = await deliver(mail({ from: own, to, body: "approve" }), { from: own, to }, { EMAIL_ALLOWED_SENDERS: "alice@example.com, @agents.test" });
    const suppress = await deliver(mail({ from: ALICE, to, body: "approve", headers: ["X-Auto-Response-Suppress: OOF, AutoReply"] }), { from: ALICE, to });
    const references = Array.from({ length: 100 }, (_, i) => `<r${i}@example.com>`).join(" ");
    const loop = await deliver(mail({ from: ALICE, to, body: "approve", headers: [`References: ${references}`, "In-Reply-To: <r99@example.com>"] }), { from: ALICE, to });
    for (const delivery of [ownDelivery, suppress, loop]) {
      expect(delivery.rejected).toMatch(/No thread/);
      expect(delivery.replies).toEqual([]);
    }
  });

  it("when reply() fails (Email Routing's own rules), the refusal falls back to setReject", async () => {
    const to = `deploybot+${unique("nothread")}@agents.test`;
    const raw = withAuthResults(mail({ from: ALICE, to, body: "approve" }), { from: ALICE });
    const { message, delivery } = emailMessage(raw, { from: ALICE, to });
    let attempts = 0;
    const failing: ForwardableEmailMessage = {
      ...message,
      setReject: (reason) => message.setReject(reason),
      reply: async () => {
        attempts++;
        throw new Error("Original email is not replyable");
      },
    };
    const ctx = createExecutionContext();
    await worker.email(failing, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(attempts).toBe(1);
    expect(delivery.rejected).toMatch(/No thread/);
  });
});
