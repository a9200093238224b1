import type { PendingView } from "../core";
import { editInputs, quorumLine } from "./edit-form";

// The pages behind a human link: plain HTML forms that work with no JavaScript (the
// Content-Security-Policy forbids scripts anyway), on a phone, and with a keyboard.
// Every interpolated string goes through `escape`: messages and tool arguments come
// from the model, which may repeat anything a user or a web page said to it.

export const MAX_ANSWER_CHARS = 32_000;

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type RequestPageInput = {
  readonly agent: string;
  readonly threadId: string;
  readonly request: PendingView;
};

export function requestPage({ agent, threadId, request }: RequestPageInput): string {
  const approval = request.kind === "approval";
  const title = approval ? `Approval needed${request.tool ? `: ${request.tool.name}` : ""}` : `${agent} has a question`;
  const tool = request.tool
    ? `<section aria-labelledby="tool-heading">
<h2 id="tool-heading">What will run</h2>
<p>Tool <code>${escape(request.tool.name)}</code> with these arguments:</p>
${argumentsTable(request.tool.args)}
</section>`
    : "";
  const edits = approval ? editInputs(request) : [];
  const editFields = edits
    .map(
      (e, i) => `<label for="edit-${i}">${escape(e.field)}${e.json ? " (JSON)" : ""}</label>
<input id="edit-${i}" name="${escape(e.name)}" value="${escape(e.value)}" maxlength="${MAX_ANSWER_CHARS}">`,
    )
    .join("\n");
  const quorum = quorumLine(request);
  const status = `${quorum ? `<p class="quorum" role="status">${escape(quorum)}</p>` : ""}${
    request.edited ? `<p>Changed by ${escape(request.edited.by.id)} from the agent's ${escape(JSON.stringify(request.edited.originalArgs))}.</p>` : ""
  }${request.selfApproval === false ? "<p>Whoever started this thread may not approve it.</p>" : ""}`;
  const form = approval
    ? `<form method="post">
<fieldset>
<legend>Your decision</legend>
${edits.length ? `<p>You may change ${edits.map((e) => `<code>${escape(e.field)}</code>`).join(", ")} and approve the call with your values.</p>\n${editFields}` : ""}
<label for="comment">Comment for the agent (optional)</label>
<textarea id="comment" name="comment" rows="3" maxlength="${MAX_ANSWER_CHARS}"></textarea>
<div class="buttons">
<button type="submit" name="decision" value="approve" class="approve">Approve</button>
${edits.length ? `<button type="submit" name="decision" value="edit" class="approve">Approve with my changes</button>\n` : ""}<button type="submit" name="decision" value="reject" class="reject">Reject</button>
</div>
</fieldset>
</form>`
    : `<form method="post">
<fieldset>
<legend>Your answer</legend>
<label for="answer">Answer</label>
<textarea id="answer" name="answer" rows="5" required maxlength="${MAX_ANSWER_CHARS}"></textarea>
<div class="buttons"><button type="submit" class="approve">Send answer</button></div>
</fieldset>
</form>`;
  return layout(
    title,
    `<h1>${escape(title)}</h1>
<p class="meta">Agent <strong>${escape(agent)}</strong>, thread <code>${escape(threadId)}</code></p>
<section aria-labelledby="message-heading">
<h2 id="message-heading">${approval ? "Why" : "Question"}</h2>
<p class="message">${escape(request.message)}</p>
</section>
${tool}
${status}
<p>Answer before <time datetime="${escape(request.deadline)}">${escape(readableTime(request.deadline))}</time>.
Anyone with this link can answer until then.</p>
${form}`,
  );
}

export type ResultPageInput = {
  readonly title: string;
  readonly message: string;
  readonly tone: "success" | "error";
  /** Where "back" goes, when going back can help (e.g. the form was incomplete). */
  readonly backHref?: string;
};

export function resultPage({ title, message, tone, backHref }: ResultPageInput): string {
  const back = backHref ? `<p><a href="${escape(backHref)}">Back to the request</a></p>` : "";
  return layout(
    title,
    `<h1 class="${tone}">${escape(title)}</h1>
<p class="message" role="${tone === "error" ? "alert" : "status"}">${escape(message)}</p>
${back}`,
  );
}

function argumentsTable(args: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(args);
  if (entries.length === 0) return "<p><em>No arguments.</em></p>";
  const rows = entries
    .map(([key, value]) => {
      const shown = typeof value === "string" ? escape(value) : `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`;
      return `<tr><th scope="row"><code>${escape(key)}</code></th><td>${shown}</td></tr>`;
    })
    .join("\n");
  return `<table><caption class="visually-hidden">Tool arguments</caption>
<thead><tr><th scope="col">Argument</th><th scope="col">Value</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** No JavaScript means no local time zone: show UTC, unambiguously labelled. */
function readableTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const STYLE = `
:root { color-scheme: light dark; --accent: #1d4ed8; --danger: #b91c1c; --ok: #15803d; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 1rem 0 .25rem; overflow-wrap: anywhere; }
h1.success { color: var(--ok); } h1.error { color: var(--danger); }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta { margin-top: 0; opacity: .8; }
.message { white-space: pre-wrap; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: .5rem; border-bottom: 1px solid #8886; overflow-wrap: anywhere; }
fieldset { border: 1px solid #8888; border-radius: .5rem; padding: 1rem; margin: 1.5rem 0 0; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; margin-bottom: .25rem; }
input { box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; border: 1px solid #888; border-radius: .375rem; margin-bottom: .75rem; }
textarea { box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; border: 1px solid #888; border-radius: .375rem; }
.buttons { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
button { font: inherit; font-weight: 600; min-height: 44px; min-width: 8rem; padding: .5rem 1.25rem; border-radius: .375rem;
  border: 2px solid transparent; color: #fff; cursor: pointer; }
button.approve { background: var(--ok); } button.reject { background: var(--danger); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
