"""Exact resume of the data order of tp_zero1_llama_hf_pretrain.py (neuronx-distributed v2.28.0): imported by our
patch of that script (nxd-pretrain.patch, applied by the prepare stage to a copy next to this file) and by the tests'
fake trainer. Standard library only.

How the example reads its data (examples/training/llama/ at tag v2.28.0):
  - training_utils.py create_llama_pretraining_dataset: each data-parallel rank reads
    DataLoader(sampler=DistributedSampler(shuffle=False, drop_last=True), batch_size=--batch_size, drop_last=True),
    so every pass over the set yields the same micro-batches in the same order;
  - tp_zero1_llama_hf_pretrain.py train_loop_fn: --grad_accum_usteps micro-batches make an optimizer step, and the
    micro-step count goes on across passes (training_ustep is not reset by a new epoch); `while True` starts the
    loader again from its first row when a pass ends, until global_step reaches --steps_this_run.
So the micro-batches before optimizer step s are the first s x GA of an endless repetition of one pass, and a run
that resumes at step s must go on at micro-batch (s x GA) mod B of pass (s x GA) div B (B: micro-batches a pass).
The example instead rebuilds its DataLoader from row 0 after loading a checkpoint (it restores only epoch and
global_step): rows before the checkpoint are trained twice, and the end of the set never.

One more rule of the loop: a pass must complete at least one optimizer step, since train_loop_fn returns
running_loss_reduced_detached, which only a step binds (UnboundLocalError otherwise). An uninterrupted pass of
B >= GA micro-batches always does; the rest of a pass that a resumed run goes on with may be shorter than GA (the
checkpoint's step took rows of two passes). Then the first pass also runs through the whole next one: the same rows
in the same order, in one pass of the loop instead of two.
"""
from __future__ import annotations

import itertools


def resume_position(global_step: int, grad_accum: int, batches_per_pass: int) -> tuple[int, int]:
    """(passes completed, micro-batches of the current pass already consumed) after `global_step` optimizer steps."""
    if batches_per_pass < 1:
        raise ValueError(
            f"the training set gives each data-parallel rank {batches_per_pass} micro-batches a pass: it needs at least "
            "one (rows >= data-parallel degree x --batch_size)"
        )
    if global_step < 0 or grad_accum < 1:
        raise ValueError(f"global_step {global_step} and grad_accum {grad_accum}: need global_step >= 0, grad_accum >= 1")
    return divmod(global_step * grad_accum, batches_per_pass)


class SkipFirstPass:
    """A sampler whose first pass leaves out its first `skip` indices and, with `and_one_more`, goes on through a
    whole second pass; later passes are whole."""

    def __init__(self, sampler, skip: int, and_one_more: bool = False):
        self.sampler = sampler
        self.skip = skip
        self.and_one_more = and_one_more

    def __iter__(self):
        skip, self.skip = self.skip, 0
        more, self.and_one_more = self.and_one_more, False
        rest = itertools.islice(iter(self.sampler), skip, None)
        return itertools.chain(rest, self.sampler) if more else rest

    def __len__(self) -> int:
        return len(self.sampler) * (2 if self.and_one_more else 1) - self.skip


def skip_consumed(loader, global_step: int, grad_accum: int) -> int:
    """Makes the next pass of `loader` (a torch DataLoader built with sampler= and batch_size=) start where an
    uninterrupted run is after `global_step` optimizer steps; returns that pass's number (the example's `epoch`).

    The indices are skipped in the sampler, under the DataLoader's BatchSampler, so skipped rows are never read.
    """
    batch_sampler = loader.batch_sampler
    batches = len(batch_sampler)
    passes, consumed = resume_position(global_step, grad_accum, batches)
    too_short = 0 < batches - consumed < grad_accum
    batch_sampler.sampler = SkipFirstPass(batch_sampler.sampler, consumed * batch_sampler.batch_size, too_short)
    return passes
