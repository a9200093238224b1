import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { composeMail } from "../../src/agents/digest/mail";
import { sendWithBinding } from "../../src/channels/email/send";
import { cronThreadId } from "../../src/triggers/cron";
import { eventsOf, launch, settle } from "../support/api";
import { DAILY_8 } from "../support/cron-jobs";
import { mailbox, model } from "../support/harness";
import worker from "../support/worker";

// The digest agent end to end: a cron tick launches it, the scripted model calls the
// list tool then the send tool, and the mail (captured in place of the EMAIL binding)
// names every waiting thread with what it waits for.

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 6);
let n = 0;

async function tick(scheduledTime: number): Promise<string> {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController({ cron: DAILY_8, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
  return cronThreadId("daily-digest", scheduledTime);
}

async function waiting(first: { tool: string; args: Record<string, unknown> }): Promise<string> {
  const id = `wait-${run}-${++n}`;
  const marker = model.script(id, [first]);
  expect((await launch("probe", `work ${marker}`, { threadId: id, humanTimeoutSeconds: 3600 })).response.status).toBe(201);
  expect((await settle(id)).status).toBe("waiting_for_human");
  return id;
}

const digestScript = [
  { tool: "list_waiting_threads", args: {} },
  { tool: "send_digest_email", args: { subject: "2 agent threads waiting for a human", summary: "The approval is the oldest wait." } },
  { tool: "done_for_now", args: { message: "Listed the waiting threads and mailed the operator." } },
];

const results = async (id: string) =>
  (await eventsOf(id)).flatMap((e) => (e.type === "tool_succeeded" ? [{ tool: e.data.tool, result: e.data.result }] : []));

describe("digest agent", () => {
  it("a cron tick lists the waiting threads and mails them to the operator", async () => {
    const question = await waiting({ tool: "request_more_information", args: { message: "Which tag should go out?" } });
    const approval = await waiting({ tool: "guarded", args: { label: `digest-${run}` } });
    model.script("cron-digest", digestScript);
    const sentBefore = mailbox.sent.length;

    const id = await tick(Date.UTC(2032, 2, 3, 8, 0, 0));
    expect(await settle(id)).toMatchObject({ agent: "digest", status: "done", result: { message: "Listed the waiting threads and mailed the operator." } });

    const [listed, sent] = await results(id);
    expect(listed?.tool).toBe("list_waiting_threads");
    const ids = (listed?.result as { threads: { id: string }[] }).threads.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining([question, approval]));
    expect(sent).toMatchObject({ tool: "send_digest_email", result: { sent: true, to: "ops@agents.test" } });

    expect(mailbox.sent.length).toBe(sentBefore + 1);
    const mail = mailbox.sent.at(-1);
    expect(mail).toMatchObject({ from: "digest@agents.test", to: "ops@agents.test" });
    const raw = mail?.raw ?? "";
    const subject = /^Subject: =\?utf-8\?B\?([A-Za-z0-9+/=]+)\?=\r?$/m.exec(raw)?.[1] ?? "";
    expect(atob(subject)).toBe("2 agent threads waiting for a human");
    expect(raw).toMatch(/^Message-ID: <.+>\r?$/im);
    expect(raw).toContain("The approval is the oldest wait.");
    expect(raw).toContain(`- ${question} (probe)`);
    expect(raw).toContain("input: Which tag should go out?");
    expect(raw).not.toContain("held call: request_more_information");
    expect(raw).toContain(`- ${approval} (probe)`);
    expect(raw).toContain(`held call: guarded {"label":"digest-${run}"}`);

    // A retried tick for the same minute sends nothing more.
    await tick(Date.UTC(2032, 2, 3, 8, 0, 30));
    await settle(id);
    expect(mailbox.sent.length).toBe(sentBefore + 1);
  });

  it("with OPERATOR_EMAIL empty nothing is sent and the thread still finishes", async () => {
    await waiting({ tool: "request_more_information", args: { message: "Anyone there?" } });
    model.script("cron-digest", digestScript);
    const sentBefore = mailbox.sent.length;
    const time = Date.UTC(2032, 2, 4, 8, 0, 0);
    // TEST ONLY: this one thread object sees an unset OPERATOR_EMAIL (before its first step reads env).
    await runInDurableObject(env.THREADS.getByName(cronThreadId("daily-digest", time)), (instance) => {
      const object = instance as unknown as { env: Env };
      object.env = { ...object.env, OPERATOR_EMAIL: "" };
    });

    const id = await tick(time);
    expect(await settle(id)).toMatchObject({ status: "done" });
    const [, sent] = await results(id);
    expect(sent).toMatchObject({ tool: "send_digest_email", result: { sent: false, reason: "OPERATOR_EMAIL is not set; nothing was sent." } });
    expect(mailbox.sent.length).toBe(sentBefore);
  });

  it("the composed MIME is accepted by the real send_email binding", async () => {
    const mail = composeMail({ from: { name: "Agent digest", addr: "digest@agents.test" }, to: "ops@agents.test", subject: "Digest ✓", text: "Nothing waits.", threadId: "digest-mime", domain: "agents.test" });
    await expect(sendWithBinding(env, mail)).resolves.toBeDefined();
  });
});
