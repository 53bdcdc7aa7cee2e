"""The page's table of every model's scores, and its details of the models and the evaluation sets."""

from __future__ import annotations

from .formats import change_class, esc, fmt_change, fmt_int, fmt_ppl, fmt_tokens


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
