import { z } from "zod";
import type { SlackConfig } from "./config";

// The few Slack Web API methods we call (chat.postMessage, chat.update, chat.postEphemeral):
// JSON bodies with the bot token as a bearer token. Slack answers HTTP 200 with `ok: false`
// and an `error` code for most failures, and 429 with Retry-After when rate limited.

/** A failed call, named by what to do next: wait `retryAfterMs`, retry with backoff, or give up (`permanent`). */
export class SlackError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { readonly retryAfterMs?: number; readonly permanent?: boolean } = {},
  ) {
    super(message);
    this.name = "SlackError";
  }
}

/** Errors that no retry can fix: a wrong token, a wrong channel, a malformed message. */
const PERMANENT = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
  "missing_scope",
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "no_text",
  "invalid_blocks",
  "invalid_arguments",
  "message_not_found",
  "cant_update_message",
  "msg_too_long",
]);

const Answer = z.object({ ok: z.boolean(), error: z.string().max(100).optional(), ts: z.string().max(40).optional(), channel: z.string().max(100).optional() });
export type SlackAnswer = z.infer<typeof Answer>;

/** Slack's Retry-After is whole seconds; bounded to an hour so a wild value cannot park the outbox. */
function retryAfterMs(header: string | null): number | undefined {
  const value = header?.trim();
  return value && /^\d{1,6}$/.test(value) ? Math.min(Number(value), 3_600) * 1000 : undefined;
}

export async function callSlack(config: SlackConfig, method: string, body: Record<string, unknown>, fetcher: typeof fetch): Promise<SlackAnswer> {
  let response: Response;
  try {
    response = await fetcher(`${config.apiUrl}/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new SlackError("unreachable", `Slack ${method}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status === 429) {
    const wait = retryAfterMs(response.headers.get("retry-after"));
    throw new SlackError("ratelimited", `Slack ${method}: 429 rate limited${wait !== undefined ? `, retry after ${wait} ms` : ""}`, wait !== undefined ? { retryAfterMs: wait } : {});
  }
  if (!response.ok) throw new SlackError(`http_${response.status}`, `Slack ${method}: HTTP ${response.status}`);
  const parsed = Answer.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new SlackError("malformed_answer", `Slack ${method}: the answer is not Slack's JSON`);
  const answer = parsed.data;
  if (!answer.ok) {
    const code = answer.error ?? "unknown_error";
    throw new SlackError(code, `Slack ${method}: ${code}`, { permanent: PERMANENT.has(code) });
  }
  return answer;
}
