#!/usr/bin/env python3
"""Renders the perplexity report of a training run (RUN_DIR/report/perplexity.json, written by
`cpt report` in the evaluate stage) as one self-contained HTML page.

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
The parts are modules of report_page/ next to this file: checks (reading and checking the report), chart (the
SVG charts), tables, page (the whole page), style (the CSS) and formats (how values are written).
"""

from __future__ import annotations

import os
import sys

from cpt.files import write_text_atomically  # next to this file, here and in each run's scripts/
from report_page.checks import ReportError, load_report
from report_page.page import render


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
