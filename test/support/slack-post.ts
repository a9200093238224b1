/** TEST ONLY: signed POSTs to the Slack routes through the Worker's fetch handler, in workerd. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "./worker";
import { clock } from "./harness";
import { signedSlackRequest } from "./slack";

/** A signed POST to a Slack route; `finished` waits for the work done after the answer. */
export async function slackPost(path: string, body: string, options: { timestampSeconds?: number; secret?: string; retryNum?: number; signature?: string } = {}) {
  const signed = await signedSlackRequest(body, { timestampSeconds: options.timestampSeconds ?? Math.floor(clock.now() / 1000), ...options });
  if (options.signature) signed.headers["x-slack-signature"] = options.signature;
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://agents.test${path}`, { method: "POST", headers: signed.headers, body }), env, ctx);
  return { response, finished: () => waitOnExecutionContext(ctx) };
}
