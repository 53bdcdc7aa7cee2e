#!/usr/bin/env python3
"""Fake of neuronx-distributed v2.28.0's examples/training/llama/convert_checkpoints.py for the CI sandbox
(training_sandbox.FAKE runs it for `python3 .../convert_checkpoints.py FLAGS`): it replays what the real converter
was recorded doing by scripts/nxd-roundtrip.sh (fixtures/nxd-*.json, read through nxd_recordings). Standard
library only; it never sees a tensor.

  --convert_from_full_state   accepted only with the flags of a recorded prepare command (nxd_recordings.flag_pairs:
                              paths and --tp_size's value aside) and a recorded --tp_size; writes
                              OUTPUT_DIR/model/dp_rank_00_tp_rank_XX_pp_rank_00.pt, one a rank, each a fake shard
                              carrying the recorded listing of that rank's tensors (keys, dtypes, shapes)
  --convert_to_full_state     accepted only with the recorded export flags; reads the fake shards of --input_dir
                              and fails as the real merge does unless they hold the recorded training layout
                              (--fuse_qkv 1): the recorded KeyError 'q_proj.weight' for the --fuse_qkv 0 layout, a
                              clear message for any other; else writes OUTPUT_DIR/checkpoint.pt carrying the
                              recorded full-state listing
Anything else exits 1 with "the real converter was not recorded with these flags: ...". The listings are those of
the tiny model of the recordings (fixtures/nxd-tiny-config.json), whatever --config says.

A fake shard (and the fake checkpoint.pt) is JSON: {"fake": SHARD_FORMAT, "written_by": ..., "tp_rank": r,
"tp_size": n, "tensors": {key: [dtype, shape]}}. For the fake trainer: model_keys(fuse_qkv, tp_size) gives the
state dict of the training script's model per rank (what it saves), read_shards/write_shards read and write fake
shards, and load_error tells what the script's strict nxd.load_checkpoint would say of given shards.
"""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nxd_recordings as rec  # noqa: E402

SHARD_FORMAT = "trainium-cpt fake neuronx-distributed shard: a listing of tensors, no data"


class NotRecorded(Exception):
    pass


@lru_cache(maxsize=None)
def fixture(name: str) -> dict:
    return rec.load(name)


def tp_sizes() -> list[int]:
    return sorted(int(tp) for tp in fixture("nxd-model")["state"]["fused"])


def _case(fuse_qkv: bool) -> str:
    return "fused" if fuse_qkv else "separate"


def _tp(tp_size: int, source: str) -> str:
    if str(tp_size) not in fixture(source)["state" if source == "nxd-model" else "shards"]["fused"]:
        raise NotRecorded(
            f"the real converter and model were not recorded at tensor-parallel degree {tp_size} "
            f"(recorded: {', '.join(map(str, tp_sizes()))}; scripts/nxd-roundtrip.sh --tp)"
        )
    return str(tp_size)


def model_keys(fuse_qkv: bool, tp_size: int) -> dict[int, dict]:
    """{tp rank: {key: [dtype, shape]}}: the state dict of the training script's model (get_model with --fuse_qkv 1 or
    0, sequence parallel, selective checkpointing) on each rank, as recorded; what nxd.save_checkpoint saves."""
    ranks = fixture("nxd-model")["state"][_case(fuse_qkv)][_tp(tp_size, "nxd-model")]
    return dict(enumerate(ranks))


def prepared_keys(case: str, tp_size: int) -> dict[int, dict]:
    """{tp rank: listing} of the shards the real --convert_from_full_state wrote for `case` (rec.CASES)."""
    return dict(enumerate(fixture("nxd-prepare")["shards"][case][_tp(tp_size, "nxd-prepare")]))


def shard_path(model_dir, rank: int) -> Path:
    return Path(model_dir) / rec.SHARD_NAME.format(rank)


def write_shards(model_dir, listings: dict[int, dict], written_by: str) -> None:
    """Writes MODEL_DIR/dp_rank_00_tp_rank_XX_pp_rank_00.pt for each rank of `listings` ({rank: listing})."""
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    for rank, tensors in listings.items():
        shard = {
            "fake": SHARD_FORMAT,
            "written_by": written_by,
            "tp_rank": rank,
            "tp_size": len(listings),
            "tensors": tensors,
        }
        shard_path(model_dir, rank).write_text(json.dumps(shard, indent=1) + "\n")


def read_shard(path) -> dict:
    """The listing of a fake shard; ValueError if `path` is not one."""
    try:
        shard = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a fake shard (no JSON: {error})") from None
    if not isinstance(shard, dict) or shard.get("fake") != SHARD_FORMAT:
        raise ValueError(f"{path} is not a fake shard")
    return shard["tensors"]


def read_shards(model_dir, tp_size: int) -> dict[int, dict]:
    return {rank: read_shard(shard_path(model_dir, rank)) for rank in range(tp_size)}


def _shapes(listing: dict) -> dict:
    return {key: list(value[1]) for key, value in listing.items()}


def load_error(shards: dict[int, dict], fuse_qkv: bool, tp_size: int) -> str | None:
    """What the training script's nxd.load_checkpoint(tag="pretrained_weight") (load_state_dict, strict) raises for
    these shard listings ({rank: listing}) on a --fuse_qkv model, or None when every rank loads (same keys and
    shapes; dtypes are cast on load). The recorded error when the shards are the other layout's prepare output, else
    PyTorch's message built from the difference."""
    expected = model_keys(fuse_qkv, tp_size)
    if sorted(shards) != list(range(tp_size)):
        return f"expected the shards of tensor-parallel ranks 0 to {tp_size - 1}, got ranks {sorted(shards)}"
    other = "separate" if fuse_qkv else "fused"
    for rank in range(tp_size):
        if _shapes(shards[rank]) == _shapes(expected[rank]):
            continue
        if _shapes(shards[rank]) == _shapes(prepared_keys(other, tp_size)[rank]):
            return fixture("nxd-model")["load_other_layout"][_case(fuse_qkv)][str(tp_size)][other]
        missing = [k for k in expected[rank] if k not in shards[rank]]
        unexpected = [k for k in shards[rank] if k not in expected[rank]]
        lines = ["Error(s) in loading state_dict for LlamaForCausalLM:"]
        if missing:
            lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if unexpected:
            lines.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        for key, value in shards[rank].items():
            if key in expected[rank] and list(value[1]) != list(expected[rank][key][1]):
                lines.append(
                    f"size mismatch for {key}: copying a param with shape torch.Size({list(value[1])}) from "
                    f"checkpoint, the shape in current model is torch.Size({list(expected[rank][key][1])})."
                )
        return "\n\t".join(lines)
    return None


# --- the converter ---


def _recorded_case(argv: list[str], direction: str) -> str:
    pairs = rec.flag_pairs(argv)
    if direction == "prepare":
        for case, commands in fixture("nxd-prepare")["commands"].items():
            if rec.flag_pairs(commands[1][2:]) == pairs:
                return case
        recorded = [rec.flag_pairs(c[1][2:]) for c in fixture("nxd-prepare")["commands"].values()]
    else:
        commands = fixture("nxd-export")["commands"]
        if rec.flag_pairs(commands[0][2:]) == pairs:
            return "fused"
        recorded = [rec.flag_pairs(commands[0][2:])]
    raise NotRecorded(f"the real converter was not recorded with these flags: {pairs} (recorded: {recorded})")


def _check_config(argv: list[str]) -> None:
    path = rec.value_of(argv, "--config")
    config = json.loads(Path(path).read_text(encoding="utf-8"))
    if config.get("num_attention_heads") != config.get("num_key_value_heads", config.get("num_attention_heads")):
        raise NotRecorded(
            f"the real converter was recorded with a model without GQA only; {path} has "
            f"{config.get('num_attention_heads')} heads and {config.get('num_key_value_heads')} KV heads"
        )


def prepare(argv: list[str]) -> int:
    case = _recorded_case(argv, "prepare")
    tp = int(rec.value_of(argv, "--tp_size"))
    listings = prepared_keys(case, tp)
    source = rec.value_of(argv, "--input_dir")
    if not os.path.isfile(source):
        print(f"FileNotFoundError: [Errno 2] No such file or directory: '{source}'", file=sys.stderr)
        return 1
    _check_config(argv)
    model_dir = Path(rec.value_of(argv, "--output_dir")) / "model"
    print("pipeline_cuts []")
    write_shards(model_dir, listings, f"fake convert_checkpoints.py --convert_from_full_state ({case} q/k/v)")
    for rank in range(tp):
        print(f"Saving to {shard_path(model_dir, rank)}")
    return 0


def export(argv: list[str]) -> int:
    _recorded_case(argv, "export")
    tp = int(rec.value_of(argv, "--tp_size"))
    full_state = fixture("nxd-export")["full_state"][_tp(tp, "nxd-model")]
    _check_config(argv)
    input_dir = Path(rec.value_of(argv, "--input_dir"))
    shards = {}
    for rank in range(tp):
        path = shard_path(input_dir, rank)
        if not path.is_file():  # CheckpointConverterBase.get_input_filename's error
            v1 = input_dir / f"tp_rank_{rank:02d}_pp_rank_00"
            v3 = input_dir / f"dp_rank_00_ep_rank_00_tp_rank_{rank:02d}_pp_rank_00.pt"
            print(f"RuntimeError: Error: neither {v1}, nor {path}, nor {v3} exist", file=sys.stderr)
            return 1
        shards[rank] = read_shard(path)
    fused, separate = model_keys(True, tp), model_keys(False, tp)
    if all(_shapes(shards[r]) == _shapes(separate[r]) for r in range(tp)):
        print("\n".join(fixture("nxd-export")["failure"][str(tp)]["stderr"]), file=sys.stderr)
        return fixture("nxd-export")["failure"][str(tp)]["returncode"]
    for rank in range(tp):
        if _shapes(shards[rank]) != _shapes(fused[rank]):
            missing = sorted(set(fused[rank]) - set(shards[rank]))
            unexpected = sorted(set(shards[rank]) - set(fused[rank]))
            print(
                f"fake convert_checkpoints.py: {shard_path(input_dir, rank)} does not hold the recorded training "
                f"layout (--fuse_qkv 1): missing {missing}, unexpected {unexpected}, or other shapes; the real "
                "merge_tp_checkpoints was recorded with that layout (and with --fuse_qkv 0's, which fails)",
                file=sys.stderr,
            )
            return 1
    output = Path(rec.value_of(argv, "--output_dir"))
    output.mkdir(parents=True, exist_ok=True)
    target = output / "checkpoint.pt"
    print(f"Saving full checkpoint to {target}")
    target.write_text(
        json.dumps(
            {
                "fake": SHARD_FORMAT,
                "written_by": "fake convert_checkpoints.py --convert_to_full_state",
                "tp_rank": None,
                "tp_size": tp,
                "tensors": full_state,
            },
            indent=1,
        )
        + "\n"
    )
    return 0


def main(argv: list[str]) -> int:
    try:
        if "--convert_from_full_state" in argv:
            return prepare(argv)
        if "--convert_to_full_state" in argv:
            return export(argv)
        _recorded_case(argv, "prepare")
        raise AssertionError("unreachable")
    except (NotRecorded, ValueError) as error:
        print(f"fake convert_checkpoints.py: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
