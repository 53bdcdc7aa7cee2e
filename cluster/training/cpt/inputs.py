"""The prepare stage's checks of a run's inputs: the datasets (load_from_disk folders) and the downloaded base model."""

from __future__ import annotations

import os

from .files import read_json


def cmd_check_dataset(directory: str) -> None:
    """A folder written by datasets' save_to_disk (or the Glue job, which writes the same layout)."""
    missing = [
        name for name in ("dataset_info.json", "state.json") if not os.path.isfile(os.path.join(directory, name))
    ]
    if missing:
        raise RuntimeError(f"{directory} is not a load_from_disk dataset folder: no {' and no '.join(missing)}")
    state = read_json(os.path.join(directory, "state.json"))
    files = [entry.get("filename") for entry in state.get("_data_files", [])]
    absent = [name for name in files if not name or not os.path.isfile(os.path.join(directory, name))]
    if not files or absent:
        raise RuntimeError(f"{directory}/state.json names no data file, or names missing ones: {absent}")
    print(f"{directory}: {len(files)} data file(s)")


MODEL_SHAPE_KEYS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)


def cmd_check_model(base_config: str, reference_config: str) -> None:
    """The downloaded model has the shape of the training script's model config (Llama 2 7B)."""
    base, reference = read_json(base_config), read_json(reference_config)
    differences = [
        f"{key} {base.get(key)} (the training config says {reference.get(key)})"
        for key in MODEL_SHAPE_KEYS
        if base.get(key, reference.get(key)) != reference.get(key)
    ]
    if differences:
        raise RuntimeError(f"{base_config} is not shaped like {reference_config}: " + "; ".join(differences))
    print(f"{base_config}: same shape as {reference_config}")
