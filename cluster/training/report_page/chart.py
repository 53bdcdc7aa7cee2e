"""The line chart of a held-out set, as inline SVG: perplexity against trained tokens, and its legend."""

from __future__ import annotations

import math

from .formats import esc, fmt_change, fmt_int, fmt_ppl, fmt_tokens, token_unit

BASE_COLOUR = "#4b5563"

# The chart's geometry, in SVG user units (the SVG scales to the width of its card).
WIDTH, HEIGHT = 600, 330
LEFT, RIGHT, TOP, BOTTOM = 64, 22, 18, 56


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
