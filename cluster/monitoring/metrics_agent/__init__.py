"""The head-node metrics agent's modules, by concern; cpt_metrics_agent.py next to this folder is the entry (its
command line, and the contract of the metrics in its docstring). Standard library only, Python 3.10 or later."""
