"""The recordings of a round trip, written as cluster/training/tests/fixtures/nxd-*.json."""

from __future__ import annotations

import nxd_recordings as rec

from . import REPO
from .common import EXAMPLE, SCRIPT_DIR, TINY, say


def fixtures(trip) -> dict:
    """The recordings, as fixtures/<name>.json contents."""
    converter = f"{EXAMPLE}/convert_checkpoints.py (neuronx-distributed v2.28.0)"
    how = "recorded by scripts/nxd-roundtrip.sh; see cluster/training/tests/nxd_recordings.py"
    cases = {
        "fused": "stage-prepare.sh as it is (--coalesce_qkv True); training --fuse_qkv 1",
        "separate": "stage-prepare.sh without --coalesce_qkv True; training --fuse_qkv 0",
    }
    return {
        "nxd-tiny-config": {
            "about": f"the model of the recordings: {SCRIPT_DIR}/7B_config_llama2/config.json "
            f"with {sorted(TINY)} changed; {how}",
            "changed": TINY,
            "config": trip.config,
        },
        "nxd-prepare": {
            "about": f"{converter} --convert_from_full_state: the shards it wrote, per TP and rank; {how}",
            "cases": cases,
            "commands": trip.commands["prepare"],
            "shards": trip.record["prepare"],
        },
        "nxd-model": {
            "about": "the training script's model (get_model, nxd.initialize_parallel_model) per TP and "
            "rank: its state dict after nxd.load_checkpoint of the case's shards, and the error "
            f"of loading the other case's shards; {how}",
            "script": trip.script_note,
            "cases": cases,
            "state": trip.record["model"],
            "load_other_layout": trip.record["cross"],
        },
        "nxd-export": {
            "about": f"{converter} --convert_to_full_state --load_xser True of the checkpoint that "
            "nxd.save_checkpoint wrote: the merged full state, or the error; then "
            f"hf_checkpoint.py to-hf compared with the original; {how}",
            "cases": cases,
            "commands": trip.commands["export"],
            "full_state": {k: v for k, v in trip.record["export"].get("fused", {}).items()},
            "failure": trip.record["export"].get("separate", {}),
            "compare": trip.record["compare"],
        },
        "nxd-train-args": {
            "about": "cpt.arguments.training_arguments (paths as placeholders: CPT_FSX=<FSX>, nxd_dir "
            "<NXD>) and the namespace that the training script's own argparse made of "
            f"them (--model_path shown as given); {how}",
            "script": trip.script_note,
            **trip.record["arguments"],
        },
    }


def write_fixtures(trip) -> None:
    rec.FIXTURES.mkdir(exist_ok=True)
    for name, content in fixtures(trip).items():
        path = rec.FIXTURES / f"{name}.json"
        path.write_text(rec.dumps(content) + "\n")
        say(f"recorded {path.relative_to(REPO)} ({path.stat().st_size} bytes)")
