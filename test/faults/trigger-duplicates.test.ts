/**
 * Invariant 4 for the triggers other than HTTP: 100 deliveries of the same email
 * (Message-ID), cron tick (scheduledTime), webhook (delivery id) and email reply
 * (Message-ID), sequential and all at once: exactly one event each, nothing else
 * appended, the side effect behind it once. (HTTP launch/message/response x100 are in
 * duplicates.test.ts; 20 concurrent webhook redeliveries in triggers/webhooks.test.ts.)
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { cronThreadId } from "../../src/triggers/cron";
import { signHmacSha256 } from "../../src/hmac";
import { api, eventsOf, launch, settle, thread } from "../support/api";
import { EVERY_5 } from "../support/cron-jobs";
import { deliver, parsed } from "../support/email";
import { clock, mailbox, model } from "../support/harness";
import worker from "../support/worker";
import plain from "../fixtures/email/plain.eml?raw";
import { assertConsistent, count, fresh } from "./consistency";

const N = 100;
const ALICE = "alice@example.com";
const TO = "deploybot@agents.test";
const times = <T>(n: number, make: () => Promise<T>) => Promise.all(Array.from({ length: n }, make));
async function sequentially<T>(n: number, make: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await make());
  return out;
}

function newMail(body: string) {
  const messageId = `<${fresh("dup-mail")}@example.com>`;
  const raw = plain
    .replace("{{FROM}}", `Alice <${ALICE}>`)
    .replace("{{TO}}", TO)
    .replace("{{SUBJECT}}", "Ship v1.2.3 to production")
    .replace("{{MESSAGE_ID}}", messageId)
    .replace("{{BODY}}", body);
  return { raw, messageId };
}

describe(`${N} duplicate deliveries per trigger kind`, () => {
  it(`the same email (same Message-ID) x${N} sequentially, then x${N} at once: one thread, one thread_launched, one model call, one mail back`, async () => {
    const script = fresh("dup-mail-script");
    const { raw, messageId } = newMail(`Please ship it. ${model.script(script, [{ tool: "request_more_information", args: { message: "Which region?" } }])}`);
    const serial = await sequentially(N, () => deliver(raw, { from: ALICE, to: TO }));
    const burst = await times(N, () => deliver(raw, { from: ALICE, to: TO }));
    expect([...serial, ...burst].filter((d) => d.refused !== undefined)).toEqual([]);
    const id = await threadIdForMessage("deploybot", messageId);
    expect((await settle(id)).status).toBe("waiting_for_human");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(count(events, "thread_launched")).toBe(1);
    expect(model.consumed(script)).toBe(1);
    expect(mailbox.of(id)).toHaveLength(1); // the question, once
  });

  it(`the same cron tick (same scheduledTime) x${N} at once and x${N} in a row: one thread per job, one model call each`, async () => {
    model.script("cron-a", [{ tool: "done_for_now", args: { message: "a" } }]);
    model.script("cron-b", [{ tool: "done_for_now", args: { message: "b" } }]);
    const t = Date.UTC(2033, 2, 4, 5, 10, 0) + 42_000;
    const tick = async (at: number) => {
      const ctx = createExecutionContext();
      await worker.scheduled?.(createScheduledController({ cron: EVERY_5, scheduledTime: at }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    // Retries may carry any second of the same minute: still the same tick.
    let k = 0;
    await times(N, () => tick(t + ((++k * 179) % 18_000)));
    await sequentially(N, () => tick(t));
    for (const job of ["probe-a", "probe-b"]) {
      const id = cronThreadId(job, t);
      expect((await settle(id)).status).toBe("done");
      const events = await eventsOf(id);
      assertConsistent(events);
      expect(count(events, "thread_launched")).toBe(1);
    }
    expect(model.consumed("cron-a")).toBe(1);
    expect(model.consumed("cron-b")).toBe(1);
  });

  const GITHUB_SECRET = "github-test-secret"; // vitest.config.ts
  const SLACK_SECRET = "slack-test-secret";
  const bytes = (text: string) => new Uint8Array(new TextEncoder().encode(text));
  async function hook(source: "github" | "slack", raw: string, headers: Record<string, string>) {
    const signature: Record<string, string> =
      source === "github"
        ? { "x-hub-signature-256": `sha256=${await signHmacSha256(GITHUB_SECRET, bytes(raw))}` }
        : await (async () => {
            const ts = String(Math.floor(clock.now() / 1000));
            return { "x-slack-signature": `v0=${await signHmacSha256(SLACK_SECRET, bytes(`v0:${ts}:${raw}`))}`, "x-slack-request-timestamp": ts };
          })();
    const response = await api(`/v1/webhooks/${source}`, { method: "POST", body: raw, token: null, headers: { "content-type": "application/json", ...headers, ...signature } });
    return { status: response.status, body: (await response.json()) as { action?: string } };
  }
  const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

  it(`the same GitHub delivery id x${N} at once: one 201, ${N - 1} x 200 duplicate, one thread_launched, one model call`, async () => {
    const delivery = fresh("gh-dup");
    const script = fresh("gh-dup-script");
    const raw = JSON.stringify({
      action: "completed",
      workflow_run: { id: 7, name: `CI ${model.script(script, [{ tool: "done_for_now", args: { message: "looked" } }])}`, conclusion: "failure", head_branch: "main", head_sha: "abcdef0123456789", html_url: "https://github.com/acme/app/actions/runs/7" },
      repository: { full_name: "acme/app" },
    });
    const results = await times(N, () => hook("github", raw, { "x-github-event": "workflow_run", "x-github-delivery": delivery }));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 200: N - 1 });
    expect(results.filter((r) => r.status === 200).every((r) => r.body.action === "duplicate")).toBe(true);
    const created = results.find((r) => r.status === 201)?.body as { thread?: { id: string } } | undefined;
    const id = created?.thread?.id ?? "";
    await settle(id);
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(count(events, "thread_launched")).toBe(1);
    expect(model.consumed(script)).toBe(1);
  });

  it(`the same Slack event_id naming a thread x${N} at once: one 202, ${N - 1} x 200, one user_messaged, one model call for it`, async () => {
    const id = fresh("slack-target");
    const ask = { tool: "request_more_information", args: { message: "Which tag?" } };
    await launch("probe", `help ${model.script(id, [ask, ask, ask])}`, { threadId: id, humanTimeoutSeconds: 3600 });
    expect((await settle(id)).status).toBe("waiting_for_human");
    const eventId = `Ev${fresh("x").replaceAll("-", "")}`.slice(0, 50);
    const raw = JSON.stringify({ type: "event_callback", event_id: eventId, event: { type: "message", text: `thread:${id} v1.2.3 please`, user: "U1", channel: "C1" } });
    const results = await times(N, () => hook("slack", raw, {}));
    expect(tally(results.map((r) => r.status))).toEqual({ 202: 1, 200: N - 1 });
    await settle(id);
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(events.filter((e) => e.type === "human_responded" || e.type === "user_messaged")).toHaveLength(1);
    expect(model.consumed(id)).toBe(2); // the launch, then one wake for the one message
  });

  it(`the same reply mail x${N} at once, then x10 after the thread finished: one human_responded, the approved deploy ran once`, async () => {
    const script = fresh("reply-dup");
    const { raw: start, messageId } = newMail(
      `Ship backend v1.2.3 to production. ${model.script(script, [
        { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" } },
        { tool: "done_for_now", args: { message: "Deployed." } },
      ])}`,
    );
    expect((await deliver(start, { from: ALICE, to: TO })).refused).toBeUndefined();
    const id = await threadIdForMessage("deploybot", messageId);
    expect((await settle(id)).status).toBe("waiting_for_human");
    // The request's own signed reply address (invariant 10), from the mail that asked.
    const asked = mailbox.of(id).at(-1);
    const plus = asked ? (await parsed(asked.raw)).replyTo?.[0]?.address : undefined;
    if (!plus) throw new Error(`thread ${id} sent no request mail with a Reply-To`);
    expect(plus).toMatch(new RegExp(`^deploybot\\+${id}\\.[0-9a-f]{20}@agents\\.test$`));
    const reply = [`From: ${ALICE}`, `To: ${plus}`, "Subject: Re: Ship", `Message-ID: <${fresh("reply")}@example.com>`, `In-Reply-To: ${messageId}`, "", "approve, go ahead", ""].join("\n");
    const burst = await times(N, () => deliver(reply, { from: ALICE, to: plus }));
    expect(burst.filter((d) => d.refused !== undefined)).toEqual([]);
    expect((await settle(id)).status).toBe("done");
    const events = await eventsOf(id);
    assertConsistent(events);
    expect(count(events, "human_responded")).toBe(1);
    expect(count(events, "user_messaged")).toBe(0);
    expect(count(events, "tool_started")).toBe(1);
    // Redelivered after the thread finished: still the same reply, answered as a duplicate, nothing appended.
    const late = await sequentially(10, () => deliver(reply, { from: ALICE, to: plus }));
    expect(late.filter((d) => d.refused !== undefined)).toEqual([]);
    await settle(id);
    expect(await eventsOf(id)).toEqual(events);
    expect(await thread(id).thread()).toMatchObject({ status: "done" });
  });
});
