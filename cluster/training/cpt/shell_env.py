"""`env REQUEST.json`: the request's values, and the paths the scripts use, as shell assignments that the shell
reads once (`assignments=$("$PY" "$SCRIPTS/cpt" env "$REQUEST")` then `eval "$assignments"`), instead of one
Python process per value.

Every value is quoted with shlex.quote (one single-quoted word, whatever it holds: quotes, $(...), backticks,
newlines), and every name is checked, so that no request value is ever read as shell code.
"""

from __future__ import annotations

import json
import re
import shlex

from .files import read_json
from .paths import (
    LLAMA_DIR,
    LLAMA_SCRIPT,
    MODEL_CONFIG_DIR,
    checkpoint_dir,
    compile_cache,
    fsx_path,
    neuron_venv,
    nxd_dir,
    patched_script,
    run_dir,
)
from .request import fields

NAME_RE = re.compile(r"[A-Z][A-Z0-9_]*[A-Z0-9]\Z")


def shell_name(path: str) -> str:
    """REQ_ and the field's dotted path in capitals: evalPaths.domain -> REQ_EVAL_PATHS_DOMAIN."""
    return "REQ_" + re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", path).replace(".", "_").upper()


def request_values(value, path: str = ""):
    """(dotted path, value) of each field of the request that is not an object, nested ones included."""
    if isinstance(value, dict):
        for name, child in value.items():
            yield from request_values(child, f"{path}.{name}" if path else name)
    else:
        yield path, value


def shell_text(value) -> str:
    """A JSON value as the scripts read it: true/false, numbers as JSON writes them, null as the empty string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def stage_paths(request: dict) -> dict:
    """The paths of a run that both this package and the scripts use, each written once, here."""
    run_directory = run_dir(request["run"])
    paths = {"RUN_DIR": run_directory, "CKPT_DIR": checkpoint_dir(request["run"]), "COMPILE_CACHE": compile_cache()}
    if "trainPath" not in request:  # a status or cancel request
        return paths
    general = request["evalPaths"]["general"]
    checkout = nxd_dir(request["neuronRelease"])
    return {
        **paths,
        "TRAIN_DIR": fsx_path(request["trainPath"]),
        "EVAL_DOMAIN_DIR": fsx_path(request["evalPaths"]["domain"]),
        "EVAL_GENERAL_DIR": "" if general is None else fsx_path(general),
        # arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
        "SECRET_REGION": request["hfTokenSecretArn"].split(":")[3],
        "PATCHED_SCRIPT": patched_script(run_directory),
        "VENV": neuron_venv(request["neuronRelease"]),
        "NXD_DIR": checkout,
        "LLAMA_DIR": f"{checkout}/{LLAMA_DIR}",
        "EXAMPLE_SCRIPT": f"{checkout}/{LLAMA_SCRIPT}",
        "MODEL_CONFIG": f"{checkout}/{MODEL_CONFIG_DIR}/config.json",
        "CONVERTER": f"{checkout}/{LLAMA_DIR}/convert_checkpoints.py",
    }


def absent_fields(request: dict) -> list[str]:
    """The optional fields of a submit request that it leaves out (stopBy): the scripts read them as empty."""
    if "trainPath" not in request:  # a status or cancel request
        return []
    return [name for name in fields("submit") if name not in request]


def assignments(request: dict) -> str:
    """NAME='value' lines: REQ_<FIELD> for each field of the request (empty for an optional field it leaves out, so
    that `set -u` scripts can test it), then stage_paths."""
    pairs = [(shell_name(path), shell_text(value)) for path, value in request_values(request)]
    pairs += [(shell_name(name), "") for name in absent_fields(request)]
    pairs += stage_paths(request).items()
    lines = []
    for name, value in pairs:
        if not NAME_RE.match(name):
            raise ValueError(f"{name!r} is not a shell variable name")
        lines.append(f"{name}={shlex.quote(value)}")
    return "\n".join(lines) + "\n"


def cmd_env(request_file: str) -> None:
    print(assignments(read_json(request_file)), end="")
