"""Writes training sets in the layout of Hugging Face `datasets.Dataset.save_to_disk`, which the Neuron training
script opens with `datasets.load_from_disk`: Arrow stream shards, `dataset_info.json` and `state.json`. Executors
write the shards in parallel; the driver writes the two JSON files once every shard is in place."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa

from . import storage
from .options import join_uri

# The reference's types: run_clm's tokenizer output (input_ids int32, attention_mask int8); labels copy input_ids.
FEATURES = {
    name: {"feature": {"dtype": dtype, "_type": "Value"}, "_type": "Sequence"}
    for name, dtype in (("input_ids", "int32"), ("attention_mask", "int8"), ("labels", "int32"))
}
SCHEMA = pa.schema(
    [
        pa.field("input_ids", pa.list_(pa.int32())),
        pa.field("attention_mask", pa.list_(pa.int8())),
        pa.field("labels", pa.list_(pa.int32())),
    ],
    metadata={"huggingface": json.dumps({"info": {"features": FEATURES}})},
)


def shard_name(index: int, count: int) -> str:
    return f"data-{index:05d}-of-{count:05d}.arrow"


def training_batch(input_ids: pa.ListArray, length: int) -> pa.RecordBatch:
    """The three columns the training script reads, from rows of `length` tokens."""
    values = input_ids.flatten().cast(pa.int32())
    if len(values) != len(input_ids) * length:
        raise ValueError(f"rows are not all {length} tokens long")
    offsets = pa.array(np.arange(0, len(values) + 1, length, dtype=np.int32))
    ids = pa.ListArray.from_arrays(offsets, values)
    mask = pa.ListArray.from_arrays(offsets, pa.array(np.ones(len(values), dtype=np.int8)))
    return pa.RecordBatch.from_arrays([ids, mask, ids], schema=SCHEMA)


def write_empty_shard(directory_uri: str) -> str:
    """A set without rows still opens with load_from_disk: as zero rows of the right columns."""
    name = shard_name(0, 1)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA):
        pass
    storage.write_bytes(join_uri(directory_uri, name), sink.getvalue().to_pybytes())
    return name


def write_dataset_metadata(directory_uri: str, shard_files: list[str], fingerprint_source: str) -> None:
    """Commits a dataset directory: before these files exist, load_from_disk cannot open it."""
    fingerprint = hashlib.sha256(fingerprint_source.encode()).hexdigest()[:16]
    info = {"citation": "", "description": "", "features": FEATURES, "homepage": "", "license": ""}
    state = {
        "_data_files": [{"filename": name} for name in shard_files],
        "_fingerprint": fingerprint,
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    storage.write_bytes(join_uri(directory_uri, "dataset_info.json"), json.dumps(info, indent=2).encode())
    storage.write_bytes(join_uri(directory_uri, "state.json"), json.dumps(state, indent=2).encode())
