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
in the same order, in one pass of the loop instead of two (so the loop's `epoch`, a label in its log and in the
checkpoints' user content, is one behind an uninterrupted run's from there on). The rows a pass leaves over after
its last whole micro-batch (drop_last) stay left out between the two.
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
        raise ValueError(
            f"global_step {global_step} and grad_accum {grad_accum}: need global_step >= 0, grad_accum >= 1"
        )
    return divmod(global_step * grad_accum, batches_per_pass)


class SkipFirstPass:
    """A sampler whose first pass leaves out its first `skip` indices and, with `then_next_pass`, goes on through a
    whole second pass, after the first pass's whole micro-batches of `batch_size` (as the BatchSampler's drop_last
    would end it); later passes are whole."""

    def __init__(self, sampler, skip: int, batch_size: int, then_next_pass: bool = False):
        self.sampler = sampler
        self.skip = skip
        self.batch_size = batch_size
        self.then_next_pass = then_next_pass

    def _first_end(self) -> int | None:
        return len(self.sampler) // self.batch_size * self.batch_size if self.then_next_pass else None

    def __iter__(self):
        rest = itertools.islice(iter(self.sampler), self.skip, self._first_end())
        more = self.then_next_pass
        self.skip, self.then_next_pass = 0, False
        return itertools.chain(rest, self.sampler) if more else rest

    def __len__(self) -> int:
        first = self._first_end()
        return (len(self.sampler) if first is None else first + len(self.sampler)) - self.skip


def skip_consumed(loader, global_step: int, grad_accum: int) -> int:
    """Makes the next pass of `loader` (a torch DataLoader built with sampler= and batch_size=) start where an
    uninterrupted run is after `global_step` optimizer steps; returns that pass's number (the example's `epoch`).

    The indices are skipped in the sampler, under the DataLoader's BatchSampler, so skipped rows are never read.
    """
    batch_sampler = loader.batch_sampler
    batches = len(batch_sampler)
    passes, consumed = resume_position(global_step, grad_accum, batches)
    too_short = 0 < batches - consumed < grad_accum
    size = batch_sampler.batch_size
    batch_sampler.sampler = SkipFirstPass(batch_sampler.sampler, consumed * size, size, too_short)
    return passes
