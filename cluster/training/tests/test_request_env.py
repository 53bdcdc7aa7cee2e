"""`cpt env REQUEST.json`: the request's values and the run's paths as shell assignments, which cpt-run.sh and
stage-lib.sh read once with eval. Whatever a value holds, the shell gets it back as it was and runs none of it (the
schema refuses such values long before: this holds the quoting itself to it)."""

import json
import subprocess
import sys

import pytest

from training_sandbox import TRAINING, Sandbox, run_request

sys.path.insert(0, str(TRAINING))
from cpt import shell_env  # noqa: E402

HOSTILE = [
    "it's",
    'say "hi"',
    "$(touch {canary})",
    "`touch {canary}`",
    "${{PATH}}",
    "a\nb\n",
    "\n",
    "back\\slash",
    "; touch {canary} #",
    "' ; touch {canary} ; '",
    "tab\there",
    "ünïcödé ☃",
    "-n",
    "",
]


def shell_values(tmp_path, request: dict, names: list[str]) -> list[str]:
    """The values of `names` after the shell read `cpt env` of `request` as the scripts do."""
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    script = 'set -euo pipefail; assignments=$("$0" "$1" env "$2"); eval "$assignments"; shift 2; '
    script += 'for name in "$@"; do printf "%s\\0" "${!name}"; done'
    result = subprocess.run(
        ["bash", "-c", script, sys.executable, str(TRAINING / "cpt"), str(path), *names],
        capture_output=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CPT_FSX": str(tmp_path / "fsx")},
    )
    return result.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_value_comes_back_as_it_was_and_none_runs(tmp_path, text):
    canary = tmp_path / "pwned"
    value = text.format(canary=canary)
    request = {
        **Sandbox.request(None, "r"),
        "run": value,
        "baseModel": value,
        "partition": value,
        "trainPath": f"/fsx/datasets/{value}",
        "evalPaths": {"domain": f"/fsx/{value}", "general": None},
        "hfTokenSecretArn": f"arn:aws:secretsmanager:{value}:1:secret:x",
        "timeLimits": {"prepare": value, "compile": 1, "train": 1, "export": 1, "evaluate": 1},
    }
    names = ["REQ_RUN", "REQ_BASE_MODEL", "REQ_PARTITION", "REQ_TIME_LIMITS_PREPARE", "SECRET_REGION", "RUN_DIR"]
    names += ["TRAIN_DIR", "EVAL_DOMAIN_DIR", "EVAL_GENERAL_DIR", "REQ_EVAL_PATHS_GENERAL"]
    fsx = tmp_path / "fsx"
    assert shell_values(tmp_path, request, names) == [
        value,
        value,
        value,
        value,
        value,
        f"{fsx}/trainium-cpt/runs/{value}",
        f"{fsx}/datasets/{value}".rstrip("/"),
        f"{fsx}/{value}".rstrip("/"),
        "",
        "",
    ]
    assert not canary.exists()


def test_each_field_has_its_name_and_json_values_read_as_the_scripts_read_them(tmp_path):
    request = Sandbox.request(None, "r1")
    names = ["REQ_VERSION", "REQ_NODES", "REQ_RESUME", "REQ_LEARNING_RATE", "REQ_TIME_LIMITS_TRAIN"]
    names += ["REQ_DERIVED_CORES_PER_NODE", "REQ_DERIVED_DEVICES_PER_NODE", "REQ_HF_TOKEN_SECRET_ARN", "CKPT_DIR"]
    assert shell_values(tmp_path, request, names) == [
        str(request["version"]),
        "1",
        "false",
        "0.00015",
        "600",
        "32",
        "16",
        request["hfTokenSecretArn"],
        f"{tmp_path}/fsx/checkpoints/r1",
    ]


def test_a_status_request_has_its_run_and_its_folders(tmp_path):
    assert shell_values(tmp_path, run_request("r1"), ["REQ_RUN", "RUN_DIR"]) == [
        "r1",
        f"{tmp_path}/fsx/trainium-cpt/runs/r1",
    ]


@pytest.mark.parametrize("field", ["a;b", "$(id)", "x y", "naïve", ""])
def test_a_field_name_that_is_no_shell_name_is_refused(field):
    with pytest.raises(ValueError, match="not a shell variable name"):
        shell_env.assignments({**run_request("r1"), field: 1})


def test_names_follow_the_fields_dotted_paths():
    assert shell_env.shell_name("evalPaths.domain") == "REQ_EVAL_PATHS_DOMAIN"
    assert shell_env.shell_name("derived.coresPerNode") == "REQ_DERIVED_CORES_PER_NODE"
    assert shell_env.shell_name("exportS3Uri") == "REQ_EXPORT_S3_URI"


def test_an_optional_field_left_out_is_empty_and_one_given_is_its_value(tmp_path):
    """stopBy is optional: the scripts (set -u) read REQ_STOP_BY either way."""
    request = Sandbox.request(None, "r1")
    assert "stopBy" not in request
    assert shell_values(tmp_path, request, ["REQ_STOP_BY", "REQ_RUN"]) == ["", "r1"]
    given = {**request, "stopBy": "2026-06-01T12:00:00Z"}
    assert shell_values(tmp_path, given, ["REQ_STOP_BY"]) == ["2026-06-01T12:00:00Z"]
    # A status or cancel request has no such fields.
    assert "REQ_STOP_BY" not in shell_env.assignments(run_request("r1"))
