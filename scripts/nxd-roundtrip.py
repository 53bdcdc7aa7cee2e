#!/usr/bin/env python3
"""Checks our checkpoint conversions with neuronx-distributed v2.28.0's own code, on CPU, and records what that code
produced in cluster/training/tests/fixtures/nxd-*.json (which the CI fake converter replays).

    NXD_SOURCE=/path/to/neuronx-distributed scripts/nxd-roundtrip.sh [--tp 2,4,8] [--keep] [--no-record]

NXD_SOURCE is a source tree of github.com/aws-neuron/neuronx-distributed at tag v2.28.0 (its examples/ are not in
the pip package); the script refuses any other (src/neuronx_distributed/_version.py must say 0.17.0). It runs in
.venv-nxd (scripts/nxd-env.sh: the cluster's torch 2.9.0, torch-xla 2.9.0 and transformers 4.48.0).

For each tensor-parallel degree TP and each q/k/v layout (nxd_recordings.CASES: "fused", the stage scripts' one, and
"separate", the one before issue 11), in the folder layout of a run (CPT_FSX, RUN_DIR, checkpoint dir):
  1. a tiny random Llama of Llama 2 7B's family: the example's 7B_config_llama2/config.json (bfloat16, 32,000
     tokens, as many KV heads as heads) with 2 layers, 8 heads, hidden 64, intermediate 176; saved by transformers;
  2. prepare: the commands of cluster/training/stage-prepare.sh, read from that script and expanded by bash
     (nxd_recordings.stage_commands): hf_checkpoint.py full-state, then the real convert_checkpoints.py (the
     "separate" case drops --coalesce_qkv True);
  3. train: the real tp_zero1_llama_hf_pretrain.py (with cluster/training/nxd-pretrain.patch applied as the
     prepare stage does: GNU patch --fuzz=0, so a patch that no longer fits the tag fails here) under torchrun with TP processes, run as `__main__` with the arguments of
     cpt_lib.training_arguments (only --model_path points at the tiny config; "separate" trains with --fuse_qkv
     0): its own argparse, get_model, nxd.initialize_parallel_model, ZeRO-1 optimizer, scheduler and its
     nxd.load_checkpoint(tag="pretrained_weight", strict) of the prepared shards, up to its data loader, where it is
     stopped. Each rank then calls nxd.save_checkpoint with the arguments of the script's own call (model,
     optimizer, scheduler, user content, 8 workers, use_xser=True, --num_kept_checkpoint), and tries the other
     layout's shards with nxd.load_checkpoint to record the error;
  4. export: the commands of stage-export.sh (the real converter with --load_xser True, then hf_checkpoint.py
     to-hf); the "fused" result is loaded with transformers and every tensor compared with the original
     (torch.equal, same dtype); the "separate" export must fail, and its error is recorded.

What is replaced on CPU, and why (everything else is the real code):
  - scripts/nxd_device_stubs/sitecustomize.py (on PYTHONPATH of the converter and training processes): the
    device-only packages torch_neuronx, neuronxcc and libneuronxla (except libneuronxla.libneuronpjrt_path, kept
    absent so that torch_xla uses its CPU client) become inert placeholders, torch_neuronx.utils.get_platform_target
    answers "trn1", and torch.classes.neuron (torch_neuronx's TorchScript classes) a placeholder. They are
    imported at module level for kernels, tracing and the platform name; none takes part in these steps.
  - in the training processes only (train_rank below), following neuronx-distributed's own CPU mode
    (NXD_CPU_MODE=1: gloo process groups; test/integration/parallel_layers/test_layers.py at v2.28.0 runs it so):
    the script's torch.distributed.init_process_group("xla") gets backend "gloo" (the xla backend's collectives
    need the Neuron runtime); torch_xla's xm.rendezvous (an XLA all-gather, process-local on a CPU client)
    becomes torch.distributed.barrier(); xm.is_master_ordinal (the XLA ordinal, 0 in every CPU process, where on
    Neuron each process has its own) answers from the torch.distributed rank, so that only rank 0 writes the
    script's results.json, as on the cluster; and neuronx_distributed.parallel_layers.utils.is_pjrt_device answers
    True, as on the cluster (PJRT_DEVICE=NEURON): its other branch reads torch_xla's HOST_WORLD_SIZE, gone in
    torch-xla 2.9. training_utils.create_llama_pretraining_dataset is where the script is stopped.
What this does not prove: the tensors' values after training on Neuron (nothing is trained here: the weights go
through unchanged, so the round trip must be bit-exact), the model's forward pass on Neuron (NKI flash attention),
and a 7B model's sizes (the tiny model has the same key names, dtypes and split rules, not the same shapes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRAINING = REPO / "cluster" / "training"
sys.path.insert(0, str(TRAINING / "tests"))
sys.path.insert(0, str(TRAINING))
import nxd_recordings as rec  # noqa: E402
import cpt_lib  # noqa: E402

NXD_VERSION = "0.17.0"  # src/neuronx_distributed/_version.py at tag v2.28.0
EXAMPLE = "examples/training/llama"
SCRIPT_DIR = f"{EXAMPLE}/tp_zero1_llama_hf_pretrain"
REQUIRED = (
    "src/neuronx_distributed/_version.py",
    "src/neuronx_distributed/scripts/checkpoint_converter.py",
    "src/neuronx_distributed/trainer/checkpoint.py",
    f"{EXAMPLE}/convert_checkpoints.py",
    f"{EXAMPLE}/modeling_llama_nxd.py",
    f"{EXAMPLE}/training_utils.py",
    f"{SCRIPT_DIR}/tp_zero1_llama_hf_pretrain.py",
    f"{SCRIPT_DIR}/logger.py",
    f"{SCRIPT_DIR}/7B_config_llama2/config.json",
)
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


def check_source(value: str | None) -> Path:
    if not value:
        raise Failure(
            "NXD_SOURCE is not set: point it at a source tree of github.com/aws-neuron/neuronx-distributed "
            "at tag v2.28.0 (e.g. git -C MIRROR archive v2.28.0 | tar -x -C DIR)"
        )
    root = Path(value).resolve()
    missing = [name for name in REQUIRED if not (root / name).is_file()]
    if missing:
        raise Failure(f"NXD_SOURCE={root} is not a neuronx-distributed v2.28.0 source tree: no {', '.join(missing)}")
    version_text = (root / "src/neuronx_distributed/_version.py").read_text()
    if f'__version__ = "{NXD_VERSION}"' not in version_text:
        raise Failure(
            f"NXD_SOURCE={root} is not tag v2.28.0: its _version.py says "
            f'{version_text.strip().splitlines()[-1]!r}, not __version__ = "{NXD_VERSION}"'
        )
    return root


def listing(state: dict) -> dict:
    """{key: [dtype, shape]} of a state dict, in its own order."""
    return {key: [str(value.dtype), list(value.shape)] for key, value in state.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RoundTrip:
    def __init__(self, nxd: Path, work: Path, tps: list[int]):
        self.nxd, self.work, self.tps = nxd, work, tps
        self.python = sys.executable
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.stub_log = work / "stubbed-names.txt"
        self.device_env = {
            **os.environ,
            "PYTHONPATH": f"{STUBS}:{nxd / 'src'}",
            "PJRT_DEVICE": "CPU",
            "NXD_STUB_LOG": str(self.stub_log),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.plain_env = {**os.environ, "PJRT_DEVICE": "CPU"}
        self.record = {"prepare": {}, "model": {}, "cross": {}, "export": {}, "compare": {}}
        self.commands = {}
        self.count = 0

    # --- processes ---

    def run(
        self, what: str, argv: list[str], env: dict, expect_ok: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        self.count += 1
        log = self.logs / f"{self.count:02d}-{what.replace(' ', '-').replace('/', '-')}.log"
        shown = " ".join(
            str(a).replace(str(self.work), "$WORK").replace(str(self.nxd), "$NXD_SOURCE").replace(str(REPO), "$REPO")
            for a in argv
        )
        started = time.monotonic()
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=self.work)
        log.write_text(f"$ {' '.join(argv)}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
        say(f"  $ {shown}")
        say(f"    -> exit {result.returncode} in {time.monotonic() - started:.1f}s (log: {log})")
        if expect_ok and result.returncode != 0:
            raise Failure(
                f"{what} failed (exit {result.returncode}); the end of its output:\n"
                + "\n".join((result.stdout + result.stderr).splitlines()[-40:])
            )
        if not expect_ok and result.returncode == 0:
            raise Failure(f"{what} was expected to fail, but exited 0")
        return result

    # --- the tiny model ---

    def make_model(self) -> None:
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM

        reference = json.loads((self.nxd / SCRIPT_DIR / "7B_config_llama2/config.json").read_text())
        self.config = {**reference, **TINY}
        self.config_dir = self.work / "tiny-config"
        self.config_dir.mkdir()
        (self.config_dir / "config.json").write_text(json.dumps(self.config, indent=2) + "\n")
        self.config_path = self.config_dir / "config.json"
        dtype = getattr(torch, self.config["torch_dtype"])
        torch.manual_seed(SEED)
        model = LlamaForCausalLM(LlamaConfig(**self.config)).to(dtype)
        with torch.no_grad():  # every tensor random (RMSNorm weights start at 1): a misplaced block cannot hide
            for parameter in model.parameters():
                parameter.copy_(torch.randn(parameter.shape, dtype=torch.float32))
        self.hf = self.work / "hf"
        model.save_pretrained(self.hf, safe_serialization=True)
        say(
            f"tiny Llama: {TINY} from {SCRIPT_DIR}/7B_config_llama2 (torch_dtype {self.config['torch_dtype']}, "
            f"vocab {self.config['vocab_size']}): {sum(p.numel() for p in model.parameters())} parameters, "
            f"{len(model.state_dict())} tensors, saved to $WORK/hf"
        )

    # --- the stages ---

    def stage_values(self, tp: int, case: str) -> dict:
        run = f"roundtrip-{case}-tp{tp}"
        fsx = self.work / f"tp{tp}" / "fsx"
        os.environ["CPT_FSX"] = str(fsx)
        run_dir = Path(cpt_lib.run_dir(run))
        request = self.request(run, tp)
        tag = f"step_{request['checkpointEvery']}"
        values = {
            "VPY": self.python,
            "CONVERTER": str(self.nxd / EXAMPLE / "convert_checkpoints.py"),
            "SCRIPTS": str(TRAINING),
            "TP": str(tp),
            "MODEL_CONFIG": str(self.config_path),
            "RUN_DIR": str(run_dir),
            "BASE_HF": str(run_dir / "base/hf"),
            "BASE_NXD": str(run_dir / "base/nxd"),
            "CKPT_DIR": cpt_lib.checkpoint_dir(run),
            "EXPORT_DIR": str(run_dir / "export"),
            "tag": tag,
            "out": str(run_dir / "export" / tag),
        }
        return {"run": run, "fsx": fsx, "run_dir": run_dir, "request": request, "values": values}

    @staticmethod
    def request(run: str, tp: int) -> dict:
        """A request of the shape the service submits (one node), as cpt_lib.training_arguments reads it."""
        return {
            "version": 1,
            "run": run,
            "nodes": 1,
            "tensorParallel": tp,
            "sequenceLength": 4096,
            "globalBatch": 2 * cpt_lib.CORES_PER_NODE // tp,
            "microBatch": 1,
            "steps": 10,
            "warmupSteps": 2,
            "learningRate": 0.00015,
            "minLearningRate": 0.000015,
            "checkpointEvery": 5,
            "checkpointsKept": 2,
            "compileSteps": 1,
            "trainPath": "/fsx/datasets/roundtrip/train",
            "evalPaths": {"domain": "/fsx/datasets/roundtrip/eval_domain", "general": None},
            "baseModel": "meta-llama/Llama-2-7b-hf",
            "hfTokenSecretArn": "arn:aws:secretsmanager:us-east-2:123456789012:secret:trainium-cpt-hf-AbCdEf",
            "exportS3Uri": f"s3://bucket/exports/{run}/",
            "reportS3Uri": f"s3://bucket/reports/{run}/",
            "neuronRelease": "2.28.1",
            "partition": "trn",
            "maxTrainRestarts": 0,
            "resume": False,
            "timeLimits": {stage: 60 for stage in cpt_lib.STAGES},
        }

    def prepare(self, tp: int, case: str, stage: dict) -> None:
        values = stage["values"]
        full_state, convert = rec.stage_commands(rec.STAGE_PREPARE, values)
        if convert[1] != values["CONVERTER"] or "full-state" not in full_state:
            raise Failure(f"stage-prepare.sh: unexpected commands {full_state} {convert}")
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
        arguments = cpt_lib.training_arguments(stage["request"], "train", str(self.nxd), str(stage["run_dir"]))
        if rec.value_of(arguments, "--fuse_qkv") != "1":
            raise Failure(
                f"cpt_lib.training_arguments gives --fuse_qkv {rec.value_of(arguments, '--fuse_qkv')}, "
                "not 1: the layout this script checks is not the one the service trains"
            )
        script_args = rec.replaced(arguments[1:], "--model_path", str(self.config_dir))
        if case == "separate":
            script_args = rec.replaced(script_args, "--fuse_qkv", "0")
        Path(cpt_lib.fsx_path(stage["request"]["trainPath"])).mkdir(parents=True, exist_ok=True)
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
                __file__,
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
        placeholder = cpt_lib.training_arguments(
            stage["request"], "train", rec.NXD_PLACEHOLDER, cpt_lib.run_dir(stage["run"])
        )
        os.environ["CPT_FSX"] = str(stage["fsx"])
        mapping = {real: shown for real, shown in zip(script_args, placeholder[1:]) if real != shown}
        self.record["arguments"] = {
            "request": stage["request"],
            "argv": placeholder,
            "parsed": {k: mapping.get(v, v) if isinstance(v, str) else v for k, v in parsed.items()},
        }

    def export(self, tp: int, case: str, stage: dict) -> None:
        import torch

        values = stage["values"]
        convert, to_hf = rec.stage_commands(rec.STAGE_EXPORT, values)
        if convert[1] != values["CONVERTER"] or "to-hf" not in to_hf:
            raise Failure(f"stage-export.sh: unexpected commands {convert} {to_hf}")
        self.commands["export"] = rec.stage_commands(rec.STAGE_EXPORT)
        out = Path(values["out"])
        (out / "full").mkdir(parents=True)
        if case == "separate":
            result = self.run(f"tp{tp} {case} convert_to_full_state", convert, self.device_env, expect_ok=False)
            lines = [line.replace(str(self.nxd), rec.NXD_PLACEHOLDER) for line in result.stderr.splitlines()]
            start = max(i for i, line in enumerate(lines) if line.startswith("Traceback"))
            self.record["export"].setdefault(case, {})[str(tp)] = {
                "returncode": result.returncode,
                "stderr": lines[start:],
            }
            say(f"    export of the --fuse_qkv 0 checkpoint fails as expected: {lines[-1]}")
            return
        self.run(f"tp{tp} {case} convert_to_full_state", convert, self.device_env)
        full = torch.load(out / "full/checkpoint.pt", map_location="cpu", weights_only=True)
        self.record["export"].setdefault(case, {})[str(tp)] = listing(full)
        self.run(f"tp{tp} {case} to-hf", to_hf, self.plain_env)
        self.compare(tp, full, out / "hf")

    def compare(self, tp: int, full: dict, exported: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        def state(folder):
            model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=getattr(torch, self.config["torch_dtype"]))
            return model.state_dict()

        original, result = state(self.hf), state(exported)
        if sorted(original) != sorted(result):
            raise Failure(f"tp{tp}: exported keys differ: {sorted(set(original) ^ set(result))}")
        rows, equal, worst = [], 0, 0.0
        for key in original:
            a, b = original[key], result[key]
            same = a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
            diff = (a.float() - b.float()).abs().max().item() if a.shape == b.shape else float("inf")
            merged = full[key]
            lossless = torch.equal(merged.to(a.dtype), a) and torch.equal(merged, a.to(merged.dtype))
            equal += same and lossless
            worst = max(worst, diff)
            rows.append(
                f"      {key:<48} {str(b.dtype).replace('torch.', ''):<9} {str(list(b.shape)):<12} "
                f"merged {str(merged.dtype).replace('torch.', ''):<8} equal={same and lossless} "
                f"max|diff|={diff:g}"
            )
        exported_config = json.loads((exported / "config.json").read_text())
        self.record["compare"][str(tp)] = {
            "tensors": len(original),
            "bit_exact": equal,
            "max_abs_diff": worst,
            "torch_dtype": exported_config.get("torch_dtype"),
        }
        if tp == min(self.tps):
            say("    every tensor, original HF model vs the export (transformers from_pretrained, torch.equal):")
            for row in rows:
                say(row)
        verdict = "PASS" if equal == len(original) and worst == 0.0 else "FAIL"
        say(
            f"    TP={tp}: {equal}/{len(original)} tensors bit-exact, max |diff| {worst:g}, exported torch_dtype "
            f"{exported_config.get('torch_dtype')}: {verdict}"
        )
        if verdict != "PASS":
            raise Failure(f"TP={tp}: the round trip is not lossless")

    # --- the whole run ---

    def main(self) -> None:
        self.check_resume()
        self.make_model()
        for tp in self.tps:
            say()
            say(f"=== TP={tp} ===")
            stages = {case: {**self.stage_values(tp, case), "case": case} for case in rec.CASES}
            for case in rec.CASES:
                say(f"-- prepare, {case} q/k/v")
                self.prepare(tp, case, stages[case])
            for case in rec.CASES:
                other = stages["separate" if case == "fused" else "fused"]
                say(f"-- train, {case} q/k/v ({tp} processes)")
                self.train(tp, case, stages[case], other)
            for case in rec.CASES:
                say(f"-- export, {case} q/k/v")
                self.export(tp, case, stages[case])

    def check_resume(self) -> None:
        say("-- exact resume: resume_data on the example's own DataLoader (resume_check)")
        script, _ = self.training_script()
        env = {**self.device_env, "PYTHONPATH": f"{script.parent}:{self.nxd / EXAMPLE}:{self.device_env['PYTHONPATH']}"}
        folder = self.work / "resume"
        folder.mkdir()
        result = self.run("resume check", [self.python, __file__, "resume-check", str(folder)], env)
        counts = json.loads(result.stdout.strip().splitlines()[-1])
        say(
            f"    {len(RESUME_SHAPES)} data shapes x every data-parallel rank x resume at steps 0-{RESUME_STEPS - 1}: "
            f"{counts['checked']} resumed runs, each on exactly the rows of the uninterrupted run; without the skip "
            f"(the example as released) {counts['referenceDiffers']} of them differ"
        )

    def fixtures(self) -> dict:
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
                "config": self.config,
            },
            "nxd-prepare": {
                "about": f"{converter} --convert_from_full_state: the shards it wrote, per TP and rank; {how}",
                "cases": cases,
                "commands": self.commands["prepare"],
                "shards": self.record["prepare"],
            },
            "nxd-model": {
                "about": "the training script's model (get_model, nxd.initialize_parallel_model) per TP and "
                "rank: its state dict after nxd.load_checkpoint of the case's shards, and the error "
                f"of loading the other case's shards; {how}",
                "script": self.script_note,
                "cases": cases,
                "state": self.record["model"],
                "load_other_layout": self.record["cross"],
            },
            "nxd-export": {
                "about": f"{converter} --convert_to_full_state --load_xser True of the checkpoint that "
                "nxd.save_checkpoint wrote: the merged full state, or the error; then "
                f"hf_checkpoint.py to-hf compared with the original; {how}",
                "cases": cases,
                "commands": self.commands["export"],
                "full_state": {k: v for k, v in self.record["export"].get("fused", {}).items()},
                "failure": self.record["export"].get("separate", {}),
                "compare": self.record["compare"],
            },
            "nxd-train-args": {
                "about": "cpt_lib.training_arguments (paths as placeholders: CPT_FSX=<FSX>, nxd_dir "
                "<NXD>) and the namespace that the training script's own argparse made of "
                f"them (--model_path shown as given); {how}",
                "script": self.script_note,
                **self.record["arguments"],
            },
        }


# Data shapes of the resume check: (rows, data-parallel degree, micro batch, gradient accumulation). Passes that are
# not whole steps (some checkpoints take rows of two passes), tails of a pass shorter than a step after some
# checkpoints (resume_data's "then the next pass" rule), and rows a rank leaves over after its last micro-batch
# (85 rows, 4 ranks, micro batch 2: 21 rows a rank, 10 micro-batches) with such tails.
RESUME_SHAPES = ((103, 4, 2, 3), (54, 4, 1, 4), (40, 2, 1, 5), (64, 4, 2, 4), (85, 4, 2, 4))
RESUME_STEPS = 40


def resume_check(work: str) -> None:
    """resume_data.skip_consumed on the example's own DataLoader (training_utils.create_llama_pretraining_dataset:
    datasets.load_from_disk, torch's DistributedSampler and DataLoader) of a dataset whose rows say their index: for
    every shape, data-parallel rank and resume step, the rows of a run resumed at that step equal those of an
    uninterrupted run from that step on. The optimizer-step loop is train_loop_fn's (tp_zero1_llama_hf_pretrain.py
    at v2.28.0): a step every --grad_accum_usteps micro-batches, the micro-step count going on across passes, a new
    pass when one ends, and a pass that makes no step failing (its return reads running_loss_reduced_detached)."""
    import datasets
    import resume_data
    from torch_data import NoStep, steps_taken
    from training_utils import create_llama_pretraining_dataset

    def rows_of(loader, start, grad_accum, steps):
        return steps_taken(loader, start, grad_accum, steps, lambda batch: batch["input_ids"][:, 0].tolist())

    checked = differs = 0
    for rows, dp, micro, grad_accum in RESUME_SHAPES:
        folder = Path(work) / f"rows-{rows}"
        datasets.Dataset.from_dict(
            {name: [[i] * 4 for i in range(rows)] for name in ("input_ids", "attention_mask", "labels")}
        ).save_to_disk(str(folder))
        for rank in range(dp):

            def loader():
                return create_llama_pretraining_dataset(str(folder), micro, dp, rank, SEED)[0]

            whole = rows_of(loader(), 0, grad_accum, RESUME_STEPS)
            for start in range(RESUME_STEPS):
                resumed = loader()
                resume_data.skip_consumed(resumed, start, grad_accum)
                try:
                    same = rows_of(resumed, start, grad_accum, RESUME_STEPS) == whole[start * grad_accum :]
                except NoStep as error:
                    raise Failure(f"{error} (shape {rows, dp, micro, grad_accum}, rank {rank}): the script would fail")
                if not same:
                    raise Failure(
                        f"resume at step {start} of shape {rows, dp, micro, grad_accum}, rank {rank}: "
                        "other rows than the uninterrupted run"
                    )
                try:
                    differs += rows_of(loader(), start, grad_accum, RESUME_STEPS) != whole[start * grad_accum :]
                except NoStep:
                    differs += 1
                checked += 1
    print(json.dumps({"checked": checked, "referenceDiffers": differs}))


def train_rank(spec_file: str) -> None:
    """One process of `torchrun --nproc-per-node TP` (see the module docstring for what is replaced here)."""
    import argparse as argparse_module
    import runpy

    spec = json.loads(Path(spec_file).read_text())
    sys.path[:0] = [str(Path(spec["script"]).parent), spec["llama_dir"]]
    import torch.distributed as dist
    import torch_xla.core.xla_model as xm

    real_init = dist.init_process_group

    def init_process_group(backend=None, *args, **kwargs):
        return real_init("gloo", *args, **kwargs)

    def rendezvous(tag, payload=b"", replicas=[]):  # noqa: B006 (xm.rendezvous's signature)
        dist.barrier()
        return [payload]

    def is_master_ordinal(local=True):
        return (int(os.environ["LOCAL_RANK"]) if local else dist.get_rank()) == 0

    dist.init_process_group = init_process_group
    xm.rendezvous = rendezvous
    xm.is_master_ordinal = is_master_ordinal
    import neuronx_distributed as nxd
    import neuronx_distributed.parallel_layers.utils as parallel_utils
    import training_utils
    import transformers.optimization
    from neuronx_distributed.parallel_layers import parallel_state

    parallel_utils.is_pjrt_device = lambda: True

    captured = {}

    class Reached(Exception):
        pass

    def capture(name, function, index=None):
        def wrapper(*args, **kwargs):
            result = function(*args, **kwargs)
            captured[name] = result
            if index is not None:
                captured["flags"] = args[index]
            return result

        return wrapper

    real_parse = argparse_module.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        parsed = real_parse(self, args, namespace)
        captured.setdefault("parsed", dict(vars(parsed)))
        return parsed

    def data_loader(*args, **kwargs):
        raise Reached()

    argparse_module.ArgumentParser.parse_args = parse_args
    nxd.initialize_parallel_model = capture("model", nxd.initialize_parallel_model, index=3)
    nxd.initialize_parallel_optimizer = capture("optimizer", nxd.initialize_parallel_optimizer)
    transformers.optimization.get_linear_schedule_with_warmup = capture(
        "scheduler", transformers.optimization.get_linear_schedule_with_warmup
    )
    training_utils.create_llama_pretraining_dataset = data_loader
    sys.argv = [spec["script"], *spec["args"]]
    try:
        runpy.run_path(spec["script"], run_name="__main__")
    except Reached:
        pass
    else:
        raise RuntimeError("the training script ended without reaching its data loader")
    argparse_module.ArgumentParser.parse_args = real_parse
    model, optimizer, scheduler, flags = (captured[k] for k in ("model", "optimizer", "scheduler", "flags"))
    rank = dist.get_rank()
    result = {
        "rank": rank,
        "tp_rank": parallel_state.get_tensor_model_parallel_rank(),
        "state": listing(model.state_dict()),
        "parsed": captured["parsed"],
        "cross": {},
    }
    step = int(spec["tag"].split("_")[1])
    # As the script's step closure: nxd.save_checkpoint(checkpoint_dir, tag, model, optimizer, scheduler,
    # user_content, 8, True, num_kept_checkpoint) (tp_zero1_llama_hf_pretrain.py, train_loop_fn).
    nxd.save_checkpoint(
        flags.checkpoint_dir,
        spec["tag"],
        model,
        optimizer,
        scheduler,
        {"epoch": 0, "global_step": step, "cli_args": flags.__dict__},
        8,
        True,
        flags.num_kept_checkpoint,
    )
    for name, directory in spec["cross"].items():
        try:
            nxd.load_checkpoint(directory, tag="pretrained_weight", model=model, optimizer=None, scheduler=None)
            result["cross"][name] = "loaded"
        except RuntimeError as error:
            result["cross"][name] = str(error)
    Path(spec["out"], f"rank_{rank:02d}.json").write_text(json.dumps(result, default=str))
    dist.barrier()


def main(argv: list[str]) -> int:
    if argv[:1] == ["train-rank"]:
        train_rank(argv[1])
        return 0
    if argv[:1] == ["resume-check"]:
        resume_check(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tp", default="2,4,8", help="tensor-parallel degrees, comma-separated (default 2,4,8)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-record", action="store_true", help="do not write the fixtures")
    args = parser.parse_args(argv)
    try:
        nxd = check_source(os.environ.get("NXD_SOURCE"))
    except Failure as failure:
        print(f"nxd-roundtrip: {failure}", file=sys.stderr)
        return 2
    tps = sorted({int(t) for t in args.tp.split(",")})
    work = Path(tempfile.mkdtemp(prefix="nxd-roundtrip-"))
    say(f"neuronx-distributed {NXD_VERSION} (v2.28.0) source: {nxd}")
    say(f"python: {sys.executable}; work folder: {work} ($WORK)")
    import torch
    import torch_xla
    import transformers

    say(
        f"torch {torch.__version__}, torch-xla {torch_xla.__version__}, transformers {transformers.__version__}; "
        f"TP {tps}"
    )
    trip = RoundTrip(nxd, work, tps)
    started = time.monotonic()
    try:
        trip.main()
    except Failure as failure:
        say(f"\nFAIL: {failure}\n(work folder kept: {work})")
        return 1
    say()
    if trip.stub_log.is_file():
        names = sorted(set(trip.stub_log.read_text().split()))
        tops = {}
        for name in names:
            top = "torch.classes.neuron" if name.startswith("torch.classes.") else name.split(".")[0]
            tops[top] = tops.get(top, 0) + 1
        say(
            f"stubbed device-only names the runs looked up: {len(names)} ("
            + ", ".join(f"{top}: {count}" for top, count in sorted(tops.items()))
            + (f"; list: {trip.stub_log})" if args.keep else ")")
        )
    if not args.no_record:
        rec.FIXTURES.mkdir(exist_ok=True)
        for name, content in trip.fixtures().items():
            path = rec.FIXTURES / f"{name}.json"
            path.write_text(rec.dumps(content) + "\n")
            say(f"recorded {path.relative_to(REPO)} ({path.stat().st_size} bytes)")
    if not args.keep:
        shutil.rmtree(work)
    say(
        f"PASS: prepare -> train -> export round trip bit-exact at TP {tps}, and the separate q/k/v layout's export "
        f"fails with the real error ({time.monotonic() - started:.0f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
