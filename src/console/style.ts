// The console's and the API reference's one stylesheet, served as /console/static/console.css
// (style-src 'self': no inline styles either). Readable on a phone, visible focus, system colours.
export const CONSOLE_CSS = `
:root { color-scheme: light dark; --fg: CanvasText; --bg: Canvas; --muted: #6b7280; --line: #d1d5db; --accent: #2563eb; --ok: #15803d; --bad: #b91c1c; --warn: #b45309; }
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
ol.timeline > li.kind-model { border-color: var(--accent); } ol.timeline > li.kind-tool { border-color: #7c3aed; } ol.timeline > li.kind-human { border-color: var(--warn); } ol.timeline > li.kind-error { border-color: var(--bad); } ol.timeline > li.kind-end { border-color: var(--ok); }
.event-head { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: baseline; }
.event-head .type { font-weight: 700; font-family: ui-monospace, monospace; }
pre { white-space: pre-wrap; word-break: break-word; background: color-mix(in srgb, var(--fg) 6%, transparent); padding: .5rem; border-radius: .3rem; margin: .25rem 0; font-size: .9rem; }
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
`;
