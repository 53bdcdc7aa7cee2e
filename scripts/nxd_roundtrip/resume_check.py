"""The exact-resume check (`nxd-roundtrip.py resume-check FOLDER`), in a process with the example's folder on
PYTHONPATH."""

from __future__ import annotations

import json
from pathlib import Path

from .common import RESUME_SHAPES, RESUME_STEPS, SEED, Failure


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
