/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";

// The frame of every console page: skip link, navigation, who is signed in, one <main>.
// No inline script or style: the CSP allows only /console/static/*.

export type Nav = "inbox" | "threads" | "agents" | "none";

export const Layout: FC<{ title: string; nav: Nav; who?: string; csrf?: string; children?: Child }> = ({ title, nav, who, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · edge-agents console</title>
      <link rel="stylesheet" href="/console/static/console.css" />
      <script src="/console/static/console.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <strong>edge-agents</strong>
        {who ? (
          <nav aria-label="Console">
            <a href="/console/inbox" aria-current={nav === "inbox" ? "page" : undefined}>Inbox</a>
            <a href="/console/threads" aria-current={nav === "threads" ? "page" : undefined}>Threads</a>
            <a href="/console/agents" aria-current={nav === "agents" ? "page" : undefined}>Agents</a>
            <a href="/docs">API docs</a>
          </nav>
        ) : null}
        {who ? (
          <div class="who">
            <span class="muted">Signed in as <strong>{who}</strong></span>
            <form method="post" action="/console/sign-out" class="inline">
              <button type="submit" class="secondary">Sign out</button>
            </form>
          </div>
        ) : null}
      </header>
      <main id="main">{children}</main>
      <div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
    </body>
  </html>
);

export const page = (node: ReturnType<FC>) => `<!doctype html>${String(node)}`;

export const StatusBadge: FC<{ status: string }> = ({ status }) => <span class={`badge ${status}`} data-status={status}>{status.replaceAll("_", " ")}</span>;

/** A deadline as text the client script counts down (data-deadline); readable without script too. */
export const Deadline: FC<{ at: string }> = ({ at }) => (
  <time datetime={at} data-deadline={at}>
    {at}
  </time>
);

/**
 * A table that becomes stacked cards on a phone: every cell carries its column's label
 * (data-label, shown by the stylesheet when the header row is hidden).
 */
export const StackTable: FC<{
  id?: string;
  class?: string;
  /** Milliseconds between the client script's refreshes of this table (console.js), if any. */
  refreshMs?: number;
  columns: readonly string[];
  rows: readonly { readonly cells: readonly Child[]; readonly attrs?: Record<string, string> }[];
}> = ({ id, class: cls, refreshMs, columns, rows }) => (
  <table class={`stack${cls ? ` ${cls}` : ""}`} id={id} data-refresh={refreshMs === undefined ? undefined : String(refreshMs)}>
    <thead>
      <tr>
        {columns.map((c) => (
          <th scope="col">{c}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {rows.map((row) => (
        <tr {...row.attrs}>
          {row.cells.map((cell, i) => (
            <td data-label={columns[i]}>{cell}</td>
          ))}
        </tr>
      ))}
    </tbody>
  </table>
);
