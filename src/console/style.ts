// The console's and the API reference's one stylesheet, served as /console/static/console.css
// (style-src 'self': no inline styles either). Readable on a phone, visible focus, system colours.
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: CanvasText; --bg: Canvas; --muted: #6b7280; --line: #d1d5db; --accent: #2563eb; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; --tool: #7c3aed; --timer: #0e7490; }
@media (prefers-color-scheme: dark) { :root { --muted: #9ca3af; --line: #4b5563; --accent: #60a5fa; --ok: #4ade80; --bad: #f87171; --warn: #fbbf24; --tool: #c4b5fd; --timer: #67e8f9; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
header.top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
header.top .who { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
@media (max-width: 40rem) { table.stack thead { display: none; } table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: .5rem 0; } table.stack td { display: block; border: 0; padding: .1rem 0; } table.stack td::before { content: attr(data-label) ": "; font-weight: 600; } }
form.inline { display: inline; }
nav.counts { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0 0 .75rem; } nav.counts a { text-decoration: none; } nav.counts a[aria-current="page"] { font-weight: 700; text-decoration: underline; } nav.counts .count { color: var(--fg); }
#threads td:not(:first-child) { white-space: nowrap; }
#threads .launch { display: block; max-width: 24rem; font-size: .85rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#threads .type { font-family: ui-monospace, monospace; font-size: .85rem; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin: .25rem 0; }
input, select, textarea, button { font: inherit; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: .3rem; background: var(--bg); color: var(--fg); min-height: 2.5rem; }
textarea { width: 100%; }
button { cursor: pointer; background: var(--accent); color: white; border-color: var(--accent); }
button.secondary { background: transparent; color: var(--accent); }
button.approve { background: var(--ok); border-color: var(--ok); }
button.reject { background: var(--bad); border-color: var(--bad); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; border: 1px solid var(--line); font-size: .85rem; }
.badge.done, .badge.same { color: var(--ok); border-color: var(--ok); } .badge.failed, .badge.cancelled, .badge.differs { color: var(--bad); border-color: var(--bad); } .badge.waiting_for_human { color: var(--warn); border-color: var(--warn); }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline > li { border-left: 3px solid var(--line); padding: .5rem .75rem; margin: 0 0 .5rem; }
ol.timeline > li.ev { padding: .15rem .5rem; margin: 0; display: flex; flex-wrap: wrap; gap: 0 .6rem; align-items: baseline; border-bottom: 1px solid color-mix(in srgb, var(--line) 50%, transparent); }
li.ev .seq { color: var(--muted); font-variant-numeric: tabular-nums; min-width: 2.5rem; }
li.ev time { color: var(--muted); font-size: .85rem; min-width: 5.5rem; }
li.ev .type { font-family: ui-monospace, monospace; font-size: .8rem; padding: 0 .4rem; border-radius: .25rem; border: 1px solid currentColor; min-width: 9rem; }
li.ev .summary { flex: 1 1 12rem; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
li.ev > details { margin-left: auto; font-size: .85rem; }
li.ev > details[open] { flex-basis: 100%; margin-left: 0; }
li.ev > details > summary { color: var(--accent); cursor: pointer; }
.label-model { color: var(--accent); } .label-tool { color: var(--tool); } .label-human { color: var(--warn); } .label-timer { color: var(--timer); } .label-error { color: var(--bad); } .label-lifecycle { color: var(--ok); }
ol.timeline > li.kind-model { border-left-color: var(--accent); } ol.timeline > li.kind-tool { border-left-color: var(--tool); } ol.timeline > li.kind-human { border-left-color: var(--warn); } ol.timeline > li.kind-timer { border-left-color: var(--timer); } ol.timeline > li.kind-error { border-left-color: var(--bad); } ol.timeline > li.kind-lifecycle { border-left-color: var(--ok); }
pre { white-space: pre-wrap; word-break: break-word; background: color-mix(in srgb, var(--fg) 6%, transparent); padding: .5rem; border-radius: .3rem; margin: .25rem 0; font-size: .9rem; }
li.request:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
li.request h2 { margin-top: 0; }
table.kv { width: auto; min-width: 50%; margin: .25rem 0 .5rem; }
table.kv caption { text-align: left; font-size: .85rem; caption-side: bottom; }
table.kv th { font-family: ui-monospace, monospace; font-weight: 600; padding-right: 1rem; }
table.kv tr.arg-changed td:nth-child(2), table.kv tr.arg-new td:nth-child(2) { background: color-mix(in srgb, var(--warn) 18%, transparent); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .25rem 0 .5rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
kbd { font-family: ui-monospace, monospace; border: 1px solid var(--line); border-radius: .2rem; padding: 0 .3rem; }
.card { border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; margin: 0 0 1rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.error-box { border: 2px solid var(--bad); padding: .5rem 1rem; border-radius: .3rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
.op { border: 1px solid var(--line); border-radius: .5rem; margin: 0 0 .75rem; }
.op > summary { padding: .5rem .75rem; cursor: pointer; display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
.op > div { padding: 0 .75rem .75rem; }
.method { font-family: ui-monospace, monospace; font-weight: 700; text-transform: uppercase; min-width: 4rem; }
fieldset { border: 1px solid var(--line); border-radius: .5rem; margin: .5rem 0; }
progress { width: 100%; height: 1rem; }
@media (min-width: 40rem) { table.cases td { width: 40%; } table.cases td:first-child { width: 20%; } }
h1, td { overflow-wrap: anywhere; }
table.cases tr.differs td { background: color-mix(in srgb, var(--bad) 6%, transparent); }
.tool { font-family: ui-monospace, monospace; }
code { font-family: ui-monospace, monospace; }
/* Dark mode: the light accents need dark text on buttons (last, so it wins over button's white). */
@media (prefers-color-scheme: dark) { button, button.approve, button.reject { color: #111827; } button.secondary { color: var(--accent); } }
`;
