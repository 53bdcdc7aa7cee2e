"""What neuronx-distributed v2.28.0's own code produced for our checkpoint conversions, as recorded by
scripts/nxd-roundtrip.py in fixtures/nxd-*.json, and the helpers that read the recorded commands back out of the
stage scripts. Standard library only: used by the round trip (to record), by the CI fake converter
(fake_converter.py, to replay) and by test_nxd_recordings.py (to check both against the scripts).

The two layouts recorded ("cases"):
  fused     the one the stage scripts use: prepare with --coalesce_qkv True, train with --fuse_qkv 1 (one qkv_proj
            per layer, each rank's rows [q_r; k_r; v_r]); the export merges it back into q/k/v_proj.
  separate  the layout before issue 11: prepare without --coalesce_qkv, train with --fuse_qkv 0; the export fails
            (merge_tp_checkpoints maps every q/k/v key of a non-GQA model to qkv_proj: KeyError 'q_proj.weight').

A tensor listing is {state-dict key: [dtype, shape]}, e.g. {"model.norm.weight": ["torch.float32", [64]]}.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TRAINING = TESTS.parent
REPO = TRAINING.parent.parent
FIXTURES = TESTS / "fixtures"
STAGE_PREPARE = TRAINING / "stage-prepare.sh"
STAGE_EXPORT = TRAINING / "stage-export.sh"

CASES = ("fused", "separate")
# The converter's flags whose values are paths, and --tp_size: the parts of a command that differ between runs.
PATH_FLAGS = ("--config", "--input_dir", "--output_dir")
VARIABLE_FLAGS = PATH_FLAGS + ("--tp_size",)
# The values the recorded commands were expanded with (see stage_commands): the stage scripts' variables.
PLACEHOLDERS = {
    "VPY": "<VPY>",
    "CONVERTER": "<NXD>/examples/training/llama/convert_checkpoints.py",
    "SCRIPTS": "<SCRIPTS>",
    "REQ_TENSOR_PARALLEL": "<TP>",
    "MODEL_CONFIG": "<MODEL_CONFIG>",
    "RUN_DIR": "<RUN_DIR>",
    "BASE_HF": "<RUN_DIR>/base/hf",
    "BASE_NXD": "<RUN_DIR>/base/nxd",
    "CKPT_DIR": "<CKPT_DIR>",
    "EXPORT_DIR": "<RUN_DIR>/export",
    "tag": "<TAG>",
    "out": "<RUN_DIR>/export/<TAG>",
}
# cpt/arguments.py training_arguments was recorded with CPT_FSX set to this and nxd_dir set to
# PLACEHOLDERS' <NXD>.
FSX_PLACEHOLDER = "<FSX>"
NXD_PLACEHOLDER = "<NXD>"

SHARD_NAME = "dp_rank_00_tp_rank_{:02d}_pp_rank_00.pt"


def load(name: str) -> dict:
    """fixtures/<name>.json (name without the extension, e.g. "nxd-prepare")."""
    with open(FIXTURES / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def dumps(value, indent: int = 0) -> str:
    """JSON with sorted keys, an object's keys one a line, and lists of plain values (a listing's [dtype, shape])
    on one line: small diffs for the fixtures."""
    pad = " " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(str(k))}: {dumps(value[k], indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and any(
        isinstance(v, dict) or (isinstance(v, list) and any(isinstance(w, (dict, list)) for w in v)) for v in value
    ):
        return "[\n" + ",\n".join(pad + dumps(v, indent + 1) for v in value) + "\n" + " " * indent + "]"
    return json.dumps(value)


def command_texts(script: Path) -> list[str]:
    """The text of each command of `script` that runs the converter or hf_checkpoint.py with "$VPY" (the Neuron
    environment's Python), continuation lines joined."""
    texts, current = [], None
    for raw in script.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if current is None and line.startswith('"$VPY"'):
            current = ""
        if current is None:
            continue
        current += " " + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            if current.split()[1] in ('"$CONVERTER"', '"$SCRIPTS/hf_checkpoint.py"'):
                texts.append(current.strip())
            current = None
    return texts


def stage_commands(script: Path, values: dict[str, str] | None = None) -> list[list[str]]:
    """The "$VPY" commands of a stage script as argv lists, their words expanded by bash itself with the script's
    variables set to `values` (default PLACEHOLDERS): what the stage would run, read from the stage."""
    values = PLACEHOLDERS if values is None else values
    commands = []
    for text in command_texts(script):
        program = 'set -euf; printf "%s\\0" ' + text
        result = subprocess.run(
            ["bash", "-c", program],
            env={**{"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, **values},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{script.name}: cannot expand {text!r}: {result.stderr.strip()}")
        commands.append(result.stdout.split("\0")[:-1])
    return commands


def converter_command(script: Path, values: dict[str, str] | None = None) -> list[str]:
    """The flags of the one convert_checkpoints.py command of a stage script (the words after the script's path)."""
    values = PLACEHOLDERS if values is None else values
    found = [c[2:] for c in stage_commands(script, values) if c[1] == values["CONVERTER"]]
    if len(found) != 1:
        raise RuntimeError(f"{script.name}: expected one convert_checkpoints.py command, found {len(found)}")
    return found[0]


def flag_pairs(argv: list[str]) -> list[list]:
    """The converter flags of `argv` (without the program) as sorted [flag, value] pairs, value None for a flag
    without one, and the values of PATH_FLAGS and --tp_size replaced by "<value>": argparse does not care about the
    order, and those values differ from run to run."""
    pairs, i = [], 0
    while i < len(argv):
        flag = argv[i]
        if not flag.startswith("--"):
            raise ValueError(f"unexpected word {flag!r} in {argv}")
        value = None
        if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            value = argv[i + 1]
            i += 1
        if flag in VARIABLE_FLAGS:
            value = "<value>"
        pairs.append([flag, value])
        i += 1
    return sorted(pairs, key=lambda p: (p[0], "" if p[1] is None else p[1]))


def value_of(argv: list[str], flag: str, default=None):
    return argv[argv.index(flag) + 1] if flag in argv else default


def without(argv: list[str], flag: str, value: str) -> list[str]:
    """argv without the pair `flag value` (which must be in it)."""
    for i in range(len(argv) - 1):
        if argv[i] == flag and argv[i + 1] == value:
            return argv[:i] + argv[i + 2 :]
    raise ValueError(f"{flag} {value} is not in {argv}")


def replaced(argv: list[str], flag: str, value: str) -> list[str]:
    """argv with the value of `flag` (which must be in it) set to `value`."""
    i = argv.index(flag)
    return argv[: i + 1] + [value] + argv[i + 2 :]


def listing_keys(listing: dict) -> list[str]:
    return sorted(listing)


def layer_free(key: str) -> str:
    """model.layers.7.mlp.down_proj.weight -> model.layers.N.mlp.down_proj.weight"""
    return re.sub(r"\.layers\.\d+\.", ".layers.N.", key)
