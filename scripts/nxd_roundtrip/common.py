"""The round trip's constants, its one error type and its small helpers."""

from __future__ import annotations

import socket
from pathlib import Path

import nxd_recordings as rec

from . import REPO, TRAINING

ENTRY = REPO / "scripts" / "nxd-roundtrip.py"  # what the training and resume processes run (train-rank, resume-check)
NXD_VERSION = "0.17.0"  # src/neuronx_distributed/_version.py at tag v2.28.0
EXAMPLE = "examples/training/llama"
SCRIPT_DIR = f"{EXAMPLE}/tp_zero1_llama_hf_pretrain"
STUBS = REPO / "scripts" / "nxd_device_stubs"
PATCH = TRAINING / "nxd-pretrain.patch"
RESUME_DATA = TRAINING / "resume_data.py"
# The tiny model: 7B_config_llama2 with these keys changed. Every size divides by 8, the largest TP recorded.
TINY = {
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 8,
    "hidden_size": 64,
    "intermediate_size": 176,
}
SEED = 20260311
TRAIN_TIMEOUT = 1200


class Failure(Exception):
    pass


def say(message: str = "") -> None:
    print(message, flush=True)


def listing(state: dict) -> dict:
    """{key: [dtype, shape]} of a state dict, in its own order."""
    return {key: [str(value.dtype), list(value.shape)] for key, value in state.items()}


def stage_commands(script: Path, values: dict, converter: int, ours: str) -> list[list[str]]:
    """The two commands of a stage script expanded with `values`: the real converter (command number `converter`)
    and hf_checkpoint.py `ours` (the other one)."""
    commands = rec.stage_commands(script, values)
    if commands[converter][1] != values["CONVERTER"] or ours not in commands[1 - converter]:
        raise Failure(f"{script.name}: unexpected commands {commands[0]} {commands[1]}")
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Data shapes of the resume check: (rows, data-parallel degree, micro batch, gradient accumulation). Passes that are
# not whole steps (some checkpoints take rows of two passes), tails of a pass shorter than a step after some
# checkpoints (resume_data's "then the next pass" rule), and rows a rank leaves over after its last micro-batch
# (85 rows, 4 ranks, micro batch 2: 21 rows a rank, 10 micro-batches) with such tails.
RESUME_SHAPES = ((103, 4, 2, 3), (54, 4, 1, 4), (40, 2, 1, 5), (64, 4, 2, 4), (85, 4, 2, 4))
RESUME_STEPS = 40
