/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { Event } from "../../core";
import { Deadline } from "./layout";

// One readable item per log event: a model decision with its prompt version, model, tokens
// and latency; a tool call with its arguments and result; a human request with its deadline
// and the answer with who gave it; timers and errors. Unknown shapes fall back to their JSON.

export const Json: FC<{ value: unknown; label?: string }> = ({ value, label }) => (
  <>
    {label ? <div class="muted">{label}</div> : null}
    <pre>{JSON.stringify(value, null, 2)}</pre>
  </>
);

type Kind = "model" | "tool" | "human" | "error" | "end" | "control" | "other";

function kindOf(event: Event): Kind {
  switch (event.type) {
    case "model_decided":
    case "context_compacted":
      return "model";
    case "model_failed":
    case "tool_failed":
    case "thread_failed":
    case "notification_failed":
      return "error";
    case "tool_started":
    case "tool_succeeded":
    case "call_planned":
      return "tool";
    case "human_requested":
    case "human_responded":
    case "human_timed_out":
    case "human_escalated":
      return "human";
    case "thread_finished":
    case "thread_cancelled":
      return "end";
    case "thread_paused":
    case "thread_resumed":
      return "control";
    default:
      return "other";
  }
}

function who(by: unknown): string {
  if (typeof by === "string") return by;
  if (by && typeof by === "object" && "kind" in by && "id" in by) {
    const p = by as { kind: string; id: string; verifiedBy?: string };
    return `${p.kind}:${p.id}${p.verifiedBy ? ` (verified by ${p.verifiedBy})` : ""}`;
  }
  return "unknown";
}

const Body: FC<{ event: Event }> = ({ event }) => {
  switch (event.type) {
    case "model_decided": {
      const d = event.data;
      return (
        <>
          <p>
            model <code>{d.model}</code> · prompt <code>{d.promptVersion}</code> · {Math.round(d.latencyMs)} ms ·{" "}
            {d.usage ? `${d.usage.promptTokens} + ${d.usage.completionTokens} tokens` : "tokens not reported"}
          </p>
          <Json value={d} label="decision" />
        </>
      );
    }
    case "model_failed":
      return <Json value={event.data} label="model error" />;
    case "tool_started":
      return (
        <>
          <p>
            <code>{event.data.tool}</code> started
          </p>
          <Json value={event.data.args} label="arguments" />
        </>
      );
    case "tool_succeeded":
      return (
        <>
          <p>
            <code>{event.data.tool}</code> succeeded
          </p>
          <Json value={event.data.result} label="result" />
        </>
      );
    case "tool_failed":
      return <Json value={event.data} label="tool error" />;
    case "human_requested":
      return (
        <>
          <p>
            {event.data.kind} requested: {event.data.message}
          </p>
          <p>
            deadline <Deadline at={event.data.deadline} /> · on timeout: {event.data.onTimeout ?? "deny"}
          </p>
          {event.data.call ? <Json value={event.data.call} label="the call waiting for approval" /> : null}
        </>
      );
    case "human_responded":
      return (
        <>
          <p>
            answered by <strong>{who(event.data.by)}</strong>
            {event.data.approved === true ? " · approved" : event.data.approved === false ? " · rejected" : ""}
          </p>
          {event.data.comment ? <p>comment: {event.data.comment}</p> : null}
          {event.data.answer ? <p>answer: {event.data.answer}</p> : null}
        </>
      );
    case "human_timed_out":
      return <p>request {event.data.requestId} timed out</p>;
    case "thread_finished":
      return <p>{event.data.message}</p>;
    case "thread_failed":
      return (
        <p>
          <code>{event.data.code}</code>: {event.data.message}
        </p>
      );
    case "user_messaged":
      return <p>{event.data.text}</p>;
    case "context_compacted":
      return (
        <>
          <p>
            events #{event.data.fromSeq}–#{event.data.toSeq} summarised: {event.data.tokensBefore} → {event.data.tokensAfter} tokens · model <code>{event.data.model}</code> · prompt{" "}
            <code>{event.data.promptVersion}</code>
          </p>
          <pre>{event.data.summary}</pre>
        </>
      );
    default:
      return <Json value={event.data} />;
  }
};

export const TimelineItem: FC<{ event: Event; threadId: string; variants: readonly string[] }> = ({ event, threadId, variants }) => (
  <li class={`kind-${kindOf(event)}`} id={`e${event.seq}`} data-seq={event.seq}>
    <div class="event-head">
      <span class="muted">#{event.seq}</span>
      <span class="type">{event.type}</span>
      <time datetime={event.at} class="muted">
        {event.at}
      </time>
      {event.source ? <span class="muted">via {event.source.kind}</span> : null}
    </div>
    <Body event={event} />
    <details>
      <summary>Fork from here</summary>
      <form method="post" action={`/console/threads/${threadId}/fork`} class="actions">
        <input type="hidden" name="atSeq" value={String(event.seq)} />
        <div>
          <label for={`variant-${event.seq}`}>Variant</label>
          <select id={`variant-${event.seq}`} name="variant">
            <option value="">(same)</option>
            {variants.map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>
        </div>
        <div>
          <label for={`model-${event.seq}`}>Model</label>
          <input id={`model-${event.seq}`} name="model" placeholder="(same)" maxlength={200} />
        </div>
        <button type="submit">Fork at #{event.seq}</button>
      </form>
    </details>
  </li>
);
