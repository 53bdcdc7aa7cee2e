#!/usr/bin/env python3
"""Renders the perplexity report of a training run (RUN_DIR/report/perplexity.json, written by
`cpt_lib.py report` in the evaluate stage) as one self-contained HTML page.

    render_report.py PERPLEXITY_JSON OUTPUT_HTML

The page has no script and loads nothing (no external URL, font or style sheet; a Content-Security-Policy that
forbids loading anything): inline CSS, and the charts drawn here as inline SVG, so it shows the same in any
browser, offline, straight from S3 or a mail attachment. It holds:
  - a header: run, base model, date of the evaluation, rows scored per set, tokens per step;
  - for each held-out set (domain, then general when the run has one): the final perplexity against the base
    model's, and a line chart of perplexity against trained tokens (linear axis, in billions of tokens; the base
    model at 0 tokens; one marked point per model; the base model's level as a dashed line);
  - a table: model, step, trained tokens, and per set the perplexity, its change against the base model and
    the rows and tokens scored; then the model folders and the evaluation sets.

Every string of the report is HTML-escaped. The output is written to a temporary file next to OUTPUT_HTML, then
renamed over it. A malformed report (no models, no base model, a set missing, a perplexity that is not a
positive number, ...) stops with exit status 2 and a message naming the field; nothing is written then.

Standard library only, Python 3.10 or later: it runs with the cluster's system python3 and on a laptop.
"""

from __future__ import annotations

import html
import json
import math
import os
import sys
from datetime import datetime, timezone

from cpt_lib import write_text_atomically  # next to this file, here and in each run's scripts/

SET_ORDER = ("domain", "general")
SET_TITLES = {"domain": "Domain held-out set", "general": "General held-out set"}
SET_NOTES = {
    "domain": "Held-out documents of the training corpus: lower perplexity means the model learned the domain.",
    "general": "Held-out documents of the general corpus: a rise here is forgetting of general knowledge.",
}
# One colour per set, in SET_ORDER then report order: blue, orange, green, violet, ...
PALETTE = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#be185d", "#0f766e")
BASE_COLOUR = "#4b5563"
BETTER, WORSE = "#15803d", "#b91c1c"
MINUS = "\u2212"

# The chart's geometry, in SVG user units (the SVG scales to the width of its card).
WIDTH, HEIGHT = 600, 330
LEFT, RIGHT, TOP, BOTTOM = 64, 22, 18, 56


class ReportError(Exception):
    """A report that cannot be rendered; the message names the field."""


# --- Reading and checking the report ---


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _show(value) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _string(obj: dict, key: str, field: str, optional: bool = False):
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ReportError(f"{field}: must be a non-empty string (got {_show(value)})")
    return value


def _integer(obj: dict, key: str, field: str, minimum: int, optional: bool = False):
    value = obj.get(key)
    if value is None and optional:
        return None
    if not _is_int(value) or value < minimum:
        raise ReportError(f"{field}: must be an integer of at least {minimum} (got {_show(value)})")
    return value


def load_report(path: str) -> dict:
    """The report at `path`, checked; raises ReportError naming the first problem's field."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise ReportError(f"cannot read the report: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ReportError("the report is not UTF-8 text") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    return check_report(report)


def check_report(report) -> dict:
    """A normalised copy of the report: models sorted (base first, then by step), set names in display order,
    trained tokens and the change against the base model worked out for every model."""
    if not isinstance(report, dict):
        raise ReportError(f"the report must be a JSON object (got {type(report).__name__})")
    run = _string(report, "run", "run")
    base_model = _string(report, "baseModel", "baseModel")
    max_rows = _integer(report, "maxRowsPerSet", "maxRowsPerSet", 1)
    tokens_per_step = _integer(report, "tokensPerStep", "tokensPerStep", 1, optional=True)
    evaluated_at = _string(report, "evaluatedAt", "evaluatedAt", optional=True)
    eval_paths = report.get("evalPaths") or {}
    if not isinstance(eval_paths, dict) or not all(isinstance(v, (str, type(None))) for v in eval_paths.values()):
        raise ReportError(f"evalPaths: must be an object of set name to path (got {_show(eval_paths)})")

    raw_models = report.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        raise ReportError(f"models: must be a non-empty list of the evaluated models (got {_show(raw_models)})")
    models, names = [], set()
    for index, raw in enumerate(raw_models):
        field = f"models[{index}]"
        if not isinstance(raw, dict):
            raise ReportError(f"{field}: must be an object (got {_show(raw)})")
        name = _string(raw, "name", f"{field}.name")
        field = f"{field} ({name})"
        if name in names:
            raise ReportError(f"{field}.name: appears twice in models")
        names.add(name)
        step = _integer(raw, "step", f"{field}.step", 0)
        trained = _integer(raw, "trainedTokens", f"{field}.trainedTokens", 0, optional=True)
        if trained is None:
            if tokens_per_step is None:
                raise ReportError(
                    f"tokensPerStep: missing, and {field} has no trainedTokens either "
                    "(the chart's x axis needs one of them)"
                )
            trained = step * tokens_per_step
        sets = raw.get("sets")
        if not isinstance(sets, dict) or not sets:
            raise ReportError(f"{field}.sets: must be an object of set name to scores (got {_show(sets)})")
        checked = {}
        for set_name, scores in sets.items():
            set_field = f"{field}.sets.{set_name}"
            if not isinstance(scores, dict):
                raise ReportError(f"{set_field}: must be an object (got {_show(scores)})")
            perplexity = scores.get("perplexity")
            if not _is_number(perplexity) or perplexity <= 0:
                raise ReportError(f"{set_field}.perplexity: must be a positive number (got {_show(perplexity)})")
            seconds = scores.get("seconds")
            checked[set_name] = {
                "perplexity": float(perplexity),
                "rows": _integer(scores, "rows", f"{set_field}.rows", 0),
                "tokens": _integer(scores, "tokens", f"{set_field}.tokens", 0),
                "seconds": float(seconds) if _is_number(seconds) else None,
                "path": scores.get("path") if isinstance(scores.get("path"), str) else None,
            }
        models.append(
            {
                "name": name,
                "step": step,
                "trainedTokens": trained,
                "sets": checked,
                "model": raw.get("model") if isinstance(raw.get("model"), str) else None,
                "device": raw.get("device") if isinstance(raw.get("device"), str) else None,
                "dtype": raw.get("dtype") if isinstance(raw.get("dtype"), str) else None,
            }
        )

    base = next((m for m in models if m["name"] == "base"), None)
    if base is None:
        raise ReportError('models: no model named "base" (the base model\'s scores are the reference of the report)')
    if "domain" not in base["sets"]:
        raise ReportError("models[*] (base).sets.domain: missing (every report scores the domain held-out set)")
    set_names = [s for s in SET_ORDER if s in base["sets"]] + [s for s in base["sets"] if s not in SET_ORDER]
    for index, model in enumerate(models):
        for set_name in set_names:
            if set_name not in model["sets"]:
                raise ReportError(
                    f"models[{index}] ({model['name']}).sets.{set_name}: missing "
                    "(the base model was scored on it, so every model must be)"
                )
        for set_name in model["sets"]:
            if set_name not in base["sets"]:
                raise ReportError(
                    f"models[{index}] ({model['name']}).sets.{set_name}: not scored for the base "
                    "model, so there is nothing to compare it with"
                )
        for set_name in set_names:
            scores = model["sets"][set_name]
            scores["change"] = scores["perplexity"] / base["sets"][set_name]["perplexity"] - 1

    models.sort(key=lambda m: (m is not base, m["trainedTokens"], m["step"]))
    return {
        "run": run,
        "baseModel": base_model,
        "maxRowsPerSet": max_rows,
        "tokensPerStep": tokens_per_step,
        "evaluatedAt": evaluated_at,
        "evalPaths": eval_paths,
        "sets": set_names,
        "models": models,
    }


# --- Formatting ---


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_ppl(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}" if value < 1000 else f"{value:,.0f}"


def fmt_change(change: float) -> str:
    text = f"{abs(change) * 100:.1f}%"
    if text == "0.0%":
        return "\u00b10.0%"
    return (MINUS if change < 0 else "+") + text


def change_class(change: float) -> str:
    if abs(change) < 0.0005:
        return "same"
    return "better" if change < 0 else "worse"


TOKEN_UNITS = ((1e12, "T", "trillion"), (1e9, "B", "billion"), (1e6, "M", "million"), (1e3, "K", "thousand"))


def token_unit(value: float) -> tuple:
    for scale, short, long in TOKEN_UNITS:
        if value >= scale:
            return scale, short, long
    return 1.0, "", ""


def fmt_tokens(value: int) -> str:
    """Tokens in readable units: 83,886,080,000 -> "83.9 B"."""
    if value == 0:
        return "0"
    scale, short, _ = token_unit(value)
    if not short:
        return fmt_int(value)
    number = value / scale
    return f"{number:.1f} {short}" if number < 100 else f"{number:,.0f} {short}"


def fmt_date(value: str | None) -> str:
    if not value:
        return "not recorded"
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def nice_ticks(low: float, high: float, count: int = 5) -> tuple:
    """Round tick values covering [low, high], about `count` intervals, and the decimals their labels need."""
    span = high - low
    if span <= 0:
        span = abs(high) * 0.1 or 1.0
        low, high = low - span / 2, high + span / 2
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if span / step <= count:
            break
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    ticks = [start + i * step for i in range(int(round((end - start) / step)) + 1)]
    decimals = max(0, -int(math.floor(math.log10(step) + 1e-9))) + (1 if multiple == 2.5 else 0)
    return ticks, decimals


# --- The page ---


def set_title(name: str) -> str:
    return SET_TITLES.get(name, f"Held-out set \u201c{name}\u201d")


def colours(set_names: list) -> dict:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(set_names)}


def render_chart(report: dict, set_name: str, index: int, colour: str) -> str:
    models = report["models"]
    base = models[0]
    values = [m["sets"][set_name]["perplexity"] for m in models]
    base_value = base["sets"][set_name]["perplexity"]

    max_tokens = max(m["trainedTokens"] for m in models)
    scale, short, long = token_unit(max_tokens if max_tokens else 1e9)
    # The axis ends a little after the last checkpoint (or at one unit with only the base model).
    x_high = max_tokens * 1.05 if max_tokens else scale
    x_ticks, x_decimals = nice_ticks(0, x_high / scale, 5)
    x_ticks = [t for t in x_ticks if 0 <= t * scale <= x_high * (1 + 1e-9)]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.15, high * 0.01)
    y_ticks, y_decimals = nice_ticks(low - pad, high + pad, 6)
    y_low, y_high = y_ticks[0], y_ticks[-1]

    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(tokens: float) -> float:
        return LEFT + plot_w * tokens / x_high

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - y_low) / (y_high - y_low))

    title_id = f"chart-{index}-title"
    out = [
        f'<svg class="chart" data-set="{esc(set_name)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id}">',
        f'<title id="{title_id}">Perplexity on the {esc(set_name)} held-out set against trained tokens</title>',
        f'<rect class="plot-area" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        'stroke="#d1d5db"/>',
    ]
    for tick in y_ticks:
        y = y_of(tick)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:.{y_decimals}f}</text>')
    for tick in x_ticks:
        x = x_of(tick * scale)
        label = "0" if tick == 0 else f"{tick:,.{x_decimals}f} {short}"
        out.append(f'<line class="grid grid-x" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_h}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{esc(label)}</text>')
    axis_unit = f"{long}s of tokens" if long else "tokens"
    out.append(
        f'<text class="axis-title" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
        f"Trained tokens ({esc(axis_unit)}, linear scale)</text>"
    )
    out.append(
        f'<text class="axis-title" transform="translate(16 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">Perplexity (lower is better)</text>'
    )
    base_y = y_of(base_value)
    out.append(
        f'<line class="base-line" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{base_y:.1f}" y2="{base_y:.1f}" '
        f'stroke="{BASE_COLOUR}" stroke-width="1.5" stroke-dasharray="7 5">'
        f"<title>Base model {esc(report['baseModel'])}: {fmt_ppl(base_value, 3)}</title></line>"
    )
    points = [(x_of(m["trainedTokens"]), y_of(m["sets"][set_name]["perplexity"])) for m in models]
    out.append(
        f'<polyline class="series" data-set="{esc(set_name)}" fill="none" stroke="{colour}" '
        'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        + '"/>'
    )
    out.append('<g class="points">')
    for model, (x, y) in zip(models, points):
        scores = model["sets"][set_name]
        where = "base model" if model is base else f"step {fmt_int(model['step'])}"
        tip = (
            f"{model['name']} ({where}, {fmt_tokens(model['trainedTokens'])} tokens): perplexity "
            f"{fmt_ppl(scores['perplexity'], 3)}"
        )
        if model is not base:
            tip += f", {fmt_change(scores['change'])} vs base"
        out.append(
            f'<circle class="point" data-model="{esc(model["name"])}" cx="{x:.1f}" cy="{y:.1f}" r="5.5" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1.5"><title>{esc(tip)}</title></circle>'
        )
    out.append("</g>")
    for i, (model, (x, y)) in enumerate(zip(models, points)):
        anchor, dx = ("start", 7) if i == 0 else ("end", -7) if i == len(models) - 1 else ("middle", 0)
        dy = -11 if y - TOP > 22 else 20
        out.append(
            f'<text class="value-label" x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}">'
            f"{fmt_ppl(model['sets'][set_name]['perplexity'])}</text>"
        )
    if len(models) == 1:
        out.append(
            f'<text class="empty-note" x="{LEFT + plot_w / 2:.1f}" y="{TOP + 28}" text-anchor="middle">'
            "No checkpoint evaluated yet: only the base model</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def legend(set_name: str, colour: str, base_value: float) -> str:
    series = (
        f'<svg class="swatch" viewBox="0 0 34 12" aria-hidden="true"><line x1="2" x2="32" y1="6" y2="6" '
        f'stroke="{colour}" stroke-width="2.5"/><circle cx="17" cy="6" r="4.5" fill="{colour}" '
        'stroke="#fff" stroke-width="1.2"/></svg>'
    )
    dashed = (
        f'<svg class="swatch" viewBox="0 0 34 12" aria-hidden="true"><line x1="1" x2="33" y1="6" y2="6" '
        f'stroke="{BASE_COLOUR}" stroke-width="1.5" stroke-dasharray="7 5"/></svg>'
    )
    return (
        f'<ul class="legend"><li>{series} Perplexity on the {esc(set_name)} set, one point per model</li>'
        f"<li>{dashed} Base model ({fmt_ppl(base_value, 3)})</li></ul>"
    )


def render_set_section(report: dict, set_name: str, index: int, colour: str) -> str:
    models = report["models"]
    base, last = models[0], models[-1]
    base_scores, last_scores = base["sets"][set_name], last["sets"][set_name]
    path = report["evalPaths"].get(set_name) or base_scores["path"]
    if last is base:
        headline = f'<p class="headline"><strong>{fmt_ppl(base_scores["perplexity"], 3)}</strong> (base model only)</p>'
    else:
        cls = change_class(last_scores["change"])
        headline = (
            f'<p class="headline"><span class="from">{fmt_ppl(base_scores["perplexity"])}</span> '
            f'<span class="arrow">\u2192</span> <strong>{fmt_ppl(last_scores["perplexity"])}</strong> '
            f'<span class="change {cls}">{fmt_change(last_scores["change"])}</span></p>'
            f'<p class="sub">base model \u2192 last checkpoint ({esc(last["name"])}), after '
            f"{esc(fmt_tokens(last['trainedTokens']))} trained tokens</p>"
        )
    note = SET_NOTES.get(set_name, "")
    return "\n".join(
        [
            f'<section class="card set" data-set="{esc(set_name)}">',
            f'<h2><span class="dot" style="background:{colour}"></span>{esc(set_title(set_name))}</h2>',
            headline,
            f'<p class="note">{esc(note)}</p>' if note else "",
            legend(set_name, colour, base_scores["perplexity"]),
            render_chart(report, set_name, index, colour),
            f'<p class="source">{fmt_int(base_scores["rows"])} rows, {fmt_int(base_scores["tokens"])} tokens scored per '
            f"model{f' from <code>{esc(path)}</code>' if path else ''}</p>",
            "</section>",
        ]
    )


def render_table(report: dict, palette: dict) -> str:
    sets = report["sets"]
    head_top = [
        '<th rowspan="2" scope="col">Model</th>',
        '<th rowspan="2" scope="col" class="num">Step</th>',
        '<th rowspan="2" scope="col" class="num">Trained tokens</th>',
    ]
    head_bottom = []
    for name in sets:
        head_top.append(
            f'<th colspan="3" scope="colgroup" class="group"><span class="dot" '
            f'style="background:{palette[name]}"></span>{esc(name)}</th>'
        )
        head_bottom += [
            '<th scope="col" class="num">Perplexity</th>',
            '<th scope="col" class="num">vs base</th>',
            '<th scope="col" class="num">Rows / tokens scored</th>',
        ]
    rows = []
    for model in report["models"]:
        is_base = model is report["models"][0]
        tag = ' <span class="tag">base</span>' if is_base else ""
        cells = [
            f'<th scope="row">{esc(model["name"])}{tag}</th>',
            f'<td class="num">{fmt_int(model["step"])}</td>',
            f'<td class="num" title="{fmt_int(model["trainedTokens"])} tokens">{esc(fmt_tokens(model["trainedTokens"]))}</td>',
        ]
        for name in sets:
            scores = model["sets"][name]
            change = (
                "\u2014"
                if is_base
                else f'<span class="change {change_class(scores["change"])}">{fmt_change(scores["change"])}</span>'
            )
            cells += [
                f'<td class="num ppl">{fmt_ppl(scores["perplexity"], 3)}</td>',
                f'<td class="num">{change}</td>',
                f'<td class="num muted">{fmt_int(scores["rows"])} / {fmt_int(scores["tokens"])}</td>',
            ]
        rows.append(f'<tr class="model-row" data-model="{esc(model["name"])}">' + "".join(cells) + "</tr>")
    return "\n".join(
        [
            '<table class="scores">',
            f"<thead><tr>{''.join(head_top)}</tr><tr>{''.join(head_bottom)}</tr></thead>",
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
        ]
    )


def render_details(report: dict) -> str:
    items = []
    for model in report["models"]:
        facts = [f"<code>{esc(model['model'])}</code>" if model["model"] else "folder not recorded"]
        if model["device"] or model["dtype"]:
            facts.append(esc(" ".join(v for v in (model["device"], model["dtype"]) if v)))
        times = [
            f"{esc(s)} {model['sets'][s]['seconds']:,.1f} s"
            for s in report["sets"]
            if model["sets"][s]["seconds"] is not None
        ]
        if times:
            facts.append("scored in " + ", ".join(times))
        items.append(f"<li><strong>{esc(model['name'])}</strong>: {'; '.join(facts)}</li>")
    paths = []
    for name in report["sets"]:
        path = report["evalPaths"].get(name) or report["models"][0]["sets"][name]["path"]
        paths.append(f"<li><strong>{esc(name)}</strong>: <code>{esc(path or 'not recorded')}</code></li>")
    return "\n".join(
        [
            '<details class="card details"><summary>Models and evaluation sets</summary>',
            "<h3>Models</h3>",
            "<ul>",
            *items,
            "</ul>",
            "<h3>Held-out sets</h3>",
            "<ul>",
            *paths,
            "</ul>",
            "</details>",
        ]
    )


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


def render(report: dict, source_name: str = "perplexity.json") -> str:
    models = report["models"]
    palette = colours(report["sets"])
    checkpoints = len(models) - 1
    tokens_per_step = report["tokensPerStep"]
    meta = [
        ("Base model", esc(report["baseModel"])),
        ("Evaluated", esc(fmt_date(report["evaluatedAt"]))),
        ("Rows per set", f'{fmt_int(report["maxRowsPerSet"])}<span class="hint">the same rows for every model</span>'),
        (
            "Tokens per step",
            f'{esc(fmt_tokens(tokens_per_step))}<span class="hint">{fmt_int(tokens_per_step)} tokens</span>'
            if tokens_per_step
            else "not recorded",
        ),
        (
            "Checkpoints",
            f'{checkpoints}<span class="hint">'
            + (
                f"up to step {fmt_int(models[-1]['step'])}, {esc(fmt_tokens(models[-1]['trainedTokens']))} tokens"
                if checkpoints
                else "none yet: base model only"
            )
            + "</span>",
        ),
    ]
    sections = [render_set_section(report, name, i, palette[name]) for i, name in enumerate(report["sets"])]
    title = f"Perplexity report: {report['run']}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            'img-src data:">',
            '<meta name="color-scheme" content="light">',
            f"<title>{esc(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            '<header class="page">',
            '<p class="kicker">Continual pre-training \u00b7 evaluation</p>',
            f"<h1>Perplexity report: {esc(report['run'])}</h1>",
            f'<p class="lead">Perplexity of the base model <strong>{esc(report["baseModel"])}</strong> and of each '
            "checkpoint of the run on held-out data, against the tokens of continual pre-training each has seen. "
            "Lower is better.</p>",
            '<dl class="meta">',
            *(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in meta),
            "</dl>",
            "</header>",
            '<div class="charts">',
            *sections,
            "</div>",
            '<h2 class="section">All models</h2>',
            '<div class="card table-wrap">',
            render_table(report, palette),
            "</div>",
            render_details(report),
            "<footer>Perplexity is exp(mean negative log-likelihood per token) over the first "
            f"{fmt_int(report['maxRowsPerSet'])} rows of each held-out set, the same rows for every model; "
            "\u201cvs base\u201d is the change against the base model\u2019s perplexity on the same set. "
            f"Trained tokens = step \u00d7 tokens per step. Rendered by render_report.py from {esc(source_name)}.</footer>",
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def main(argv: list) -> int:
    if len(argv) != 2 or any(a in ("-h", "--help") for a in argv):
        print("usage: render_report.py PERPLEXITY_JSON OUTPUT_HTML", file=sys.stderr)
        return 2
    source, output = argv
    try:
        report = load_report(source)
    except ReportError as error:
        print(f"render_report: {source}: {error}", file=sys.stderr)
        return 2
    try:
        write_text_atomically(output, render(report, os.path.basename(source)))
    except OSError as error:
        print(f"render_report: cannot write {output}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
