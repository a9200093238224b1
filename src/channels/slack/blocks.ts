import type { JsonObject, PendingView, Principal, ThreadFull } from "../../core";
import { quorumLine } from "../edit-form";
import { fullSentence } from "../notification";

// Block Kit messages for human requests. Everything the model wrote (the message, the
// arguments) is escaped, so it cannot mention @channel or forge a link; a fallback `text`
// goes with every message for notifications and clients without blocks.

/** Slack's limit for a section's text is 3,000 characters. */
const MAX_SECTION = 2_900;

export type SlackMessage = { readonly text: string; readonly blocks: readonly JsonObject[] };

/** What a button carries back to /v1/slack/interactions (inside Slack's signed payload). */
export type ButtonValue = { readonly t: string; readonly r: string };
export const APPROVE_ACTION = "approve";
export const REJECT_ACTION = "reject";
/** Opens a modal to change the request's editable fields and approve (edit-modal.ts). */
export const EDIT_ACTION = "edit";

/** How a request ended, for the update of its message. */
export type RequestEnd =
  | { readonly how: "approved" | "rejected" | "answered"; readonly by: Principal; readonly at: string }
  | { readonly how: "timed_out"; readonly at: string }
  | { readonly how: "answered_by_message" }
  | { readonly how: "withdrawn"; readonly at: string; readonly why: string };

export function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const clip = (text: string) => (text.length > MAX_SECTION ? `${text.slice(0, MAX_SECTION)}\n[...truncated]` : text);
const section = (text: string): JsonObject => ({ type: "section", text: { type: "mrkdwn", text: clip(text) } });
const context = (text: string): JsonObject => ({ type: "context", elements: [{ type: "mrkdwn", text: clip(text) }] });

/** A time every Slack client shows in its reader's zone, with the UTC instant as the fallback. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(seconds) ? `<!date^${seconds}^{date_short_pretty} {time}|${iso}>` : escapeText(iso);
}

/** Who, as a Slack reader knows them: a Slack user is mentioned, anyone else named by kind and id. */
export function who(by: Principal): string {
  if (by.kind === "slack") return `<@${by.id.slice(by.id.indexOf(":") + 1)}>`;
  return `${by.kind} ${escapeText(by.id)}`;
}

export type RequestMessageInput = {
  readonly agent: string;
  readonly threadId: string;
  readonly request: PendingView;
  readonly escalation?: { readonly contact?: string };
};

function title({ agent, request }: RequestMessageInput): string {
  return request.kind === "approval" ? `Approval needed${request.tool ? `: ${request.tool.name}` : ""}` : `${agent} has a question`;
}

/** The body every state of the message shares: what the agent wants, the exact call, the thread. */
function body(input: RequestMessageInput): JsonObject[] {
  const { agent, threadId, request } = input;
  const blocks: JsonObject[] = [{ type: "header", text: { type: "plain_text", text: title(input).slice(0, 150) } }, section(escapeText(request.message))];
  if (request.tool) blocks.push(section(`*Tool* \`${escapeText(request.tool.name)}\` with these arguments:\n\`\`\`${escapeText(args(request.tool.args))}\`\`\``));
  blocks.push(context(`Agent *${escapeText(agent)}* · thread \`${escapeText(threadId)}\` · request \`${escapeText(request.requestId)}\``));
  return blocks;
}

const args = (value: JsonObject) => JSON.stringify(value, null, 2);

/** A request as posted: its body, its deadline and how to answer (buttons for an approval). */
export function requestMessage(input: RequestMessageInput): SlackMessage {
  const { threadId, request, escalation } = input;
  const blocks = body(input);
  const prefix = escalation ? `ESCALATION${escalation.contact ? ` for ${escapeText(escalation.contact)}` : ""}: nobody answered in time. ` : "";
  blocks.push(context(`${prefix}Answer by ${slackDate(request.deadline)}${request.approvers?.length ? ` · approvers: ${escapeText(request.approvers.join(", "))}` : ""}`));
  const quorum = quorumLine(request);
  if (quorum || request.selfApproval === false) blocks.push(context(escapeText([quorum, request.selfApproval === false ? "The requester may not approve." : ""].filter(Boolean).join(" "))));
  if (request.kind === "approval") {
    const value = JSON.stringify({ t: threadId, r: request.requestId } satisfies ButtonValue);
    blocks.push({
      type: "actions",
      block_id: `request:${request.requestId}`.slice(0, 255),
      elements: [
        { type: "button", action_id: APPROVE_ACTION, style: "primary", text: { type: "plain_text", text: "Approve" }, value },
        ...(request.editable?.length ? [{ type: "button", action_id: EDIT_ACTION, text: { type: "plain_text", text: "Edit…" }, value }] : []),
        { type: "button", action_id: REJECT_ACTION, style: "danger", text: { type: "plain_text", text: "Reject" }, value },
        ...(request.link ? [{ type: "button", action_id: "open_page", text: { type: "plain_text", text: "Open page" }, url: request.link }] : []),
      ],
    });
  } else {
    blocks.push(context("Reply in this message's thread to answer."));
  }
  const what = request.kind === "approval" && request.tool ? `Approval needed: ${request.tool.name} ${JSON.stringify(request.tool.args)}` : `${title(input)}: ${request.message}`;
  const text = `${prefix}${what} (thread ${threadId}, answer by ${request.deadline})`;
  return { text: text.slice(0, 3_000), blocks };
}

/** The same message once the request ended: who decided and when; no buttons. */
export function endedMessage(input: RequestMessageInput, end: RequestEnd): SlackMessage {
  const line = endLine(end);
  return { text: `${title(input)}: ${line.replace(/\*/g, "")}`.slice(0, 3_000), blocks: [...body(input), section(line)] };
}

export function endLine(end: RequestEnd): string {
  switch (end.how) {
    case "approved":
      return `:white_check_mark: *Approved* by ${who(end.by)} at ${slackDate(end.at)}`;
    case "rejected":
      return `:no_entry: *Rejected* by ${who(end.by)} at ${slackDate(end.at)}`;
    case "answered":
      return `:speech_balloon: *Answered* by ${who(end.by)} at ${slackDate(end.at)}`;
    case "answered_by_message":
      return ":speech_balloon: *Answered* by a message to the thread";
    case "timed_out":
      return `:hourglass: *Timed out* at ${slackDate(end.at)}: nobody answered before the deadline`;
    case "withdrawn":
      return `:heavy_minus_sign: *Withdrawn* at ${slackDate(end.at)}: ${escapeText(end.why)}`;
  }
}

/** The thread's outcome, posted in its Slack thread (threads started by a slash command). */
export function resultMessage(threadId: string, agent: string, end: { status: "done" | "failed"; message: string }): SlackMessage {
  const head = end.status === "done" ? `:white_check_mark: *${escapeText(agent)}* finished` : `:x: *${escapeText(agent)}* failed`;
  const blocks = [section(`${head} (thread \`${escapeText(threadId)}\`)\n${escapeText(end.message)}`)];
  return { text: `${agent} ${end.status === "done" ? "finished" : "failed"}: ${end.message}`.slice(0, 3_000), blocks };
}

export function fullMessage(threadId: string, agent: string, full: ThreadFull, contact?: string): SlackMessage {
  const text = `ESCALATION${contact ? ` for ${contact}` : ""}: ${fullSentence(threadId, full)} (agent ${agent})`;
  return { text, blocks: [section(escapeText(text))] };
}
