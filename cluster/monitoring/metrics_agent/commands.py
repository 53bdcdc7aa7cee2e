"""How the agent runs a command (Slurm's, the AWS CLI): an argument list, no shell, the output captured."""

from __future__ import annotations

import subprocess

COMMAND_TIMEOUT = 60


def run_command(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
