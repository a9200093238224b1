/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import type { Event, JsonObject, ThreadView } from "../../core";
import type { UsageTotals } from "../../runtime/index/thread-index-stats";
import type { TraceLink } from "../../traces/link";
import { Layout, StackTable, StatusBadge } from "./layout";
import { summaryContext, type SummaryContext } from "../summary";
import { InboxEntry, type InboxItem } from "./approval";
import { Ago, TimelineItem } from "./timeline";

// The console's pages: functions of their data, rendered on the server.

export const SignInPage: FC<{ error?: string; next: string; names: readonly string[] }> = ({ error, next, names }) => (
  <Layout title="Sign in" nav="none">
    <h1>Sign in to the console</h1>
    {error ? (
      <p class="error-box" role="alert">
        {error}
      </p>
    ) : null}
    <form method="post" action="/console/sign-in" class="card">
      <input type="hidden" name="next" value={next} />
      <label for="name">Credential name</label>
      <input id="name" name="name" required autocomplete="username" value={names.length === 1 ? names[0] : ""} maxlength={40} />
      <p class="muted">The name of an API credential (API_TOKENS); with only API_TOKEN configured it is "default".</p>
      <label for="token">Token</label>
      <input id="token" name="token" type="password" required autocomplete="current-password" maxlength={500} />
      <p>
        <button type="submit">Sign in</button>
      </p>
    </form>
  </Layout>
);

/** Behind Cloudflare Access there is no form: Access signs the user in before the request gets here. */
export const AccessSignInPage: FC = () => (
  <Layout title="Sign in" nav="none">
    <h1>Sign in through Cloudflare Access</h1>
    <p>This console takes its identity from Cloudflare Access, and this request carried no valid Access assertion.</p>
    <p>
      Open the console through its Access-protected address; Access signs you in there. <a href="/console/inbox">Try again</a>.
    </p>
  </Layout>
);

export const WelcomePage: FC<{ agents: readonly string[] }> = ({ agents }) => (
  <Layout title="edge-agents" nav="none">
    <h1>edge-agents</h1>
    <p>A 12-Factor Agents runtime. Agents: {agents.join(", ") || "none"}.</p>
    <ul>
      <li>
        <a href="/console">Operator console</a>: threads, live timelines, the approvals inbox.
      </li>
      <li>
        <a href="/docs">API reference</a> (<a href="/openapi.json">openapi.json</a>).
      </li>
    </ul>
  </Layout>
);

export const InboxList: FC<{ items: readonly InboxItem[]; now: number }> = ({ items, now }) => (
  <ol id="inbox" class="timeline requests" data-live="/console/inbox/items" aria-label="Pending requests, oldest first">
    {items.map((item) => (
      <InboxEntry item={item} returnTo="/console/inbox" now={now} />
    ))}
  </ol>
);

export const InboxPage: FC<{ who: string; items: readonly InboxItem[]; now: number }> = ({ who, items, now }) => (
  <Layout title="Inbox" nav="inbox" who={who}>
    <h1>Approvals inbox</h1>
    <p class="muted keys">
      Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous request, <kbd>a</kbd> approve, <kbd>r</kbd> reject (asks first).
    </p>
    <p class="muted" id="inbox-empty" hidden={items.length > 0}>
      Nothing is waiting for a human. New requests appear here without a reload.
    </p>
    <InboxList items={items} now={now} />
  </Layout>
);

/** "42 s", "3 min 5 s", "2 h 4 min", "3 d 2 h". */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const ENDED = new Set(["done", "failed", "cancelled"]);

/** The part of the thread page that changes with its status: facts, the open requests, every action in one place. */
export const ThreadHeader: FC<{ thread: ThreadView; now: number; variants: readonly string[]; trace: TraceLink; previous?: Readonly<Record<string, JsonObject>> }> = ({
  thread,
  now,
  variants,
  trace,
  previous,
}) => {
  const ended = ENDED.has(thread.status);
  const control = (verb: "pause" | "resume" | "cancel", label: string, cls = "") => (
    <form method="post" action={`/console/threads/${thread.id}/${verb}`} class="inline">
      <button type="submit" class={cls}>
        {label}
      </button>
    </form>
  );
  const took = elapsed((ended ? Date.parse(thread.updatedAt) : now) - Date.parse(thread.createdAt));
  return (
    <section id="thread-header" data-status={thread.status} aria-label="Thread summary" class="card">
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={thread.status} />
        </dd>
        <dt>Agent</dt>
        <dd>
          <a href={`/console/agents/${thread.agent}`}>{thread.agent}</a>
          {thread.variant ? ` · variant ${thread.variant}` : ""}
          {thread.model ? ` · model ${thread.model}` : ""}
        </dd>
        <dt>Started</dt>
        <dd>
          <Ago at={thread.createdAt} now={now} />
          {ended ? (
            <>
              {" "}
              · ended <Ago at={thread.updatedAt} now={now} /> after {took}
            </>
          ) : (
            ` · running for ${took}`
          )}
        </dd>
        <dt>Tokens</dt>
        <dd id="thread-tokens">
          {thread.usage ? `${thread.usage.totalTokens} (${thread.usage.promptTokens} prompt + ${thread.usage.completionTokens} completion)` : "none reported"}
        </dd>
        {thread.forkedFrom ? (
          <>
            <dt>Forked from</dt>
            <dd>
              <a href={`/console/threads/${thread.forkedFrom.threadId}`}>{thread.forkedFrom.threadId}</a> at #{thread.forkedFrom.atSeq}
            </dd>
          </>
        ) : null}
        {thread.parent ? (
          <>
            <dt>Parent</dt>
            <dd>
              <a href={`/console/threads/${thread.parent.threadId}`}>{thread.parent.threadId}</a>
            </dd>
          </>
        ) : null}
        <dt>Trace</dt>
        <dd id="thread-trace">
          {trace.url ? (
            <a href={trace.url} rel="noopener noreferrer" target="_blank">
              <code>{trace.id}</code>
            </a>
          ) : (
            <code>{trace.id}</code>
          )}
        </dd>
      </dl>
      {thread.result ? <p>Result: {thread.result.message}</p> : null}
      {thread.error ? (
        <p class="error-box">
          <code>{thread.error.code}</code>: {thread.error.message}
        </p>
      ) : null}
      <div class="actions" aria-label="Thread actions">
        {ended ? null : thread.status === "paused" ? control("resume", "Resume") : control("pause", "Pause", "secondary")}
        {ended ? null : control("cancel", "Cancel", "reject")}
        <form method="post" action={`/console/threads/${thread.id}/fork`} class="inline fork">
          <input type="hidden" name="atSeq" value={String(Math.max(1, thread.lastSeq))} />
          <label for="fork-variant" class="visually-hidden">
            Variant of the fork
          </label>
          <select id="fork-variant" name="variant">
            <option value="">same variant</option>
            {variants.map((v) => (
              <option value={v}>{v}</option>
            ))}
          </select>{" "}
          <button type="submit" class="secondary">
            Fork at #{thread.lastSeq}
          </button>
        </form>
      </div>
      {thread.pendingRequests.length ? (
        <ol class="timeline requests" aria-label="Open requests">
          {thread.pendingRequests.map((request) => {
            const before = request.tool ? previous?.[request.tool.name] : undefined;
            return <InboxEntry item={{ thread, request, ...(before ? { previous: before } : {}) }} returnTo={`/console/threads/${thread.id}`} now={now} />;
          })}
        </ol>
      ) : null}
    </section>
  );
};

export const ThreadPage: FC<{
  who: string;
  thread: ThreadView;
  events: readonly Event[];
  variants: readonly string[];
  eventTypes: readonly string[];
  now: number;
  /** The page shows events up to this seq (older pages do not follow the stream). */
  upTo: number;
  /** The thread's trace (OTEL export, docs/observability.md): its id, and a link when OTEL_TRACE_URL is set. */
  trace: TraceLink;
  previous?: Readonly<Record<string, JsonObject>>;
}> = ({ who, thread, events, variants, eventTypes, now, upTo, trace, previous }) => {
  const first = events[0]?.seq ?? upTo + 1;
  const latest = upTo >= thread.lastSeq;
  return (
    <Layout title={thread.id} nav="threads" who={who}>
      <h1>Thread {thread.id}</h1>
      <ThreadHeader thread={thread} now={now} variants={variants} trace={trace} {...(previous ? { previous } : {})} />
      <p>
        <a href={`/console/threads/${thread.id}/context`}>Context: what the next model step sees, what it leaves out</a>
      </p>
      <h2 id="timeline-h">Timeline</h2>
      <p class="muted" id="timeline-range">
        Events #{first}–#{upTo} of {thread.lastSeq}.{" "}
        {first > 1 ? (
          <a href={`/console/threads/${thread.id}?before=${first}`} rel="prev" id="load-earlier">
            Load earlier events
          </a>
        ) : null}{" "}
        {latest ? null : <a href={`/console/threads/${thread.id}`}>Newest events</a>}
      </p>
      <ol
        id="timeline"
        class="timeline"
        aria-labelledby="timeline-h"
        data-thread={thread.id}
        data-last-seq={String(upTo)}
        data-live={latest ? "stream" : undefined}
        data-event-types={eventTypes.join(",")}
      >
        <Timeline events={events} threadId={thread.id} variants={variants} now={now} />
      </ol>
    </Layout>
  );
};

export const Timeline: FC<{ events: readonly Event[]; threadId: string; variants: readonly string[]; now: number; context?: SummaryContext }> = ({
  events,
  threadId,
  variants,
  now,
  context,
}) => {
  const ctx = context ?? summaryContext(events);
  return (
    <>
      {events.map((event) => (
        <TimelineItem event={event} threadId={threadId} variants={variants} now={now} context={ctx} />
      ))}
    </>
  );
};

export type VariantRow = { name: string; version?: string; weight?: number; threads: number; steps: number; errors: number; escalations: number; outcomes: Record<string, number> };
export type Usage = { total: UsageTotals; variants: Readonly<Record<string, UsageTotals>> };

export const AgentsPage: FC<{ who: string; agents: readonly { name: string; description: string }[] }> = ({ who, agents }) => (
  <Layout title="Agents" nav="agents" who={who}>
    <h1>Agents</h1>
    <ul>
      {agents.map((a) => (
        <li>
          <a href={`/console/agents/${a.name}`}>{a.name}</a>: {a.description}
        </li>
      ))}
    </ul>
  </Layout>
);

/** The agent page; its children are the evals section (pages/evals.tsx). */
export const AgentPage: FC<{ who: string; agent: { name: string; description: string }; variants: readonly VariantRow[]; usage: Usage; children?: Child }> = ({ who, agent, variants, usage, children }) => (
  <Layout title={agent.name} nav="agents" who={who}>
    <h1>Agent {agent.name}</h1>
    <p>{agent.description}</p>
    <p>
      <a href={`/console/threads?agent=${agent.name}`}>Its threads</a>
    </p>
    <h2>Prompt variants</h2>
    <StackTable
      columns={["Variant", "Version", "Weight", "Threads", "Steps", "Errors", "Escalations", "Outcomes"]}
      rows={variants.map((v) => ({
        cells: [
          v.name,
          <code>{v.version ?? "retired"}</code>,
          v.weight ?? "-",
          v.threads,
          v.steps,
          v.errors,
          v.escalations,
          Object.entries(v.outcomes)
            .map(([k, n]) => `${k} ${n}`)
            .join(", "),
        ],
      }))}
    />
    <h2>Token usage</h2>
    <p class="muted">All of this agent's threads, per prompt variant, from the thread index (the same totals as GET /v1/agents/{agent.name}/usage; eventually consistent, up to 10 s behind).</p>
    <StackTable
      id="usage"
      columns={["Variant", "Threads", "Model steps", "Prompt tokens", "Completion tokens", "Total tokens"]}
      rows={[...Object.entries(usage.variants), ["all variants", usage.total] as const].map(([name, u]) => ({
        cells: [name, u.threads, u.steps, u.promptTokens, u.completionTokens, u.totalTokens],
      }))}
    />
    <h2>Evals</h2>
    {children}
  </Layout>
);

export const MessagePage: FC<{ who?: string; title: string; message: string }> = ({ who, title, message }) => (
  <Layout title={title} nav="none" {...(who ? { who } : {})}>
    <h1>{title}</h1>
    <p>{message}</p>
    <p>
      <a href="/console">Back to the console</a>
    </p>
  </Layout>
);
