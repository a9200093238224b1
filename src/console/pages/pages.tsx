/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import type { Event, PendingView, ThreadView } from "../../core";
import type { ThreadSummary } from "../../runtime/index/thread-index";
import type { UsageTotals } from "../../runtime/index/thread-index-stats";
import { Deadline, Layout, StackTable, StatusBadge } from "./layout";
import { TimelineItem } from "./timeline";

// The console's pages: functions of their data, rendered on the server.

const STATUSES = ["running", "waiting_for_human", "paused", "done", "failed", "cancelled", "waiting_for_agent"] as const;

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

export type InboxItem = { thread: Pick<ThreadView, "id" | "agent" | "status">; request: PendingView };

/** One pending request with its answer form; the client submits it in place (data-async). */
export const InboxEntry: FC<{ item: InboxItem; returnTo: string }> = ({ item, returnTo }) => {
  const { thread, request } = item;
  const id = `r-${request.requestId}`;
  return (
    <li class="card" data-request={request.requestId} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        {request.kind === "approval" ? `Approve ${request.tool?.name ?? "action"}?` : `${thread.agent} asks`}{" "}
        <span class="muted">
          in <a href={`/console/threads/${thread.id}`}>{thread.id}</a> ({thread.agent})
        </span>
      </h2>
      <p>{request.message}</p>
      {request.tool ? <pre>{JSON.stringify(request.tool.args, null, 2)}</pre> : null}
      <p>
        Asked <time datetime={request.requestedAt}>{request.requestedAt}</time> · deadline <Deadline at={request.deadline} />{" "}
        <span class="countdown" data-countdown={request.deadline}></span>
      </p>
      <form method="post" action={`/console/threads/${thread.id}/respond`} data-async="respond">
        <input type="hidden" name="requestId" value={request.requestId} />
        <input type="hidden" name="returnTo" value={returnTo} />
        {request.kind === "input" ? (
          <>
            <label for={`${id}-answer`}>Answer</label>
            <textarea id={`${id}-answer`} name="answer" rows={2} required maxlength={32000}></textarea>
          </>
        ) : null}
        <label for={`${id}-comment`}>Comment (optional)</label>
        <textarea id={`${id}-comment`} name="comment" rows={2} maxlength={32000}></textarea>
        <div class="actions">
          {request.kind === "approval" ? (
            <>
              <button type="submit" name="decision" value="approve" class="approve">
                Approve
              </button>
              <button type="submit" name="decision" value="reject" class="reject">
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

export const InboxList: FC<{ items: readonly InboxItem[] }> = ({ items }) => (
  <ol id="inbox" class="timeline" data-live="/console/inbox/items" aria-label="Pending requests, oldest first">
    {items.map((item) => (
      <InboxEntry item={item} returnTo="/console/inbox" />
    ))}
  </ol>
);

export const InboxPage: FC<{ who: string; items: readonly InboxItem[] }> = ({ who, items }) => (
  <Layout title="Inbox" nav="inbox" who={who}>
    <h1>Approvals inbox</h1>
    <p class="muted" id="inbox-empty" hidden={items.length > 0}>
      Nothing is waiting for a human. New requests appear here without a reload.
    </p>
    <InboxList items={items} />
  </Layout>
);

export const ThreadsPage: FC<{
  who: string;
  threads: readonly ThreadSummary[];
  agents: readonly string[];
  filter: { agent?: string; status?: string };
  next?: string;
}> = ({ who, threads, agents, filter, next }) => {
  const query = (cursor: string) => new URLSearchParams({ ...(filter.agent ? { agent: filter.agent } : {}), ...(filter.status ? { status: filter.status } : {}), cursor }).toString();
  return (
    <Layout title="Threads" nav="threads" who={who}>
      <h1>Threads</h1>
      <form method="get" action="/console/threads" class="filters" role="search">
        <div>
          <label for="f-agent">Agent</label>
          <select id="f-agent" name="agent">
            <option value="">all</option>
            {agents.map((a) => (
              <option value={a} selected={filter.agent === a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option value={s} selected={filter.status === s}>
                {s.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <StackTable
        id="threads"
        refreshMs={5000}
        columns={["Thread", "Agent", "Status", "Events", "Updated"]}
        rows={threads.map((t) => ({
          cells: [
            <a href={`/console/threads/${t.id}`}>{t.id}</a>,
            <a href={`/console/agents/${t.agent}`}>{t.agent}</a>,
            <StatusBadge status={t.status} />,
            t.lastSeq,
            <time datetime={t.updatedAt}>{t.updatedAt}</time>,
          ],
        }))}
      />
      {threads.length === 0 ? <p class="muted">No threads match.</p> : null}
      <nav aria-label="Pages" class="actions">
        <a href={`/console/threads?${query("").replace(/&?cursor=$/, "")}`}>First page</a>
        {next ? (
          <a href={`/console/threads?${query(next)}`} rel="next">
            Next page
          </a>
        ) : null}
      </nav>
    </Layout>
  );
};

/** The part of the thread page that changes with its status: the badge, controls, open requests. */
export const ThreadHeader: FC<{ thread: ThreadView }> = ({ thread }) => {
  const ended = thread.status === "done" || thread.status === "failed" || thread.status === "cancelled";
  const control = (verb: "pause" | "resume" | "cancel", label: string, cls = "") => (
    <form method="post" action={`/console/threads/${thread.id}/${verb}`} class="inline">
      <button type="submit" class={cls}>
        {label}
      </button>
    </form>
  );
  return (
    <div id="thread-header" data-status={thread.status}>
      <p>
        Status: <StatusBadge status={thread.status} /> · agent <a href={`/console/agents/${thread.agent}`}>{thread.agent}</a>
        {thread.variant ? ` · variant ${thread.variant}` : ""}
        {thread.model ? ` · model ${thread.model}` : ""}
        {thread.forkedFrom ? (
          <>
            {" "}
            · forked from <a href={`/console/threads/${thread.forkedFrom.threadId}`}>{thread.forkedFrom.threadId}</a> at #{thread.forkedFrom.atSeq}
          </>
        ) : null}
      </p>
      {thread.result ? <p>Result: {thread.result.message}</p> : null}
      {thread.error ? (
        <p class="error-box">
          <code>{thread.error.code}</code>: {thread.error.message}
        </p>
      ) : null}
      {ended ? null : (
        <div class="actions" aria-label="Thread controls">
          {thread.status === "paused" ? control("resume", "Resume") : control("pause", "Pause", "secondary")}
          {control("cancel", "Cancel", "reject")}
        </div>
      )}
      {thread.pendingRequests.length ? (
        <ol class="timeline" aria-label="Open requests">
          {thread.pendingRequests.map((request) => (
            <InboxEntry item={{ thread, request }} returnTo={`/console/threads/${thread.id}`} />
          ))}
        </ol>
      ) : null}
    </div>
  );
};

export const ThreadPage: FC<{ who: string; thread: ThreadView; events: readonly Event[]; variants: readonly string[]; eventTypes: readonly string[] }> = ({
  who,
  thread,
  events,
  variants,
  eventTypes,
}) => (
  <Layout title={thread.id} nav="threads" who={who}>
    <h1>Thread {thread.id}</h1>
    <ThreadHeader thread={thread} />
    <p>
      <a href={`/console/threads/${thread.id}/context`}>Context: what the next model step sees, what it leaves out</a>
    </p>
    <h2 id="timeline-h">Timeline</h2>
    <ol
      id="timeline"
      class="timeline"
      aria-labelledby="timeline-h"
      data-thread={thread.id}
      data-last-seq={String(thread.lastSeq)}
      data-event-types={eventTypes.join(",")}
    >
      <Timeline events={events} threadId={thread.id} variants={variants} />
    </ol>
  </Layout>
);

export const Timeline: FC<{ events: readonly Event[]; threadId: string; variants: readonly string[] }> = ({ events, threadId, variants }) => (
  <>
    {events.map((event) => (
      <TimelineItem event={event} threadId={threadId} variants={variants} />
    ))}
  </>
);

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
    <p class="muted">All of this agent's threads, per prompt variant, from the thread index (the same totals as GET /v1/agents/{agent.name}/usage; eventually consistent, about a second behind).</p>
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
