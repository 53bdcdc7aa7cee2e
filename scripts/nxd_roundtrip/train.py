"""The train stage of the round trip: the real training script, patched as the prepare stage patches it, under
torchrun with TP processes (train_rank.py is one of them)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import nxd_recordings as rec

from . import cluster_side
from .common import ENTRY, EXAMPLE, PATCH, RESUME_DATA, SCRIPT_DIR, TRAIN_TIMEOUT, Failure, free_port, say


class TrainStep:
    def training_script(self) -> tuple[Path, str]:
        """The script to run: the example's with nxd-pretrain.patch applied by the prepare stage's own command (GNU
        patch --fuzz=0: the patch must apply to the tag exactly), next to resume_data.py."""
        target = self.work / "training-script"
        if target.exists():
            return target / "tp_zero1_llama_hf_pretrain.py", self.script_note
        shutil.copytree(self.nxd / SCRIPT_DIR, target)
        script = target / "tp_zero1_llama_hf_pretrain.py"
        applied = subprocess.run(
            [
                "patch",
                "--fuzz=0",
                "--batch",
                "--reject-file=-",
                "-o",
                f"{script}.patched",
                str(self.nxd / SCRIPT_DIR / script.name),
                str(PATCH),
            ],
            capture_output=True,
            text=True,
        )
        if applied.returncode != 0:
            raise Failure(
                f"{PATCH.name} does not apply to {SCRIPT_DIR}/{script.name} at v2.28.0:\n"
                + applied.stdout
                + applied.stderr
            )
        os.replace(f"{script}.patched", script)
        shutil.copy2(RESUME_DATA, target / RESUME_DATA.name)
        digest = hashlib.sha256(PATCH.read_bytes()).hexdigest()[:16]
        self.script_note = (
            f"{SCRIPT_DIR}/tp_zero1_llama_hf_pretrain.py at v2.28.0 with "
            f"cluster/training/{PATCH.name} (sha256 {digest}...) applied with patch --fuzz=0"
        )
        say(f"training script: {self.script_note}")
        return target / "tp_zero1_llama_hf_pretrain.py", self.script_note

    def train(self, tp: int, case: str, stage: dict, other: dict) -> None:
        script, _ = self.training_script()
        os.environ["CPT_FSX"] = str(stage["fsx"])
        arguments = cluster_side.training_arguments(stage["request"], "train", str(self.nxd), str(stage["run_dir"]))
        if rec.value_of(arguments, "--fuse_qkv") != "1":
            raise Failure(
                f"cpt.arguments.training_arguments gives --fuse_qkv {rec.value_of(arguments, '--fuse_qkv')}, "
                "not 1: the layout this script checks is not the one the service trains"
            )
        script_args = rec.replaced(arguments[1:], "--model_path", str(self.config_dir))
        if case == "separate":
            script_args = rec.replaced(script_args, "--fuse_qkv", "0")
        Path(cluster_side.fsx_path(stage["request"]["trainPath"])).mkdir(parents=True, exist_ok=True)
        out = self.work / f"tp{tp}" / f"train-{case}"
        out.mkdir(parents=True)
        spec = {
            "script": str(script),
            "llama_dir": str(self.nxd / EXAMPLE),
            "args": script_args,
            "out": str(out),
            "tag": stage["values"]["tag"],
            "cross": {other["case"]: other["values"]["CKPT_DIR"]},
        }
        spec_file = out / "spec.json"
        spec_file.write_text(json.dumps(spec, indent=2))
        env = {**self.device_env, "NXD_CPU_MODE": "1", "OMP_NUM_THREADS": "1"}
        self.run(
            f"tp{tp} {case} train",
            [
                self.python,
                "-m",
                "torch.distributed.run",
                "--nproc-per-node",
                str(tp),
                "--master-port",
                str(free_port()),
                str(ENTRY),
                "train-rank",
                str(spec_file),
            ],
            env,
            timeout=TRAIN_TIMEOUT,
        )
        ranks = [json.loads((out / f"rank_{rank:02d}.json").read_text()) for rank in range(tp)]
        for rank, result in enumerate(ranks):
            if result["tp_rank"] != rank:
                raise Failure(f"process {rank} had tensor-parallel rank {result['tp_rank']}")
        self.record["model"].setdefault(case, {})[str(tp)] = [r["state"] for r in ranks]
        self.record["cross"].setdefault(case, {})[str(tp)] = ranks[0]["cross"]
        if any(r["cross"] != ranks[0]["cross"] for r in ranks):
            raise Failure(f"the ranks disagree on loading the other layout: {[r['cross'] for r in ranks]}")
        prepared = self.record["prepare"][case][str(tp)]
        for rank in range(tp):
            model_shapes = {k: v[1] for k, v in ranks[rank]["state"].items()}
            shard_shapes = {k: v[1] for k, v in prepared[rank].items()}
            if model_shapes != shard_shapes:
                raise Failure(f"rank {rank}: the model's state dict is not the shard's: {model_shapes} {shard_shapes}")
        say(
            f"    model (--fuse_qkv {rec.value_of(script_args, '--fuse_qkv')}): nxd.load_checkpoint(pretrained_weight, "
            f"strict=True) loaded all {tp} shards; rank 0 state dict {self.qkv_summary(ranks[0]['state'])}, norms "
            f"{ranks[0]['state']['model.norm.weight'][0]}; saved {stage['values']['tag']} with "
            f"nxd.save_checkpoint(use_xser=True)"
        )
        for name, message in ranks[0]["cross"].items():
            say(
                f"    the same model with the {name} layout's shards: {message.splitlines()[0]} "
                f"{' | '.join(line.strip() for line in message.splitlines()[1:])[:160]}"
            )
        if tp == max(self.tps) and case == "fused":
            self.record_arguments(stage, ranks[0]["parsed"], script_args)

    def record_arguments(self, stage: dict, parsed: dict, script_args: list[str]) -> None:
        """The training arguments with placeholders for the paths, and the training script's parse of them."""
        os.environ["CPT_FSX"] = rec.FSX_PLACEHOLDER
        placeholder = cluster_side.training_arguments(
            stage["request"], "train", rec.NXD_PLACEHOLDER, cluster_side.run_dir(stage["run"])
        )
        os.environ["CPT_FSX"] = str(stage["fsx"])
        mapping = {real: shown for real, shown in zip(script_args, placeholder[1:]) if real != shown}
        self.record["arguments"] = {
            "request": stage["request"],
            "argv": placeholder,
            "parsed": {k: mapping.get(v, v) if isinstance(v, str) else v for k, v in parsed.items()},
        }
