"""The page's inline style sheet (no external font or style sheet: the page loads nothing)."""

CSS = """
:root { color-scheme: light; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: var(--ink); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 40px; }
header.page { margin-bottom: 18px; }
header.page .kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .06em; text-transform: uppercase; }
header.page h1 { margin: 2px 0 6px; font-size: 26px; line-height: 1.2; overflow-wrap: anywhere; }
header.page .lead { margin: 0 0 14px; color: #374151; }
dl.meta { display: flex; flex-wrap: wrap; gap: 10px; margin: 0; }
dl.meta div { flex: 1 1 auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 14px; }
dl.meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
dl.meta dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: break-word; }
dl.meta .hint { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(0, 0, 0, .04); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px; margin: 18px 0; }
.set h2 { margin: 0 0 4px; font-size: 18px; display: flex; align-items: center; gap: 8px; }
.dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; flex: none; }
.headline { margin: 4px 0 0; font-size: 24px; }
.headline .from { color: var(--muted); }
.headline .arrow { color: var(--muted); padding: 0 2px; }
.headline .change { font-size: 18px; margin-left: 6px; }
.sub, .note, .source { margin: 2px 0; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.note { color: #374151; }
.change.better { color: #15803d; font-weight: 600; }
.change.worse { color: #b91c1c; font-weight: 600; }
.change.same { color: var(--muted); }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 10px 0 4px;
  font-size: 13px; color: #374151; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
svg.swatch { width: 34px; height: 12px; }
svg.chart { display: block; width: 100%; height: auto; margin-top: 2px; }
svg.chart text { font-family: inherit; fill: #374151; }
svg.chart .tick { font-size: 12px; fill: #4b5563; }
svg.chart .axis-title { font-size: 13px; fill: #111827; font-weight: 600; }
svg.chart .value-label { font-size: 12px; font-weight: 600; fill: #111827; paint-order: stroke;
  stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
svg.chart .empty-note { font-size: 13px; fill: var(--muted); }
svg.chart .grid { stroke: #e5e7eb; stroke-width: 1; }
svg.chart .grid-x { stroke: #f0f1f3; }
h2.section { font-size: 18px; margin: 26px 0 10px; }
.table-wrap { overflow-x: auto; }
table.scores { border-collapse: collapse; width: 100%; font-size: 14px; background: var(--card); }
table.scores th, table.scores td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left;
  white-space: nowrap; }
table.scores thead th { background: #f9fafb; font-size: 12px; color: #374151; text-transform: uppercase;
  letter-spacing: .03em; }
table.scores thead th.group { text-align: center; border-left: 1px solid var(--line); text-transform: none;
  font-size: 13px; }
table.scores tbody th { font-weight: 600; }
table.scores .num { text-align: right; font-variant-numeric: tabular-nums; }
table.scores td.ppl { font-weight: 600; }
table.scores tbody tr:hover { background: #f9fafb; }
.muted { color: var(--muted); }
.tag { font-size: 11px; font-weight: 600; color: #374151; background: #e5e7eb; border-radius: 4px; padding: 1px 5px;
  margin-left: 6px; }
.details { margin-top: 18px; }
.details summary { cursor: pointer; font-weight: 600; }
.details h3 { font-size: 14px; margin: 12px 0 4px; }
.details ul { margin: 0; padding-left: 20px; font-size: 13px; }
.details li { overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
footer { margin-top: 18px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .card, dl.meta div { box-shadow: none; } }
"""
