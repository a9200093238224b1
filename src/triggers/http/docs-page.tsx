/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";

// GET /docs: the API reference, rendered on the server from the generated OpenAPI document.
// Scalar's Hono middleware would load its viewer from a CDN at view time (and need a
// script-src exception for it); this page needs no network and no script, so it works
// offline, behind strict CSP, and in the tests.

/** The parts of the OpenAPI document the page reads. */
export type OpenApiDoc = {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
};
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
};

const METHODS = ["get", "post", "put", "patch", "delete"];
const pretty = (value: unknown) => JSON.stringify(value, null, 2);
const anchor = (method: string, path: string) => `${method}-${path.replace(/[^a-zA-Z0-9]+/g, "-")}`;

const Op: FC<{ method: string; path: string; op: Operation }> = ({ method, path, op }) => (
  <details class="op" id={anchor(method, path)}>
    <summary>
      <span class="method">{method}</span>
      <code>{path}</code>
      <span>{op.summary ?? ""}</span>
      {op.security?.length ? <span class="badge">bearer</span> : null}
    </summary>
    <div>
      {op.description ? <p>{op.description}</p> : null}
      {op.parameters?.length ? (
        <>
          <h4>Parameters</h4>
          <table>
            <thead><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr></thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr><td><code>{p.name}</code></td><td>{p.in}</td><td>{p.required ? "yes" : "no"}</td><td><code>{JSON.stringify(p.schema ?? {})}</code>{p.description ? <div class="muted">{p.description}</div> : null}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {op.requestBody?.content ? (
        <>
          <h4>Request body</h4>
          {Object.entries(op.requestBody.content).map(([media, body]) => (
            <>
              <p><code>{media}</code></p>
              <pre>{pretty(body.schema ?? {})}</pre>
            </>
          ))}
        </>
      ) : null}
      <h4>Responses</h4>
      <table>
        <thead><tr><th>status</th><th>meaning</th><th>body</th></tr></thead>
        <tbody>
          {Object.entries(op.responses ?? {}).map(([status, r]) => (
            <tr>
              <td>{status}</td>
              <td>{r.description ?? ""}</td>
              <td>{r.content ? Object.entries(r.content).map(([media, c]) => <details><summary><code>{media}</code></summary><pre>{pretty(c.schema ?? {})}</pre></details>) : "none"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </details>
);

export const DocsPage: FC<{ doc: OpenApiDoc }> = ({ doc }) => {
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Operation })),
  );
  const tags = [...new Set(ops.flatMap((o) => o.op.tags?.slice(0, 1) ?? ["other"]))];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title} API reference</title>
        <link rel="stylesheet" href="/console/static/console.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <strong>{doc.info.title} {doc.info.version}</strong>
          <nav aria-label="Site"><a href="/console">Console</a><a href="/openapi.json">openapi.json</a></nav>
        </header>
        <main id="main">
          <h1>API reference</h1>
          {doc.info.description ? <p>{doc.info.description}</p> : null}
          <p>Management routes need <code>Authorization: Bearer &lt;token&gt;</code>. Errors are always <code>{'{"error":{"code","message","details"?}}'}</code>. Expand an operation for its parameters, body and every response.</p>
          {tags.map((tag) => (
            <section aria-labelledby={`tag-${tag}`}>
              <h2 id={`tag-${tag}`}>{tag}</h2>
              {ops.filter((o) => (o.op.tags?.[0] ?? "other") === tag).map((o) => <Op {...o} />)}
            </section>
          ))}
          <section aria-labelledby="schemas">
            <h2 id="schemas">Schemas</h2>
            {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
              <details class="op" id={`schema-${name}`}><summary><code>{name}</code></summary><div><pre>{pretty(schema)}</pre></div></details>
            ))}
          </section>
        </main>
      </body>
    </html>
  );
};
