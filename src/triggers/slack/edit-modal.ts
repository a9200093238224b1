import { z } from "zod";
import { editInputs, patchFromForm, EDIT_PREFIX } from "../../channels/edit-form";
import { callSlack } from "../../channels/slack/api";
import { slackConfig } from "../../channels/slack/config";
import { type EventSource, type JsonObject, type PendingView } from "../../core";
import { logLine } from "../../log";
import { threadStub } from "../../runtime/thread-stub";
import { slackPrincipal } from "./principal";
import { parseButtonValue, type ButtonValue } from "./values";

// Edit-and-approve from Slack (invariant 13): the Edit button opens a modal (views.open) with
// one input per editable field; its submission (view_submission) is the clicker's decision
// "edit", checked by the thread like any other. A refused edit is shown in the modal itself
// (response_action "errors"), so the approver can fix it; nothing is appended for it.

export const EDIT_CALLBACK = "edit_request";
const Id = z.string().regex(/^[A-Z0-9]{1,40}$/);
const FIELD_BLOCK = "field:";
const COMMENT_BLOCK = "comment";

export const ViewSubmission = z.object({
  type: z.literal("view_submission"),
  user: z.object({ id: Id, team_id: Id.optional() }),
  team: z.object({ id: Id }).nullish(),
  view: z.object({
    id: z.string().min(1).max(100),
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3_000),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().max(3_000).nullish() }))) }),
  }),
});
export type ViewSubmission = z.infer<typeof ViewSubmission>;

/** The modal for one request: its held call, an input per editable field, an optional comment. */
export function editModal(threadId: string, request: PendingView): JsonObject {
  const inputs = editInputs(request).map((e) => ({
    type: "input",
    block_id: `${FIELD_BLOCK}${e.field}`.slice(0, 255),
    label: { type: "plain_text", text: `${e.field}${e.json ? " (JSON)" : ""}`.slice(0, 2_000) },
    element: { type: "plain_text_input", action_id: "value", initial_value: e.value.slice(0, 3_000) },
  }));
  return {
    type: "modal",
    callback_id: EDIT_CALLBACK,
    private_metadata: JSON.stringify({ t: threadId, r: request.requestId }),
    title: { type: "plain_text", text: "Edit and approve" },
    submit: { type: "plain_text", text: "Approve" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `\`${request.tool?.name ?? "call"}\` runs with your values once approved.`.slice(0, 3_000) } },
      ...inputs,
      { type: "input", optional: true, block_id: COMMENT_BLOCK, label: { type: "plain_text", text: "Comment for the agent" }, element: { type: "plain_text_input", action_id: "value", multiline: true } },
    ],
  };
}

/** The Edit button: open the modal on the request as it stands now (its trigger_id lives 3 s). */
export async function openEditModal(env: Env, fetcher: typeof fetch, click: { readonly trigger_id: string }, value: ButtonValue): Promise<void> {
  const config = slackConfig(env);
  if (!config) return;
  const request = (await threadStub(env, value.t).thread())?.pendingRequests.find((r) => r.requestId === value.r);
  if (!request?.editable?.length) return; // answered meanwhile, or nothing to edit: the message update says so
  await callSlack(config, "views.open", { trigger_id: click.trigger_id, view: editModal(value.t, request) }, fetcher);
}

/** A submitted modal: Slack's answer within 3 s, empty to close it, or errors shown on its fields. */
export async function submitEdit(env: Env, submission: ViewSubmission): Promise<JsonObject | undefined> {
  if (submission.view.callback_id !== EDIT_CALLBACK) return undefined;
  const meta = parseButtonValue(submission.view.private_metadata);
  const team = submission.user.team_id ?? submission.team?.id;
  if (!meta || !team) return undefined;
  const stub = threadStub(env, meta.t);
  const request = (await stub.thread())?.pendingRequests.find((r) => r.requestId === meta.r);
  const values = submission.view.state.values;
  const form: Record<string, string> = {};
  for (const [block, actions] of Object.entries(values)) {
    const text = actions["value"]?.value;
    if (block.startsWith(FIELD_BLOCK) && typeof text === "string") form[`${EDIT_PREFIX}${block.slice(FIELD_BLOCK.length)}`] = text;
  }
  const comment = values[COMMENT_BLOCK]?.["value"]?.value?.trim();
  const by = slackPrincipal(team, submission.user.id);
  const source: EventSource = { kind: "webhook", detail: { source: "slack", interaction: "view_submission", user: submission.user.id, team } };
  const result = await stub.respond(
    { requestId: meta.r, decision: "edit", args: request ? patchFromForm(request, form) : {}, ...(comment ? { comment } : {}), by },
    `slack-view:${submission.view.id}`,
    source,
  );
  logLine("slack_edit", { threadId: meta.t, requestId: meta.r, user: by.id, outcome: result.ok ? "answered" : result.rejection.code });
  if (result.ok) return undefined;
  // Shown under the first field (Slack shows errors on input blocks only).
  const first = Object.keys(values).find((b) => b.startsWith(FIELD_BLOCK)) ?? COMMENT_BLOCK;
  return { response_action: "errors", errors: { [first]: result.rejection.message.slice(0, 1_000) } };
}
