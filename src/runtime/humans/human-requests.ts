import type { AgentDefinition, AgentRegistry } from "../../agents";
import { activeChannels, MAX_NOTIFICATION_ATTEMPTS, notifyRetryBaseMs, retryDelayMs, type Notification } from "../../channels";
import { linkUrl, signLink } from "../../channels/links";
import {
  FULL_NOTIFICATION,
  pendingView,
  RequestId,
  type OutboxItem,
  type PendingRequest,
  type PostedMessage,
  type PendingView,
  type Step,
  type ThreadFull,
  type ThreadState,
} from "../../core";
import type { SendEmail } from "../../channels/email/send";
import { EMAIL_CHANNEL } from "../../channels/email/send";
import { emailConfigured, sendThreadEmail } from "./email-outbox";
import type { DuePart, ThreadHost } from "../thread/host";
import { SLACK_CHANNEL } from "../../channels/slack/config";
import { SlackError } from "../../channels/slack/api";
import { rememberPost } from "../../channels/slack/directory";
import { sendSlack, slackWanted } from "./slack-outbox";
import { requestPolicy } from "./approval-policy";

/** What the human-request machinery needs from its thread object; passed in, not reached for. */
export type HumanRequestsHost = ThreadHost & {
  readonly fetch: typeof fetch;
  /** Outbound email (the `EMAIL` binding in production, a capture in tests). */
  readonly sendEmail: SendEmail;
  /** The agents served, to read a thread's agent settings (its Slack channel). */
  readonly agents?: AgentRegistry;
};

export type HumanRequestStep = Extract<Step, { kind: "ask_human" }>["request"];

/**
 * Factor 7 in the runtime: logging a human request with its deadline timer, applying
 * the timeout policy when the deadline passes, and delivering notifications through
 * the outbox (which the reducer derives from the log).
 */
export class HumanRequests {
  #delivering: Promise<void> | undefined;

  constructor(private readonly host: HumanRequestsHost) {}

  /** Resolves when no outbox delivery is in flight. */
  get delivering(): Promise<void> | undefined {
    return this.#delivering;
  }

  /** The timed obligations it owns (see due-work.ts): request deadlines and outbox deliveries. */
  readonly duePart: DuePart = {
    kinds: ["human_deadline", "notification"],
    due: async (obligation) => {
      if (obligation.kind === "human_deadline") await this.expireDue();
      else this.deliver();
    },
    start: () => this.deliver(),
    settled: () => this.delivering,
  };

  async ask(state: ThreadState, agent: AgentDefinition, request: HumanRequestStep): Promise<void> {
    const { host } = this;
    const base = request.call ? `req_${request.call.callId}` : `req_esc_${state.lastSeq}`;
    // A fork asks again for a call whose copied approval it voided: a new request, new id.
    const requestId = RequestId.parse(host.log.store.wasRequested(base) ? `${base}_${state.lastSeq}` : base);
    const tool = request.call ? agent.tool(request.call.tool) : undefined;
    const policy = request.kind === "approval" ? requestPolicy(tool, host.env) : { ok: true as const, value: {} };
    if (!policy.ok) {
      // A malformed setting is the operator's to fix: fail the thread with a clear message
      // rather than throw inside the step (which left the thread running forever).
      host.append({ type: "thread_failed", data: { code: "configuration_error", message: policy.message } }, { kind: "runtime" });
      return;
    }
    // Most specific wins: the thread's launch setting, then the tool's, then the agent's.
    const seconds = state.humanTimeoutSeconds ?? tool?.humanTimeoutSeconds ?? agent.humanTimeoutSeconds;
    const deadline = new Date(host.now() + seconds * 1000).toISOString();
    // The append re-arms the thread's one wake-up from the log (invariant 9); a crash
    // before that re-arm is healed by the next start, which re-arms from the log too.
    host.append({
      type: "human_requested",
      data: {
        requestId,
        kind: request.kind,
        reason: request.reason,
        message: request.message,
        ...(request.call ? { call: { callId: request.call.callId, tool: request.call.tool, args: request.call.args } } : {}),
        deadline,
        // An unanswered escalation after repeated errors always fails the thread (see reduce).
        // Most specific wins here too: the launch's policy, then the tool's, then the agent's.
        onTimeout: state.onHumanTimeout ?? tool?.onHumanTimeout ?? agent.onHumanTimeout,
        notify: this.channelNames(),
        ...policy.value,
      },
      key: `request:${requestId}`,
    });
    this.deliver();
  }

  /** Every open request whose deadline has passed (a wake): apply its timeout policy. */
  async expireDue(): Promise<void> {
    const { host } = this;
    for (const request of host.log.state?.pending ?? []) {
      // Re-read: an earlier expiry in this loop may have changed the state.
      const current = host.log.state?.pending.find((r) => r.requestId === request.requestId);
      if (current && host.now() >= Date.parse(current.deadline)) await this.expire(current);
    }
  }

  /** The deadline passed: escalate once if the policy says so, otherwise record the timeout. */
  async expire(request: PendingRequest): Promise<void> {
    const { host } = this;
    if (request.onTimeout === "escalate" && !request.escalated) {
      const extension = Date.parse(request.deadline) - Date.parse(request.requestedAt);
      const deadline = new Date(host.now() + extension).toISOString();
      host.append(
        {
          type: "human_escalated",
          data: { requestId: request.requestId, deadline, notify: this.channelNames() },
          key: `escalate:${request.requestId}`,
        },
        { kind: "timer" },
      );
      this.deliver();
      return;
    }
    host.append({ type: "human_timed_out", data: { requestId: request.requestId }, key: `timeout:${request.requestId}` }, { kind: "timer" });
    host.kick();
  }

  /**
   * Sends every due notification in the outbox. Each attempt's outcome is an event;
   * failures are retried with backoff (the event's retryAt, which the thread's one
   * wake-up reads from the log), then given up on with a final
   * notification_failed event. The request itself is never lost: the API shows it.
   */
  deliver(): void {
    if (this.#delivering) return;
    // Cleared in a `.finally` attached after assignment: an async body that never awaits
    // would otherwise run its own `finally` before the assignment and leave it set forever.
    this.#delivering = this.deliverDue()
      .catch((error) => console.error("outbox delivery failed", error))
      .finally(() => {
        this.#delivering = undefined;
      });
  }

  /**
   * Adds the signed approval-page link, valid until the request's deadline and issued to
   * one recipient (invariant 10): whoever answers through it is recorded as that recipient.
   */
  async withLink(request: PendingView, to: string): Promise<PendingView> {
    const { env, log } = this.host;
    const secret = env.HUMAN_LINK_SECRET;
    const state = log.state;
    if (!secret || !state) return request;
    const exp = Math.ceil(Date.parse(request.deadline) / 1000);
    const token = await signLink(secret, { threadId: state.id, requestId: request.requestId, exp, to });
    return { ...request, link: linkUrl(env.PUBLIC_URL || "http://localhost:8787", token) };
  }

  private async deliverDue(): Promise<void> {
    const { log, now } = this.host;
    for (;;) {
      const before = log.state?.lastSeq;
      const due = (log.state?.outbox ?? []).filter((item) => !item.retryAt || Date.parse(item.retryAt) <= now());
      if (due.length === 0) break;
      for (const item of due) await this.send(item);
      // Every attempt appends an outcome; if none did, stop rather than spin.
      if (log.state?.lastSeq === before) break;
    }
  }

  private async send(item: OutboxItem): Promise<void> {
    const { host } = this;
    const state = host.log.state;
    const request = state?.pending.find((r) => r.requestId === item.requestId);
    const attempt = item.attempts + 1;
    const base = { requestId: item.requestId, channel: item.channel, purpose: item.purpose, attempt };
    if (!state) return;
    // Email is a reply channel: it writes to whoever started the thread, including its outcome.
    if (item.channel === EMAIL_CHANNEL) {
      const emailHost = { env: host.env, log: host.log, now: host.now, sendEmail: host.sendEmail, withLink: (r: PendingView, to: string) => this.withLink(r, to) };
      return this.attempt(base, () => sendThreadEmail(emailHost, item, state));
    }
    if (item.channel === SLACK_CHANNEL) {
      const slackHost = {
        env: host.env,
        log: host.log,
        fetch: host.fetch,
        agent: host.agents?.get(state.agent),
        withLink: (r: PendingView, to: string) => this.withLink(r, to),
        remember: (message: PostedMessage, threadId: string) => rememberPost(host.env, message, threadId),
      };
      return this.attempt(base, () => sendSlack(slackHost, item, state), item.purpose === "closed" ? (item.messages ?? []) : undefined);
    }
    const channel = activeChannels(host.env, host.now).find((c) => c.name === item.channel);
    // A full thread's escalation concerns no request; every other item is for an open request.
    const full = item.requestId === FULL_NOTIFICATION ? state.full : undefined;
    const about: { full: ThreadFull } | { request: PendingRequest } | undefined = full ? { full } : request ? { request } : undefined;
    if (!about) return;
    if (!channel) {
      host.append({ type: "notification_failed", data: { ...base, message: `channel ${item.channel} is no longer configured` } });
      return;
    }
    const common = {
      purpose: item.purpose,
      thread: { id: state.id, agent: state.agent },
      ...(item.purpose === "escalation" && host.env.ESCALATION_CONTACT ? { escalationContact: host.env.ESCALATION_CONTACT } : {}),
    };
    const notification: Notification = "full" in about ? { ...common, full: about.full } : await this.requestNotification(common, about.request, channel.name);
    return this.attempt(base, async () => {
      await channel.send(notification, host.fetch);
      return {};
    });
  }

  /** A request's notification carries the request with its link, issued to the channel it goes out on. */
  private async requestNotification(common: Omit<Notification, "request" | "full">, request: PendingRequest, to: string): Promise<Notification> {
    const view = await this.withLink(pendingView(request), to);
    return { ...common, request: view, ...(view.link ? { link: view.link } : {}) };
  }

  /** One delivery attempt; its outcome is an event. `undefined` from `transmit` means nothing was left to send. */
  private async attempt(
    base: { requestId: OutboxItem["requestId"]; channel: string; purpose: OutboxItem["purpose"]; attempt: number },
    transmit: () => Promise<{ messageId?: string; posted?: PostedMessage } | undefined>,
    closes?: readonly PostedMessage[],
  ): Promise<void> {
    const { host } = this;
    try {
      const sent = await transmit();
      if (!sent) return;
      // An update of closed posts is keyed by the posts it covers: a post that lands after
      // the first update (it was in flight when the request closed) gets its own.
      const updated = closes ? `:${closes.map((m) => m.ts).join("+")}`.slice(0, 120) : "";
      host.append({
        type: "notification_sent",
        data: { ...base, ...(sent.messageId ? { messageId: sent.messageId } : {}), ...(sent.posted ? { posted: sent.posted } : {}) },
        key: `notified:${base.requestId}:${base.channel}:${base.purpose}${updated}`,
      });
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      // Slack names its errors: a wrong token or channel is given up at once; a 429 waits exactly its Retry-After.
      const slack = error instanceof SlackError ? error : undefined;
      const delay = slack?.options.retryAfterMs ?? retryDelayMs(base.attempt, notifyRetryBaseMs(host.env));
      const retry = base.attempt < MAX_NOTIFICATION_ATTEMPTS && !slack?.options.permanent;
      const retryAt = retry ? new Date(host.now() + delay).toISOString() : undefined;
      host.append({ type: "notification_failed", data: { ...base, message, ...(slack ? { code: slack.code } : {}), ...(retryAt ? { retryAt } : {}) } });
    }
  }

  /** The channels a new request or escalation must go out on (its outbox entries). */
  channelNames(): string[] {
    const { env, log, now } = this.host;
    const state = log.state;
    const slack = slackWanted(env, state, state ? this.host.agents?.get(state.agent) : undefined);
    const replyChannels = (state?.replyChannels ?? []).filter((c) => (c === EMAIL_CHANNEL && emailConfigured(env)) || (c === SLACK_CHANNEL && slack));
    const chat = slack && !replyChannels.includes(SLACK_CHANNEL) ? [SLACK_CHANNEL] : [];
    return [...activeChannels(env, now).map((c) => c.name), ...chat, ...replyChannels];
  }
}

