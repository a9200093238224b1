import { z } from "zod";
import { APPROVE_ACTION, EDIT_ACTION, escapeText as escape, REJECT_ACTION, who } from "../../channels/slack/blocks";
import { openEditModal } from "./edit-modal";
import { slackPrincipal } from "./principal";
import { parseButtonValue } from "./values";
import { RequestId, ThreadId, type EventSource } from "../../core";
import { threadStub } from "../../runtime/thread-stub";
import { logLine } from "../../log";
import { ApiError } from "../http/errors";
import { tellUser } from "./ephemeral";

// A click on Approve or Reject (a `block_actions` payload). The route has verified Slack's
// signature; the button's value names the thread and request (we wrote it, Slack signed it
// back); the answer's principal is the Slack user who clicked. The thread decides the rest
// exactly as for any other answer: approvers, deadline, already answered.

const Id = z.string().regex(/^[A-Z0-9]{1,40}$/);

const Action = z.object({ action_id: z.string().max(255), value: z.string().max(2_000).optional(), action_ts: z.string().max(40).optional() });

export const BlockActions = z.object({
  type: z.literal("block_actions"),
  trigger_id: z.string().min(1).max(255),
  user: z.object({ id: Id, team_id: Id.optional() }),
  team: z.object({ id: Id }).nullish(),
  channel: z.object({ id: Id }).optional(),
  actions: z.array(Action).min(1).max(25),
});
export type BlockActions = z.infer<typeof BlockActions>;


/** The `payload` field's JSON and its type; a malformed one is a 400. The route acts on block_actions and view_submission and acknowledges the rest. */
export function payloadOf(form: URLSearchParams): { readonly type: string; readonly json: unknown } {
  const raw = form.get("payload");
  if (raw === null) throw new ApiError(400, "malformed_payload", "An interaction needs a payload field holding Slack's JSON.");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "malformed_payload", "The payload field is not valid JSON.");
  }
  const type = z.object({ type: z.string() }).safeParse(json);
  if (!type.success) throw new ApiError(400, "malformed_payload", "The payload has no type.");
  return { type: type.data.type, json };
}


/** The work after the acknowledgement: answer the request, or tell the clicker why not. */
export async function handleClick(env: Env, fetcher: typeof fetch, click: BlockActions): Promise<void> {
  const action = click.actions.find((a) => a.action_id === APPROVE_ACTION || a.action_id === REJECT_ACTION || a.action_id === EDIT_ACTION);
  const team = click.user.team_id ?? click.team?.id;
  if (!action?.value || !team) return; // a link button, or not ours
  const value = parseButtonValue(action.value);
  if (!value) return;
  // Edit opens a modal; its submission is the answer (edit-modal.ts).
  if (action.action_id === EDIT_ACTION) return openEditModal(env, fetcher, click, value);
  const by = slackPrincipal(team, click.user.id);
  const source: EventSource = { kind: "webhook", detail: { source: "slack", interaction: "block_actions", user: click.user.id, team, ...(click.channel ? { channel: click.channel.id } : {}) } };
  const approved = action.action_id === APPROVE_ACTION;
  // Slack's trigger_id is unique per click and identical in a replay of it: the idempotency key.
  const result = await threadStub(env, value.t).respond({ requestId: value.r, approved, by }, `slack:${click.trigger_id}`, source);
  logLine("slack_click", { threadId: value.t, requestId: value.r, user: by.id, approved, outcome: result.ok ? (result.value.duplicate ? "duplicate" : "answered") : result.rejection.code });
  if (result.ok || !click.channel) return;
  const to = { channel: click.channel.id, user: click.user.id };
  const { code, message } = result.rejection;
  if (code === "not_an_approver") {
    await tellUser(env, fetcher, to, `You are not one of the approvers of this request, so your click was recorded and not acted on. ${escape(message)}`);
    return;
  }
  if (code === "already_answered" || code === "request_expired" || code === "request_withdrawn" || code === "thread_closed") {
    await tellUser(env, fetcher, to, await alreadyDecided(env, value.t, value.r));
    return;
  }
  await tellUser(env, fetcher, to, `Your click changed nothing: ${escape(message)}`);
}

/** "Already decided by ..." from the thread's own record of who answered. */
async function alreadyDecided(env: Env, threadId: ThreadId, requestId: RequestId): Promise<string> {
  const view = await threadStub(env, threadId).thread();
  const answer = view?.answers?.find((a) => a.requestId === requestId);
  if (answer) {
    const verdict = answer.approved === true ? "approved" : answer.approved === false ? "rejected" : "answered";
    return `This request was already decided: ${verdict} by ${who(answer.by)} at ${answer.at}. Your click changed nothing.`;
  }
  const how = await threadStub(env, threadId).requestHistory(requestId);
  if (how === "timed_out") return "This request already timed out. Your click changed nothing.";
  return `This request is no longer open${view ? ` (thread ${view.status})` : ""}. Your click changed nothing.`;
}
