"""The step lines of the training log, and what a log says so far (Progress)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Iterable

from .state import Remembered

# tp_zero1_llama_hf_pretrain.py (examples/training/llama/tp_zero1_llama_hf_pretrain/ of aws-neuron/neuronx-distributed,
# tag v2.28.0, commit 22cadad34418fb8b5939bd8cdfc7a376eede9981; unchanged at the 2.29 release) logs a step through
# Logger.log of logger.py next to it:
#
#     print(
#         f"LOG {time_now} - ({epoch}, {step}) step_loss : {step_loss:.4f} "
#         f"learning_rate : {learning_rate:.2e} "
#         f"throughput : {throughput:.2f} seq/s "
#         f"{grad_norm_msg}",
#         flush=True,
#     )
#
# with time_now = time.asctime() (the compute node's local time, "Thu Nov 28 10:15:03 2024", the day padded with a
# space) and grad_norm_msg = f"grad-norm : {grad_norm}" with --print_grad_norm, else "" (a trailing space). The
# script calls it from a step closure only on the global rank 0 (is_root = xm.is_master_ordinal(local=False)) and
# only every --logging_interval steps (the request's derived.loggingInterval, 10). The throughput is the whole job's: training_utils.py
# Throughput counts batch_size x data-parallel size x grad_accum_usteps x logging_interval sequences per window, a
# moving average over the last 10 steps.
#
# What comes in front of it in RUN_DIR/logs/train-<jobid>.out: srun --label (stage-lib.sh run_on_every_node) puts
# "%*d: " (the task number, padded to the width of the largest; src/common/write_labelled_message.c in Slurm) in
# front of every line of a task, e.g. "0: " or " 0: " with 10 nodes or more. torchrun passes its workers' output
# through as it is unless --tee/--redirects are given (then "[default0]:"), which stage-lib.sh does not give; the
# parser accepts both, and any prefix ending in a space, ':' or ']', since it searches the line for the format.
STEP_LINE_RE = re.compile(
    r"(?:^|(?<=[\s:\]]))LOG "
    r"(?P<time>(?P<wday>[A-Z][a-z]{2}) (?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
    r"(?P<hms>\d{2}:\d{2}:\d{2}) (?P<year>\d{4})) - "
    r"\((?P<epoch>\d+), (?P<step>\d+)\) "
    r"step_loss : (?P<loss>[-+]?(?:\d+\.\d+|nan|inf)) "
    r"learning_rate : (?P<lr>[-+]?(?:\d\.\d+e[-+]\d+|nan|inf)) "
    r"throughput : (?P<throughput>[-+]?(?:\d+\.\d+|nan|inf)) seq/s"
    r"(?: +grad-norm : (?P<grad_norm>\S+))?"
)
MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}


@dataclass(frozen=True)
class StepLine:
    """One step line of the training log."""

    epoch: int
    step: int
    loss: float
    learning_rate: float
    throughput: float  # sequences per second, the whole job
    time: float | None  # when it was logged (seconds since the epoch), None if the date does not parse
    grad_norm: float | None = None


def parse_asctime(match: re.Match) -> float | None:
    """Seconds since the epoch of time.asctime()'s text, read as this machine's local time (the cluster's nodes
    share the ParallelCluster AMI's time zone, UTC). Month names are asctime's English ones, whatever the locale."""
    try:
        hours, minutes, seconds = (int(part) for part in match["hms"].split(":"))
        return time.mktime(
            (int(match["year"]), MONTHS[match["month"]], int(match["day"]), hours, minutes, seconds, 0, 0, -1)
        )
    except (KeyError, ValueError, OverflowError):
        return None


def parse_step_line(line: str) -> StepLine | None:
    """The step line in `line` (whatever prefix srun or torchrun put in front of it), or None."""
    match = STEP_LINE_RE.search(line)
    if not match:
        return None
    grad_norm = None
    if match["grad_norm"] is not None:
        try:
            grad_norm = float(match["grad_norm"])
        except ValueError:
            grad_norm = None
    return StepLine(
        epoch=int(match["epoch"]),
        step=int(match["step"]),
        loss=float(match["loss"]),
        learning_rate=float(match["lr"]),
        throughput=float(match["throughput"]),
        time=parse_asctime(match),
        grad_norm=grad_norm,
    )


@dataclass(frozen=True)
class Progress(Remembered):
    """What one training log says so far: its newest step line, and how many it had."""

    step: int | None = None
    epoch: int | None = None
    loss: float | None = None
    learning_rate: float | None = None
    throughput: float | None = None
    logged_at: float | None = None  # when the newest step line was logged (or read, when its date did not parse)
    max_step: int | None = None
    step_lines: int = 0
    restarts: int = 0  # times the step went back: the job was requeued and resumed from a checkpoint


def fold(progress: Progress, lines: Iterable[str], read_at: float) -> tuple[Progress, int]:
    """`progress` after the log lines `lines` (read at `read_at`), and the number of new step lines among them.

    The newest line wins, not the largest step: after a requeue the script resumes from its newest checkpoint, so
    the step goes back (to the checkpoint's) and forward again. The same step twice in a row (a second copy of a
    line) is not a new step."""
    new = 0
    for line in lines:
        parsed = parse_step_line(line)
        if parsed is None:
            continue
        if progress.step is not None and parsed.step == progress.step and parsed.epoch == progress.epoch:
            continue
        restarted = progress.step is not None and parsed.step < progress.step
        progress = Progress(
            step=parsed.step,
            epoch=parsed.epoch,
            loss=parsed.loss,
            learning_rate=parsed.learning_rate,
            throughput=parsed.throughput,
            logged_at=parsed.time if parsed.time is not None else read_at,
            max_step=parsed.step if progress.max_step is None else max(progress.max_step, parsed.step),
            step_lines=progress.step_lines + 1,
            restarts=progress.restarts + (1 if restarted else 0),
        )
        new += 1
    return progress, new
