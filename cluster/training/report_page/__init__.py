"""The parts of the perplexity report's page, by concern; render_report.py next to this folder is the entry (its
command line, and what the page shows in its docstring). Standard library only, Python 3.10 or later."""
