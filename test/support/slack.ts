/**
 * TEST/DEMO ONLY: a stand-in for Slack's Web API and for Slack itself as a sender.
 *
 * - `slackApi`: answers chat.postMessage, chat.update, chat.postEphemeral and views.open the way Slack
 *   does (HTTP 200 with `ok: false` and an error code for a missing or wrong bot token,
 *   a missing channel or text; `ok: true` with a `ts` otherwise), records every call, and
 *   answers 429 with Retry-After when told to. It also records posts to response_urls.
 *   The workers tests reach it through the harness's fetch (host `slack.test`); the e2e
 *   tests serve the same handler over real HTTP (test/e2e/support/slack-server.ts).
 * - `signedSlackRequest`: a body signed exactly as Slack signs interactivity, commands and
 *   events (v0, HMAC-SHA256 over `v0:{timestamp}:{body}` with the signing secret).
 *
 * No cloudflare:* imports: it runs in workerd and in Node alike.
 */

export const SLACK_TEST_TOKEN = "xoxb-test-bot-token"; // vitest.config.ts, e2e .dev.vars
export const SLACK_TEST_SECRET = "slack-test-secret"; // WEBHOOK_SECRET_SLACK
/** A channel Slack does not know: posting to it answers channel_not_found. */
export const MISSING_CHANNEL = "C0MISSING";

export type SlackCall = { readonly method: string; readonly body: Record<string, unknown>; readonly auth: string | null };
export type SlackPost = { channel: string; ts: string; text?: string; blocks?: unknown[]; thread_ts?: string; updates: number };

export class SlackStandIn {
  readonly calls: SlackCall[] = [];
  /** Messages by `channel:ts`, as they stand now (chat.update replaces text and blocks). */
  readonly messages = new Map<string, SlackPost>();
  readonly responses: { readonly path: string; readonly body: Record<string, unknown> }[] = [];
  /** Answer the next N Web API calls with 429 and this Retry-After (seconds). */
  rateLimitNext = 0;
  retryAfterSeconds = 1;
  /** While set, every Web API call waits for it before answering (to prove a route answered first). */
  hold: Promise<void> | undefined;
  /** The bot token this workspace accepts; change it to make ours look revoked (invalid_auth). */
  token = SLACK_TEST_TOKEN;
  #seq = 0;
  readonly #triggers = new Set<string>();

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/response/")) {
      this.responses.push({ path: url.pathname, body: (await request.json()) as Record<string, unknown> });
      return new Response("ok");
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const auth = request.headers.get("authorization");
    const body = await readBody(request);
    this.calls.push({ method, body, auth });
    if (this.hold) await this.hold;
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      return new Response(JSON.stringify({ ok: false, error: "ratelimited" }), { status: 429, headers: { "retry-after": String(this.retryAfterSeconds), "content-type": "application/json" } });
    }
    if (!auth) return answer({ ok: false, error: "not_authed" });
    if (auth !== `Bearer ${this.token}`) return answer({ ok: false, error: "invalid_auth" });
    switch (method) {
      case "chat.postMessage":
        return this.post(body);
      case "chat.update":
        return this.update(body);
      case "chat.postEphemeral":
        if (!this.knownChannel(body["channel"])) return answer({ ok: false, error: "channel_not_found" });
        if (typeof body["user"] !== "string") return answer({ ok: false, error: "user_not_found" });
        if (!body["text"] && !body["blocks"]) return answer({ ok: false, error: "no_text" });
        return answer({ ok: true, message_ts: this.nextTs() });
      case "views.open":
        // A trigger_id is good once, as Slack's: a second open with it answers expired_trigger_id.
        if (typeof body["trigger_id"] !== "string" || this.#triggers.has(body["trigger_id"])) return answer({ ok: false, error: "expired_trigger_id" });
        this.#triggers.add(body["trigger_id"]);
        return answer({ ok: true, view: { id: `V${this.nextTs().replace(".", "")}` } });
      default:
        return answer({ ok: false, error: "unknown_method" });
    }
  }

  /** Calls of one method, optionally only those about one agent thread (its id appears in the body). */
  of(method: string, threadId?: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method && (!threadId || JSON.stringify(c.body).includes(threadId)));
  }

  message(channel: string, ts: string): SlackPost | undefined {
    return this.messages.get(`${channel}:${ts}`);
  }

  private post(body: Record<string, unknown>): Response {
    const channel = body["channel"];
    if (!this.knownChannel(channel)) return answer({ ok: false, error: "channel_not_found" });
    if (!body["text"] && !(Array.isArray(body["blocks"]) && body["blocks"].length > 0)) return answer({ ok: false, error: "no_text" });
    const ts = this.nextTs();
    const threadTs = typeof body["thread_ts"] === "string" ? body["thread_ts"] : undefined;
    this.messages.set(`${channel}:${ts}`, {
      channel,
      ts,
      updates: 0,
      ...(typeof body["text"] === "string" ? { text: body["text"] } : {}),
      ...(Array.isArray(body["blocks"]) ? { blocks: body["blocks"] } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return answer({ ok: true, channel, ts, message: { text: body["text"], ts } });
  }

  private update(body: Record<string, unknown>): Response {
    const channel = body["channel"];
    if (!this.knownChannel(channel)) return answer({ ok: false, error: "channel_not_found" });
    if (typeof body["ts"] !== "string") return answer({ ok: false, error: "invalid_arguments" });
    const existing = this.messages.get(`${channel}:${body["ts"]}`);
    if (!existing) return answer({ ok: false, error: "message_not_found" });
    if (!body["text"] && !body["blocks"]) return answer({ ok: false, error: "no_text" });
    this.messages.set(`${channel}:${existing.ts}`, {
      ...existing,
      updates: existing.updates + 1,
      ...(typeof body["text"] === "string" ? { text: body["text"] } : {}),
      ...(Array.isArray(body["blocks"]) ? { blocks: body["blocks"] } : {}),
    });
    return answer({ ok: true, channel, ts: existing.ts });
  }

  private knownChannel(channel: unknown): channel is string {
    return typeof channel === "string" && /^[CGD][A-Z0-9]{2,}$/.test(channel) && channel !== MISSING_CHANNEL;
  }

  /** Slack's ts: epoch seconds, a dot, six digits, unique per channel. */
  private nextTs(): string {
    this.#seq++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.#seq).padStart(6, "0")}`;
  }
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if ((request.headers.get("content-type") ?? "").startsWith("application/json")) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function answer(body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
}

/** Which buttons a posted message shows now (action ids), for asserting they are gone after the end. */
export function buttonsOf(post: SlackPost | undefined): string[] {
  const actions = (post?.blocks ?? []).filter((b): b is { type: "actions"; elements: { action_id: string }[] } => (b as { type?: string }).type === "actions");
  return actions.flatMap((b) => b.elements.map((e) => e.action_id));
}

async function hexHmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Headers and body as Slack sends them: the v0 signature over `v0:{timestamp}:{body}`. */
export async function signedSlackRequest(
  body: string,
  options: { timestampSeconds: number; secret?: string; contentType?: string; retryNum?: number },
): Promise<{ headers: Record<string, string>; body: string }> {
  const ts = String(options.timestampSeconds);
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": ts,
    "x-slack-signature": `v0=${await hexHmac(options.secret ?? SLACK_TEST_SECRET, `v0:${ts}:${body}`)}`,
  };
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  return { headers, body };
}

/** The form body of a button click, as Slack posts it to the interactivity URL. */
export function clickBody(input: { team: string; user: string; channel: string; value: string; action: "approve" | "reject"; triggerId?: string; messageTs?: string }): string {
  const payload = {
    type: "block_actions",
    trigger_id: input.triggerId ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${crypto.randomUUID().replaceAll("-", "")}`,
    user: { id: input.user, username: input.user.toLowerCase(), team_id: input.team },
    team: { id: input.team, domain: "acme" },
    api_app_id: "A0TESTAPP",
    container: { type: "message", channel_id: input.channel, message_ts: input.messageTs ?? "" },
    channel: { id: input.channel, name: "approvals" },
    message: { ts: input.messageTs ?? "" },
    response_url: "http://slack.test/response/actions",
    actions: [{ action_id: input.action, block_id: "request", value: input.value, type: "button", action_ts: `${Date.now() / 1000}` }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The form body of a slash command, as Slack posts it to the command URL. */
export function commandBody(input: { command: string; text: string; team: string; user: string; channel: string; triggerId: string; responseUrl?: string }): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: input.team,
    team_domain: "acme",
    channel_id: input.channel,
    channel_name: "deploys",
    user_id: input.user,
    user_name: input.user.toLowerCase(),
    command: input.command,
    text: input.text,
    api_app_id: "A0TESTAPP",
    response_url: input.responseUrl ?? "http://slack.test/response/commands",
    trigger_id: input.triggerId,
  }).toString();
}

/** The button value of the request's Approve button in a posted message. */
export function approveValue(post: SlackPost | undefined): string {
  const actions = (post?.blocks ?? []).find((b) => (b as { type?: string }).type === "actions") as { elements: { action_id: string; value: string }[] } | undefined;
  const value = actions?.elements.find((e) => e.action_id === "approve")?.value;
  if (!value) throw new Error("the message has no Approve button");
  return value;
}

/** A modal's submission as Slack sends it: the user, the view's id, metadata and the values of its inputs by block. */
export function viewSubmissionBody(input: { team: string; user: string; viewId: string; metadata: string; values: Record<string, string> }): string {
  const payload = {
    type: "view_submission",
    team: { id: input.team, domain: "acme" },
    user: { id: input.user, username: input.user.toLowerCase(), team_id: input.team },
    api_app_id: "A0TESTAPP",
    trigger_id: `${Date.now()}.1.${crypto.randomUUID().replaceAll("-", "")}`,
    view: {
      id: input.viewId,
      type: "modal",
      callback_id: "edit_request",
      private_metadata: input.metadata,
      state: { values: Object.fromEntries(Object.entries(input.values).map(([block, value]) => [block, { value: { type: "plain_text_input", value } }])) },
    },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
