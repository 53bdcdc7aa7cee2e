"""The round trip itself: for each TP and q/k/v layout, prepare, train and export in the folder layout of a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nxd_recordings as rec

from . import REPO, TRAINING, cluster_side
from .common import ENTRY, EXAMPLE, RESUME_SHAPES, RESUME_STEPS, SCRIPT_DIR, SEED, STUBS, TINY, Failure, say
from .export import ExportStep
from .prepare import PrepareStep
from .train import TrainStep


class RoundTrip(PrepareStep, TrainStep, ExportStep):
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
        run_dir = Path(cluster_side.run_dir(run))
        request = cluster_side.request(run, tp)
        tag = f"step_{request['checkpointEvery']}"
        values = {
            "VPY": self.python,
            "CONVERTER": str(self.nxd / EXAMPLE / "convert_checkpoints.py"),
            "SCRIPTS": str(TRAINING),
            "REQ_TENSOR_PARALLEL": str(tp),
            "MODEL_CONFIG": str(self.config_path),
            "RUN_DIR": str(run_dir),
            "BASE_HF": str(run_dir / "base/hf"),
            "BASE_NXD": str(run_dir / "base/nxd"),
            "CKPT_DIR": cluster_side.checkpoint_dir(run),
            "EXPORT_DIR": str(run_dir / "export"),
            "tag": tag,
            "out": str(run_dir / "export" / tag),
        }
        return {"run": run, "fsx": fsx, "run_dir": run_dir, "request": request, "values": values}

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
        result = self.run("resume check", [self.python, str(ENTRY), "resume-check", str(folder)], env)
        counts = json.loads(result.stdout.strip().splitlines()[-1])
        say(
            f"    {len(RESUME_SHAPES)} data shapes x every data-parallel rank x resume at steps 0-{RESUME_STEPS - 1}: "
            f"{counts['checked']} resumed runs, each on exactly the rows of the uninterrupted run; without the skip "
            f"(the example as released) {counts['referenceDiffers']} of them differ"
        )
