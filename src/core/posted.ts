import { FULL_NOTIFICATION, type EventOf } from "./events";
import type { RequestId } from "./ids";
import type { OutboxItem, PostedRecord, ThreadState } from "./state";

// Chat messages that stand for an open request (Slack's, with Approve/Reject buttons) must
// show its end: who decided and when, buttons gone. The log records each post
// (notification_sent.posted); when the request closes, its posts become one "closed" outbox
// item per channel, retried and armed like any other notification.

/** Records a post: under its request while that is open, else (it closed while the post was in flight) due for its update at once. */
export function withPost(s: ThreadState, sent: EventOf<"notification_sent">["data"]): ThreadState {
  const posted = sent.posted;
  if (!posted) return s;
  const chatThread = s.chatThread ?? posted;
  // Only a request's posts have an end to show; a result or a full thread's escalation has none.
  if ((sent.purpose !== "request" && sent.purpose !== "escalation") || sent.requestId === FULL_NOTIFICATION) return { ...s, chatThread };
  const record: PostedRecord = { requestId: sent.requestId, channel: sent.channel, message: posted };
  const open = s.pending.some((r) => r.requestId === sent.requestId) && !s.end;
  if (open) return { ...s, chatThread, posted: [...(s.posted ?? []), record] };
  return { ...s, chatThread, outbox: addClosed(s.outbox, [record]) };
}

/** The requests ended: their posts leave `posted` and become "closed" items in the outbox. */
export function closePosts(s: ThreadState, requestIds: readonly RequestId[]): ThreadState {
  if (!s.posted || requestIds.length === 0) return s;
  const closing = s.posted.filter((p) => requestIds.includes(p.requestId));
  if (closing.length === 0) return s;
  const { posted: _all, ...rest } = s;
  const left = s.posted.filter((p) => !requestIds.includes(p.requestId));
  return { ...rest, ...(left.length > 0 ? { posted: left } : {}), outbox: addClosed(s.outbox, closing) };
}

function addClosed(outbox: readonly OutboxItem[], records: readonly PostedRecord[]): OutboxItem[] {
  const out = [...outbox];
  for (const record of records) {
    const at = out.findIndex((i) => i.purpose === "closed" && i.requestId === record.requestId && i.channel === record.channel);
    const existing = at >= 0 ? out[at] : undefined;
    if (existing) out[at] = { ...existing, messages: [...(existing.messages ?? []), record.message] };
    else out.push({ requestId: record.requestId, channel: record.channel, purpose: "closed", attempts: 0, messages: [record.message] });
  }
  return out;
}
