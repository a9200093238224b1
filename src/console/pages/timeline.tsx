/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { Event } from "../../core";
import { eventKind, summarize, type SummaryContext } from "../summary";

// One line per log event: seq, relative time (absolute on hover), a coloured type label by
// kind, and the one-line summary (summary.ts). The JSON and "fork from here" sit behind one
// closed <details>, so a finished thread reads at a glance and nothing is lost.

/** "3 s ago", "4 min ago", "2 h ago", "5 d ago": coarse, as a glance needs. The client script keeps it fresh. */
export function ago(at: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A past moment as relative text, the ISO time on hover and in datetime. */
export const Ago: FC<{ at: string; now: number }> = ({ at, now }) => (
  <time datetime={at} title={at} data-ago={at}>
    {ago(at, now)}
  </time>
);

export const TimelineItem: FC<{ event: Event; threadId: string; variants: readonly string[]; now: number; context: SummaryContext }> = ({
  event,
  threadId,
  variants,
  now,
  context,
}) => {
  const kind = eventKind(event);
  const line = summarize(event, context);
  return (
    <li class={`ev kind-${kind}`} id={`e${event.seq}`} data-seq={event.seq}>
      <span class="seq">#{event.seq}</span>
      <Ago at={event.at} now={now} />
      <span class={`type label-${kind}`}>{event.type}</span>
      <span class="summary" title={line}>
        {line}
      </span>
      <details>
        <summary>
          <span class="visually-hidden">Event #{event.seq}: </span>JSON, fork
        </summary>
        <pre>{JSON.stringify(event, null, 2)}</pre>
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
};
