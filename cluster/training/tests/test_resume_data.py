"""resume_data.py (what nxd-pretrain.patch calls on the example's DataLoader after loading a checkpoint) on torch's
index arithmetic (torch_data.py): a run resumed at any step trains on exactly the rows an uninterrupted run would,
for data shapes with passes that are not whole steps, pass tails shorter than a step and rows a rank leaves over
after its last micro-batch. The round trip (scripts/nxd-roundtrip.sh) runs the same check on torch's own classes."""

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent))
import resume_data  # noqa: E402
from torch_data import BatchSampler, DataLoader, DistributedSampler, NoStep, steps_taken  # noqa: E402

STEPS = 40
# (rows, data-parallel degree, micro batch, gradient accumulation)
SHAPES = [(103, 4, 2, 3), (54, 4, 1, 4), (40, 2, 1, 5), (64, 4, 2, 4), (85, 4, 2, 4), (85, 4, 3, 4), (97, 2, 4, 3)]


def loader(rows, data_parallel, rank, micro_batch):
    return DataLoader(BatchSampler(DistributedSampler(rows, data_parallel, rank), micro_batch))


def train(loader_, start, grad_accum):
    return steps_taken(loader_, start, grad_accum, STEPS)


@pytest.mark.parametrize("rows, data_parallel, micro_batch, grad_accum", SHAPES)
def test_a_resumed_run_takes_the_rows_of_an_uninterrupted_one(rows, data_parallel, micro_batch, grad_accum):
    without_skip_differs = 0
    for rank in range(data_parallel):
        whole = train(loader(rows, data_parallel, rank, micro_batch), 0, grad_accum)
        for start in range(STEPS):
            resumed = loader(rows, data_parallel, rank, micro_batch)
            resume_data.skip_consumed(resumed, start, grad_accum)
            assert train(resumed, start, grad_accum) == whole[start * grad_accum :], (rank, start)
            try:
                without_skip_differs += (
                    train(loader(rows, data_parallel, rank, micro_batch), start, grad_accum)
                    != whole[start * grad_accum :]
                )
            except NoStep:
                without_skip_differs += 1
    assert without_skip_differs > 0  # the example as released would not


def test_a_pass_tail_shorter_than_a_step_runs_on_through_the_next_pass_without_the_leftover_rows():
    # 85 rows over 4 ranks: rank 0 has rows 0, 4, ..., 80 (21), 10 micro-batches of 2 a pass, row 80 left over.
    # Resumed at step 2 (8 micro-batches consumed, 2 left, fewer than a step of 4): one pass of 2 + 10 micro-batches.
    resumed = loader(85, 4, 0, 2)
    assert resume_data.skip_consumed(resumed, 2, 4) == 0
    assert len(resumed) == 12
    batches = list(resumed)
    assert len(batches) == 12
    assert batches[:3] == [[64, 68], [72, 76], [0, 4]]
    assert len(list(resumed)) == len(resumed) == 10  # later passes are whole


def test_an_empty_pass_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="needs at least one"):
        resume_data.resume_position(3, 4, 0)
