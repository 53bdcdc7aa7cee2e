"""The whole page: the header, a section per held-out set (headline, note, legend and chart), the table and the
details, with the inline style sheet."""

from __future__ import annotations

from .chart import legend, render_chart
from .formats import change_class, esc, fmt_change, fmt_date, fmt_int, fmt_ppl, fmt_tokens
from .style import CSS
from .tables import render_details, render_table

SET_TITLES = {"domain": "Domain held-out set", "general": "General held-out set"}
SET_NOTES = {
    "domain": "Held-out documents of the training corpus: lower perplexity means the model learned the domain.",
    "general": "Held-out documents of the general corpus: a rise here is forgetting of general knowledge.",
}
# One colour per set, in SET_ORDER then report order: blue, orange, green, violet, ...
PALETTE = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#be185d", "#0f766e")


def set_title(name: str) -> str:
    return SET_TITLES.get(name, f"Held-out set \u201c{name}\u201d")


def colours(set_names: list) -> dict:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(set_names)}


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
