/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { JsonObject, PendingView, ThreadView } from "../../core";
import { short } from "../summary";
import { Ago } from "./timeline";
import { Deadline } from "./layout";
import { editInputs, quorumLine } from "../../channels/edit-form";

// One pending request as a card an operator decides from: the tool's arguments as a
// key/value table marked against the last call of the same tool in this thread, who may
// answer, the deadline counting down and what happens at it. The client script adds
// j/k/a/r (console.js); the form works without it.

export type InboxItem = {
  thread: Pick<ThreadView, "id" | "agent" | "status">;
  request: PendingView;
  /** The arguments of the last call of the same tool that ran in this thread, if any. */
  previous?: JsonObject;
};

const POLICY: Record<PendingView["onTimeout"], string> = {
  deny: "denied: the model is told nobody approved",
  escalate: "escalated once to the escalation contact, with a new deadline",
  fail: "the thread fails",
};

type Change = "same" | "changed" | "new";

/** How each argument compares with the previous call: same, changed (with the old value), new; and the ones dropped. */
export function compareArgs(args: JsonObject, previous: JsonObject | undefined): { rows: { key: string; value: string; change?: Change; was?: string }[]; dropped: string[] } {
  const rows = Object.entries(args).map(([key, v]) => {
    const value = short(v, 200);
    if (!previous) return { key, value };
    if (!(key in previous)) return { key, value, change: "new" as const };
    const was = short(previous[key], 200);
    return JSON.stringify(previous[key]) === JSON.stringify(v) ? { key, value, change: "same" as const } : { key, value, change: "changed" as const, was };
  });
  return { rows, dropped: previous ? Object.keys(previous).filter((k) => !(k in args)) : [] };
}

const ArgsTable: FC<{ id: string; args: JsonObject; previous?: JsonObject }> = ({ id, args, previous }) => {
  const { rows, dropped } = compareArgs(args, previous);
  return (
    <table class="kv" aria-describedby={`${id}-cmp`}>
      <caption id={`${id}-cmp`} class="muted">
        {previous ? "Compared with the last call of this tool in this thread" : "First call of this tool in this thread"}
      </caption>
      <tbody>
        {rows.map((row) => (
          <tr class={row.change ? `arg-${row.change}` : undefined}>
            <th scope="row">{row.key}</th>
            <td>
              <code>{row.value}</code>
            </td>
            <td class="muted">{row.change === "changed" ? `was ${row.was}` : row.change === "new" ? "new" : row.change === "same" ? "same" : ""}</td>
          </tr>
        ))}
        {dropped.map((key) => (
          <tr class="arg-changed">
            <th scope="row">{key}</th>
            <td class="muted">(absent)</td>
            <td class="muted">was {short(previous?.[key], 200)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

/** One pending request with its answer form; the client submits it in place (data-async). */
export const InboxEntry: FC<{ item: InboxItem; returnTo: string; now: number }> = ({ item, returnTo, now }) => {
  const { thread, request, previous } = item;
  const id = `r-${request.requestId}`;
  return (
    <li class="card request" data-request={request.requestId} aria-labelledby={`${id}-h`} tabindex={-1}>
      <h2 id={`${id}-h`}>
        {request.kind === "approval" ? (
          <>
            Approve <code>{request.tool?.name ?? "action"}</code>?
          </>
        ) : (
          `${thread.agent} asks`
        )}{" "}
        <span class="muted">
          in <a href={`/console/threads/${thread.id}`}>{thread.id}</a> ({thread.agent})
        </span>
      </h2>
      {request.kind === "input" || !request.tool ? <p>{request.message}</p> : null}
      {request.tool ? <ArgsTable id={id} args={request.tool.args} {...(previous ? { previous } : {})} /> : null}
      <dl class="facts">
        <dt>Who may answer</dt>
        <dd>
          {request.approvers?.length ? request.approvers.join(", ") : "any signed-in operator"}
          {request.selfApproval === false ? " (not the requester)" : ""}
        </dd>
        {request.approvals ? (
          <>
            <dt>Approvals</dt>
            <dd class="quorum">{quorumLine(request)}</dd>
          </>
        ) : null}
        {request.edited ? (
          <>
            <dt>Edited</dt>
            <dd>
              by {request.edited.by.id}; the agent asked for <code>{JSON.stringify(request.edited.originalArgs)}</code>
            </dd>
          </>
        ) : null}
        <dt>Deadline</dt>
        <dd>
          <span class="countdown" data-countdown={request.deadline}></span> <Deadline at={request.deadline} />
          {request.escalated ? " (escalated)" : ""}
        </dd>
        <dt>On timeout</dt>
        <dd>{POLICY[request.onTimeout]}</dd>
        <dt>Asked</dt>
        <dd>
          <Ago at={request.requestedAt} now={now} />
        </dd>
      </dl>
      <form method="post" action={`/console/threads/${thread.id}/respond`} data-async="respond">
        <input type="hidden" name="requestId" value={request.requestId} />
        <input type="hidden" name="returnTo" value={returnTo} />
        {request.kind === "input" ? (
          <>
            <label for={`${id}-answer`}>Answer</label>
            <textarea id={`${id}-answer`} name="answer" rows={2} required maxlength={32000}></textarea>
          </>
        ) : null}
        {request.kind === "approval"
          ? editInputs(request).map((e) => (
              <>
                <label for={`${id}-${e.name}`}>
                  Change {e.field}
                  {e.json ? " (JSON)" : ""}
                </label>
                <input id={`${id}-${e.name}`} name={e.name} value={e.value} maxlength={32000} />
              </>
            ))
          : null}
        <label for={`${id}-comment`}>Comment (optional)</label>
        <textarea id={`${id}-comment`} name="comment" rows={1} maxlength={32000}></textarea>
        <div class="actions">
          {request.kind === "approval" ? (
            <>
              <button type="submit" name="decision" value="approve" class="approve">
                Approve
              </button>
              {request.editable?.length ? (
                <button type="submit" name="decision" value="edit" class="approve">
                  Approve with changes
                </button>
              ) : null}
              <button type="submit" name="decision" value="reject" class="reject" data-confirm="Reject this request?">
                Reject
              </button>
            </>
          ) : (
            <button type="submit" name="decision" value="answer">
              Send answer
            </button>
          )}
        </div>
        <p class="form-status" role="alert"></p>
      </form>
    </li>
  );
};
