import type { FC } from "hono/jsx";
import type { ThreadSummary } from "../../runtime/index/thread-index";
import { Layout, StackTable, StatusBadge } from "./layout";
import { Ago } from "./timeline";

// The threads list: counts per status, filters, id search, pages (docs/console.md).

const STATUSES = ["running", "waiting_for_human", "paused", "done", "failed", "cancelled", "waiting_for_agent"] as const;

export type ThreadsFilter = { agent?: string; status?: string; q?: string };

/** The list's query string for a filter (and page), without empty fields. */
export const threadsQuery = (filter: ThreadsFilter, cursor?: string) =>
  new URLSearchParams(Object.entries({ ...filter, ...(cursor ? { cursor } : {}) }).filter((e): e is [string, string] => Boolean(e[1]))).toString();

export const ThreadsPage: FC<{
  who: string;
  threads: readonly ThreadSummary[];
  agents: readonly string[];
  filter: ThreadsFilter;
  counts: Readonly<Record<string, number>>;
  now: number;
  next?: string;
}> = ({ who, threads, agents, filter, counts, now, next }) => {
  const total = Object.values(counts).reduce((a, n) => a + n, 0);
  return (
    <Layout title="Threads" nav="threads" who={who}>
      <h1>Threads</h1>
      <nav aria-label="Threads by status" class="counts">
        <a href={`/console/threads?${threadsQuery({ ...filter, status: "" })}`} aria-current={filter.status ? undefined : "page"}>
          all <span class="count">{total}</span>
        </a>
        {STATUSES.map((s) => (
          <a href={`/console/threads?${threadsQuery({ ...filter, status: s })}`} aria-current={filter.status === s ? "page" : undefined} data-count-status={s}>
            <StatusBadge status={s} /> <span class="count">{counts[s] ?? 0}</span>
          </a>
        ))}
      </nav>
      <form method="get" action="/console/threads" class="filters" role="search">
        <div>
          <label for="f-q">Thread id or launch text</label>
          <input id="f-q" name="q" type="search" value={filter.q ?? ""} maxlength={100} placeholder="t_3f2a… or “deploy v1.2”" />
        </div>
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
        columns={["Thread", "Agent", "Status", "Waiting on", "Age", "Last event"]}
        rows={threads.map((t) => ({
          attrs: { "data-thread": t.id },
          cells: [
            <>
              <a href={`/console/threads/${t.id}`}>{t.id}</a>
              {t.launch ? (
                <span class="launch muted" title={t.launch}>
                  {t.launch}
                </span>
              ) : null}
            </>,
            <a href={`/console/agents/${t.agent}`}>{t.agent}</a>,
            <StatusBadge status={t.status} />,
            t.pending ?? "",
            <Ago at={t.createdAt} now={now} />,
            <>
              #{t.lastSeq}
              {t.lastEvent ? <span class="type">{` ${t.lastEvent}`}</span> : null} · <Ago at={t.updatedAt} now={now} />
            </>,
          ],
        }))}
      />
      {threads.length === 0 ? <p class="muted">No threads match.</p> : null}
      <nav aria-label="Pages" class="actions">
        <a href={`/console/threads?${threadsQuery(filter)}`}>First page</a>
        {next ? (
          <a href={`/console/threads?${threadsQuery(filter, next)}`} rel="next">
            Next page
          </a>
        ) : null}
      </nav>
    </Layout>
  );
};
