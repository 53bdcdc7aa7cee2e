"""The run's checkpoints: the step_N folders neuronx-distributed writes into the checkpoint directory."""

from __future__ import annotations

import re
from pathlib import Path


def _checkpoint_folders(directory: str) -> list[Path]:
    """The step_N folders of `directory`, oldest step first."""
    root = Path(directory)
    if not root.is_dir():
        return []
    found = [
        (int(match.group(1)), entry.name, entry)
        for entry in root.iterdir()
        if (match := re.fullmatch(r"step_(\d+)", entry.name))
    ]
    return [entry for *_, entry in sorted(found)]


def completed_checkpoints(directory: str) -> list[str]:
    """Tags (step_N) of the completed checkpoints in `directory`, oldest step first. A checkpoint is complete when
    its `done` file exists: neuronx-distributed writes it last (trainer/checkpoint.py, v2.28.0), and its own
    "latest" looks only at such tags."""
    return [entry.name for entry in _checkpoint_folders(directory) if (entry / "done").is_file()]


def checkpoint_step(tag: str) -> int:
    return int(tag.split("_", 1)[1])


def any_checkpoints(directory: str) -> list[str]:
    """Tags (step_N) of every checkpoint folder in `directory`, completed or not, oldest step first."""
    return [entry.name for entry in _checkpoint_folders(directory)]


def cmd_checkpoints(directory: str) -> None:
    for tag in completed_checkpoints(directory):
        print(tag)


def cmd_any_checkpoints(directory: str) -> None:
    for tag in any_checkpoints(directory):
        print(tag)
