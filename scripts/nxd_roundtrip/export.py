"""The export stage of the round trip: stage-export.sh's own commands, and every exported tensor compared with the
original model's."""

from __future__ import annotations

import json
from pathlib import Path

import nxd_recordings as rec

from .common import Failure, listing, say, stage_commands


class ExportStep:
    def export(self, tp: int, case: str, stage: dict) -> None:
        import torch

        values = stage["values"]
        convert, to_hf = stage_commands(rec.STAGE_EXPORT, values, converter=0, ours="to-hf")
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
