#!/usr/bin/env python3
"""Measures how much FSx for Lustre's LZ4 data compression (DataCompressionType LZ4, lib/cluster/cluster-config.ts)
saves on what the file system holds during a run, and writes the figures `npm run plan` sizes FSx with
(lib/plan/fsx-compression.json).

    .venv/bin/python scripts/measure-fsx-compression.py [--demo-dataset DIR] [--random-rows N] [--tensor-mib M]
        [--out FILE]

What it compresses, each in independent blocks of BLOCK_BYTES (FSx does not document the block it compresses; the
smaller one saves less, and the plan takes the smallest saving of all):
  datasets  the training set as the tokenization job writes it (glue/src/cpt_data/hf_dataset.py training_batch in
            an Arrow stream, as pipeline.py write_shards does):
              - every data-*.arrow shard of the demo's tokenized sample corpus (`npm run demo` writes it under
                .local/datasets/demo/<attempt>/, rows of 256 tokens);
              - the same tokens packed again by the job's writer into rows of 4,096 (the seed run's length);
              - rows of 4,096 token ids drawn uniformly from the Llama 2 vocabulary (seeded): no repeated phrase at
                all, a floor for real text, whose frequent tokens repeat within LZ4's 64 KiB window.
            The sample corpus is synthetic (scripts/make-sample-corpus.py: template text): it repeats more than
            PubMed does, so its saving is an upper reference; the plan sizes with the smallest saving measured.
  tensors   weight-like tensors, normal with standard deviation 0.02, in bfloat16 (the model, the base model, the
            exports) and float32 (ZeRO-1 master weights and Adam moments of a checkpoint), seeded. Random tensors
            are not real Llama weights (trained weights have more structure in their exponents); the plan counts
            checkpoints and models as incompressible and records these figures only as a check that LZ4 saves
            little on floating point.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
from pathlib import Path

import lz4
import lz4.block
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "glue" / "src"))

from cpt_data import hf_dataset  # noqa: E402  (the job's own writer, from glue/src)

# LZ4's match window is 64 KiB; Lustre's default stripe and RPC size is 1 MiB. Neither is FSx's documented block.
BLOCK_BYTES = (64 * 1024, 1024 * 1024)
SEQUENCE_LENGTH = 4096
# Llama 2's vocabulary (DESIGN.md: 32,000 ids); 0-2 are <unk>, <s>, </s>.
VOCAB_SIZE = 32000
SEED = 2026
DEFAULT_DEMO = ROOT / ".local" / "datasets" / "demo"
DEFAULT_OUT = ROOT / "lib" / "plan" / "fsx-compression.json"


def lz4_bytes(data: bytes, block: int) -> int:
    """Bytes `data` takes compressed in independent blocks of `block` bytes; a block LZ4 cannot shrink is kept as is."""
    total = 0
    for start in range(0, len(data), block):
        chunk = data[start : start + block]
        total += min(len(lz4.block.compress(chunk, store_size=False)), len(chunk))
    return total


def sample(name: str, what: str, data: bytes) -> dict:
    if not data:
        raise SystemExit(f"measure-fsx-compression: {name} is empty")
    compressed = {str(block): lz4_bytes(data, block) for block in BLOCK_BYTES}
    return {
        "name": name,
        "what": what,
        "bytes": len(data),
        "compressedBytes": compressed,
        "savedShare": round(1 - max(compressed.values()) / len(data), 4),
    }


def arrow_stream(rows: np.ndarray) -> bytes:
    """Rows of token ids (2-D int32) written as the job writes a shard: one record batch in an Arrow stream."""
    flat = pa.array(rows.reshape(-1).astype(np.int32))
    offsets = pa.array(np.arange(0, len(flat) + 1, rows.shape[1], dtype=np.int32))
    batch = hf_dataset.training_batch(pa.ListArray.from_arrays(offsets, flat), rows.shape[1])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, hf_dataset.SCHEMA) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def demo_shards(demo: Path) -> list[Path]:
    """The demo's training shards (the newest attempt's); none if `npm run demo` has not run."""
    attempts = sorted(p for p in demo.glob("attempt-*") if (p / "train").is_dir())
    return sorted((attempts[-1] / "train").glob("data-*.arrow")) if attempts else []


def demo_tokens(shards: list[Path]) -> np.ndarray:
    ids = []
    for shard in shards:
        with pa.OSFile(str(shard), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        ids.append(table.column("input_ids").combine_chunks().flatten().to_numpy(zero_copy_only=False))
    return np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)


def weights(count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, 0.02, count).astype(np.float32)


def bfloat16_bytes(values: np.ndarray) -> bytes:
    """bfloat16 is the upper half of a float32 (truncated: numpy has no bfloat16)."""
    return (values.view(np.uint32) >> 16).astype(np.uint16).tobytes()


def measure(demo: Path, random_rows: int, tensor_mib: float) -> dict:
    rng = np.random.default_rng(SEED)
    datasets = []
    shards = demo_shards(demo)
    for shard in shards:
        datasets.append(
            sample(
                f"demo/{shard.relative_to(demo).as_posix()}",
                "a training shard of `npm run demo` (the sample corpus tokenized by the job's local runner)",
                shard.read_bytes(),
            )
        )
    tokens = demo_tokens(shards)
    rows = len(tokens) // SEQUENCE_LENGTH
    if rows:
        datasets.append(
            sample(
                "sample-corpus-4096",
                f"the demo's {rows * SEQUENCE_LENGTH} training tokens packed by the job's writer into rows of "
                f"{SEQUENCE_LENGTH}",
                arrow_stream(tokens[: rows * SEQUENCE_LENGTH].reshape(rows, SEQUENCE_LENGTH)),
            )
        )
    datasets.append(
        sample(
            "uniform-ids-4096",
            f"{random_rows} rows of {SEQUENCE_LENGTH} token ids drawn uniformly from 3..{VOCAB_SIZE - 1} (seed {SEED}),"
            " written by the job's writer",
            arrow_stream(rng.integers(3, VOCAB_SIZE, size=(random_rows, SEQUENCE_LENGTH), dtype=np.int32)),
        )
    )
    count = int(tensor_mib * 1024 * 1024) // 4
    tensors = [
        sample(
            "normal-bfloat16",
            f"{count} values ~ N(0, 0.02) in bfloat16 (seed {SEED}): weight-like, not real Llama weights",
            bfloat16_bytes(weights(count, rng)),
        ),
        sample(
            "normal-float32",
            f"{count} values ~ N(0, 0.02) in float32 (seed {SEED}): master-weight-like, not real ones",
            weights(count, rng).tobytes(),
        ),
    ]
    return {
        "datasets": {
            "samples": datasets,
            "savedShare": min(s["savedShare"] for s in datasets),
            "why": "the smallest saving of the dataset samples, each at its larger compressed size of the block sizes",
        },
        "tensors": {
            "samples": tensors,
            "savedShare": 0,
            "why": "counted as incompressible: random tensors are not real weights, and what they save is small",
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo-dataset", type=Path, default=DEFAULT_DEMO, help="the demo's .local/datasets/demo")
    parser.add_argument("--random-rows", type=int, default=256, help="rows of uniform token ids (default 256)")
    parser.add_argument("--tensor-mib", type=float, default=16, help="MiB of each tensor sample (default 16)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write")
    args = parser.parse_args(argv)
    if args.random_rows < 1 or args.tensor_mib <= 0:
        parser.error("--random-rows must be at least 1 and --tensor-mib above 0")
    result = {
        "about": "FSx for Lustre LZ4 savings measured by scripts/measure-fsx-compression.py (see its docstring); "
        "read by lib/plan/estimate-storage.ts",
        "measuredOn": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "command": shlex.join([".venv/bin/python", "scripts/measure-fsx-compression.py", *(argv or sys.argv[1:])]),
        "lz4": {"package": "lz4", "version": lz4.library_version_string(), "python": lz4.__version__},
        "blockBytes": list(BLOCK_BYTES),
        **measure(args.demo_dataset, args.random_rows, args.tensor_mib),
    }
    if not result["datasets"]["samples"]:
        raise SystemExit("measure-fsx-compression: nothing measured")
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"wrote {args.out}: datasets save {result['datasets']['savedShare']:.1%} (smallest of "
        f"{len(result['datasets']['samples'])} samples); tensors "
        + ", ".join(f"{s['name']} {s['savedShare']:.1%}" for s in result["tensors"]["samples"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
