/**
 * TEST ONLY: state shared between the tests and the Worker under test. The Worker's
 * Durable Objects run in the same isolate as the tests (Cloudflare's Vitest
 * integration), so these module singletons are the same objects on both sides.
 */
import { env } from "cloudflare:workers";
import type { OutboundEmail } from "../../src/channels/email/send";
import type { GateEnv } from "./gate-object";
import { ScriptedModel } from "./scripted-model";
import { SlackStandIn } from "./slack";
import { Ledger } from "./mcp-ledger";
import { OtlpCollector } from "./otlp-collector";

export const model = new ScriptedModel((name) => gate(name));

/** How often each probe side effect really ran, by label. Survives object eviction. */
export const executions = new Map<string, number>();

/** A gate backed by the TestGate object (see gate-object.ts). */
export function gate(name: string) {
  const stub = (env as unknown as GateEnv).TEST_GATES.getByName(name);
  return {
    /** Blocks until the test opens the gate. */
    pass: () => stub.pass(),
    /** Resolves once something is blocked at the gate. */
    get reached() {
      return stub.reached();
    },
    open: () => stub.open(),
  };
}

/** A clock tests can move forward; the runtime reads it through its `now` dependency. */
export const clock = {
  offsetMs: 0,
  now(): number {
    return Date.now() + this.offsetMs;
  },
  advance(ms: number): void {
    this.offsetMs += ms;
  },
};

/** TEST ONLY: the human webhook receiver (HUMAN_WEBHOOK_URL points here in tests). */
export const webhook = {
  received: [] as { headers: Record<string, string>; body: Record<string, unknown>; raw: string }[],
  /** Answer the next N deliveries with a 500. */
  failNext: 0,
  async fetch(request: Request): Promise<Response> {
    const raw = await request.text();
    if (this.failNext > 0) {
      this.failNext--;
      return new Response("receiver down", { status: 500 });
    }
    this.received.push({ headers: Object.fromEntries(request.headers), body: JSON.parse(raw) as Record<string, unknown>, raw });
    return new Response("ok");
  },
  for(threadId: string) {
    return this.received.filter((r) => (r.body["thread"] as { id: string } | undefined)?.id === threadId);
  },
};

/** TEST ONLY: Slack's Web API stand-in (SLACK_API_URL is http://slack.test/api in tests). */
export const slackApi = new SlackStandIn();

/** TEST ONLY: the MCP server of ours (mcp-ledger.ts) at http://ledger.test/mcp; down.test refuses every connection. */
export const ledger = new Ledger();
export const LEDGER_TOKEN = "ledger-test-token";
ledger.token = LEDGER_TOKEN;

/** TEST ONLY: the OTLP collector (threads that a test switches OTEL on for export to http://otlp.test). */
export const collector = new OtlpCollector();

/** Outbound fetch of the Worker under test: the scripted model, the webhook receiver, Slack's stand-in, the MCP servers, else the real network. */
export const testFetch: typeof fetch = (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (url.hostname === "scripted-model.test") return model.fetch(request);
  if (url.hostname === "human-webhook.test") return webhook.fetch(request);
  if (url.hostname === "slack.test") return slackApi.fetch(request);
  if (url.hostname === "ledger.test") return ledger.down ? Promise.reject(new TypeError("connection refused (ledger.test)")) : ledger.fetch(request);
  if (url.hostname === "otlp.test") return collector.fetch(request);
  if (url.hostname === "down.test") return Promise.reject(new TypeError("connection refused (down.test)"));
  return fetch(request);
};

/** TEST ONLY: outbound email (RuntimeDeps.sendEmail), captured instead of sent. */
export const mailbox = {
  sent: [] as (OutboundEmail & { thread: string })[],
  /** Fail the next N sends, as a mail service that is down would. */
  failNext: 0,
  /** Replace our Message-ID with the service's own and return it, as `wrangler dev`'s binding does. */
  assignIds: false,
  async send(_env: Env, mail: OutboundEmail): Promise<{ messageId: string } | void> {
    if (mailbox.failNext > 0) {
      mailbox.failNext--;
      throw new Error("mail service unavailable");
    }
    const thread = /^X-Agent-Thread: (.+)$/m.exec(mail.raw)?.[1]?.trim() ?? "";
    if (!mailbox.assignIds) {
      mailbox.sent.push({ ...mail, thread });
      return;
    }
    const messageId = `<${crypto.randomUUID()}@assigned.test>`;
    mailbox.sent.push({ ...mail, thread, messageId, raw: mail.raw.replace(/^Message-ID: .*$/m, `Message-ID: ${messageId}`) });
    return { messageId };
  },
  /** Mail a thread sent. */
  of(threadId: string): OutboundEmail[] {
    return mailbox.sent.filter((m) => m.thread === threadId);
  },
};
