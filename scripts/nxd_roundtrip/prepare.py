"""The prepare stage of the round trip: stage-prepare.sh's own commands, and the real converter's shards."""

from __future__ import annotations

import shutil
from pathlib import Path

import nxd_recordings as rec

from .common import listing, say, stage_commands


class PrepareStep:
    def prepare(self, tp: int, case: str, stage: dict) -> None:
        values = stage["values"]
        full_state, convert = stage_commands(rec.STAGE_PREPARE, values, converter=1, ours="full-state")
        recorded = rec.stage_commands(rec.STAGE_PREPARE)  # the same commands, expanded with the placeholders
        if case == "separate":
            convert = rec.without(convert, "--coalesce_qkv", "True")
            recorded[1] = rec.without(recorded[1], "--coalesce_qkv", "True")
        self.commands.setdefault("prepare", {})[case] = recorded
        base_hf = Path(values["BASE_HF"])
        base_hf.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.hf, base_hf)  # what the download step leaves there
        (stage["run_dir"] / "base" / "full").mkdir(parents=True, exist_ok=True)
        self.run(f"tp{tp} {case} full-state", full_state, self.plain_env)
        self.run(f"tp{tp} {case} convert_from_full_state", convert, self.device_env)
        import torch

        shards = []
        for rank in range(tp):
            shard = torch.load(
                Path(values["BASE_NXD"]) / "model" / rec.SHARD_NAME.format(rank), map_location="cpu", weights_only=True
            )
            shards.append(listing(shard))
        self.record["prepare"].setdefault(case, {})[str(tp)] = shards
        full = torch.load(Path(values["RUN_DIR"]) / "base/full/checkpoint.pt", map_location="cpu", weights_only=True)
        dtypes = sorted({str(v.dtype) for v in full.values()})
        shard_dtypes = sorted({d for s in shards for d, _ in s.values()})
        say(
            f"    full state: {len(full)} tensors, {dtypes}; {tp} shards: {len(shards[0])} tensors each, "
            f"{shard_dtypes}; e.g. rank 0 {self.qkv_summary(shards[0])}"
        )
        ckpt = Path(values["CKPT_DIR"])
        ckpt.mkdir(parents=True, exist_ok=True)
        (ckpt / "pretrained_weight").symlink_to(values["BASE_NXD"])  # ln -sfn "$BASE_NXD" "$CKPT_DIR/pretrained_weight"

    @staticmethod
    def qkv_summary(shard: dict) -> str:
        keys = [k for k in shard if k.startswith("model.layers.0.self_attn.") and "o_proj" not in k]
        return ", ".join(f"{k.split('self_attn.')[1]} {shard[k][0].replace('torch.', '')}{shard[k][1]}" for k in keys)
