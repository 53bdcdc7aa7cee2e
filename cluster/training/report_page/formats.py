"""How the page writes values: HTML-escaped text, numbers, perplexity changes, token counts and dates."""

from __future__ import annotations

import html
from datetime import datetime, timezone

MINUS = "\u2212"


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
