"""Training on a Capacity Block: the request's `stopBy` (UTC, the block's end less a checkpoint save and a margin,
set by the training function) is when the train job must have stopped, at a completed checkpoint.

The training script cannot be asked to save on demand: it saves every checkpointEvery steps and at the last step
(nxd-pretrain.patch). So the train job's watcher (`stop-watch`, run by stage-train.sh next to the training) decides
at each completed checkpoint whether the next one would still complete before stopBy, one checkpoint interval
later; if not, the training stops right after this one. The interval is measured, not assumed: the time between
the last two checkpoints this attempt completed (a "done" file's time: neuronx-distributed writes it last), per
step; after the attempt's first one, the time since the training started, which counts the load too and so errs
long. The next checkpoint is checkpointEvery steps on, or the run's last step if that comes first. Whatever it
measured, the training stops at stopBy, once a save in progress then has completed.

stage-train.sh stops the training by SIGTERM to srun, which answers it by SIGKILL to every task (Slurm
src/srun/libsrun/srun_job.c, _srun_signal_mgr: SIGTERM -> launch_g_fwd_signal(SIGKILL)): nothing of the training
script runs after it. So the watcher returns only once nothing is being written: after a checkpoint's "done",
neuronx-distributed still removes the oldest checkpoints beyond checkpointsKept (trainer/checkpoint.py at v2.28.0,
CheckpointIOState.end: save_text "done", then submit_remove(async_remove=False)), and at stopBy a save may be under
way (a step_N folder newer than the newest completed one). Each wait lasts at most one checkpoint save
(save_allowance): stopBy leaves one save and a margin before EC2 ends the block (the request's description of
stopBy).
"""

from __future__ import annotations

import calendar
import math
import os
import re
import time

from .checkpoints import any_checkpoints, checkpoint_step, completed_checkpoints
from .files import read_json, write_json_atomically

STOP_BY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
# Seconds between two looks of the watcher at the checkpoint folder (CPT_STOP_POLL: the tests' runs last seconds).
DEFAULT_POLL_SECONDS = 10.0
# One checkpoint save before any was measured: the margin stopBy leaves after the save it allows for
# (STOP_MARGIN_MINUTES of lib/training/capacity-block.ts). CPT_SAVE_SECONDS sets it (the tests' saves last seconds).
DEFAULT_SAVE_SECONDS = 600.0


def parse_stop_by(text: str) -> float:
    """stopBy as seconds since the epoch; ValueError naming the field when it is not a real UTC time."""
    try:
        if not STOP_BY_RE.match(text):
            raise ValueError
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        raise ValueError(f"stopBy: {text!r} is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ") from None


def stop_by_problem(text) -> str | None:
    """Why a request's stopBy is not a real time (the schema's pattern lets 2026-13-45T99:00:00Z through), or None."""
    try:
        parse_stop_by(text)
    except (ValueError, TypeError) as error:
        return str(error)
    return None


def train_minutes(limit_minutes: int, stop_by: str, now: float, allowance: float) -> int:
    """The train job's sbatch --time: the request's time limit, cut to the whole minutes left before stopBy and one
    save (`allowance` seconds, which a save under way at stopBy may take), so that a job that starts at once cannot
    run past them. ValueError when less than a minute is left before stopBy: nothing could train."""
    left = parse_stop_by(stop_by) - now
    if left < 60:
        raise ValueError(
            f"stopBy: {stop_by} is {'past' if left <= 0 else f'{left:.0f} s away'} (now "
            f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))}): the Capacity Block ends before anything can "
            "train; submit the run on a later block"
        )
    return min(limit_minutes, math.floor((left + allowance) / 60))


def slurm_minutes(text: str) -> float:
    """A TimeLimit as `scontrol show job` prints it ([days-]hours:minutes:seconds, or UNLIMITED) in minutes."""
    if text in ("UNLIMITED", "INFINITE", "Partition_Limit"):
        return math.inf
    days, _, clock = text.rpartition("-")
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + minutes + seconds / 60


def checkpoint_times(directory: str) -> list[tuple[int, float]]:
    """(step, time of its "done" file) of the completed checkpoints in `directory`, oldest step first."""
    found = []
    for tag in completed_checkpoints(directory):
        try:
            found.append((checkpoint_step(tag), os.stat(os.path.join(directory, tag, "done")).st_mtime))
        except OSError:
            continue  # pruned meanwhile
    return found


def save_allowance(directory: str) -> float:
    """Seconds one checkpoint save may take: CPT_SAVE_SECONDS, else the longest save of the run's completed
    checkpoints (from its "checkpoint" file, which neuronx-distributed writes first, trainer/checkpoint.py at v2.28.0
    CheckpointIOState.begin, to its "done"), else DEFAULT_SAVE_SECONDS."""
    if os.environ.get("CPT_SAVE_SECONDS"):
        return float(os.environ["CPT_SAVE_SECONDS"])
    measured = []
    for tag in completed_checkpoints(directory):
        try:
            folder = os.path.join(directory, tag)
            measured.append(os.stat(os.path.join(folder, "done")).st_mtime - os.stat(f"{folder}/checkpoint").st_mtime)
        except OSError:
            continue  # pruned meanwhile, or no "checkpoint" file
    return max(measured) if measured else DEFAULT_SAVE_SECONDS


def save_in_progress(directory: str) -> bool:
    """Whether a checkpoint is being saved: a step_N folder newer than the newest completed one."""
    tags, completed = any_checkpoints(directory), completed_checkpoints(directory)
    newest = checkpoint_step(completed[-1]) if completed else -1
    return any(checkpoint_step(tag) > newest for tag in tags)


def still_writing(directory: str, kept: int) -> bool:
    """Whether neuronx-distributed is still at work in `directory`: saving, or pruning beyond `kept`."""
    return save_in_progress(directory) or len(any_checkpoints(directory)) > kept


def checkpoint_interval(saves: list[tuple[int, float]], start_step: int, started: float, every: int) -> float | None:
    """Seconds one checkpoint interval (`every` steps, the save included) takes, from `saves`, the checkpoints this
    attempt completed (step, time), oldest first; None before the first."""
    if not saves:
        return None
    (step, done), previous = saves[-1], (saves[-2] if len(saves) > 1 else (max(start_step, 0), started))
    steps = step - previous[0]
    return (done - previous[1]) / steps * every if steps > 0 else None


def stop_decision(
    now: float, stop_by: float, saves: list[tuple[int, float]], start_step: int, started: float, every: int, last: int
) -> str | None:
    """Why the training stops now ("checkpoint": the next one would not complete before stopBy; "stopBy": it is
    reached), or None. `saves`: the checkpoints completed since the training started; `last`: the run's last step,
    after whose checkpoint the training ends by itself. The next checkpoint is `every` steps after the newest, or
    the last step if that comes sooner (a part of the interval)."""
    if saves and saves[-1][0] >= last:
        return None
    if now >= stop_by:
        return "stopBy"
    interval = checkpoint_interval(saves, start_step, started, every)
    if interval is None:
        return None
    newest, done = saves[-1]
    next_step = min(newest + every, last)
    return "checkpoint" if done + interval * (next_step - newest) / every > stop_by else None


def write_stop(stop_file: str, why: str, directory: str, stop_by: str, interval: float | None, now: float) -> None:
    """The watcher's decision, for stage-train.sh: why, the newest completed checkpoint, stopBy, the interval."""
    newest = completed_checkpoints(directory)
    write_json_atomically(
        stop_file,
        {
            "why": why,
            "checkpoint": newest[-1] if newest else None,
            "stopBy": stop_by,
            "interval": interval,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        },
    )


def wait_until_written(directory: str, kept: int, poll: float) -> None:
    """Waits until neuronx-distributed has completed the save under way and removed what it prunes (still_writing),
    for at most one save (save_allowance)."""
    until = time.time() + save_allowance(directory)
    while still_writing(directory, kept) and time.time() < until:
        time.sleep(max(0.0, min(poll, until - time.time())))


def cmd_stop_watch(
    directory: str, stop_by: str, every: str, last: str, kept: str, start_step: str, started: str, stop_file: str
) -> None:
    """Watches the checkpoints of a training that started at `started` (seconds since the epoch) from `start_step`
    (-1: the base model) until stop_decision says stop; then waits until nothing is being written
    (wait_until_written), writes `stop_file` (write_stop) and returns. stage-train.sh stops the training when this
    returns."""
    deadline, begun = parse_stop_by(stop_by), float(started)
    poll = float(os.environ.get("CPT_STOP_POLL", DEFAULT_POLL_SECONDS))
    while True:
        now = time.time()
        saves = [save for save in checkpoint_times(directory) if save[1] >= begun]
        why = stop_decision(now, deadline, saves, int(start_step), begun, int(every), int(last))
        if why:
            wait_until_written(directory, int(kept), poll)
            write_stop(
                stop_file, why, directory, stop_by, checkpoint_interval(saves, int(start_step), begun, int(every)), now
            )
            return
        time.sleep(max(0.0, min(poll, deadline - now)))


def cmd_stop_if_past(directory: str, stop_by: str, stop_file: str) -> None:
    """Before the training starts: prints "stop" (and writes `stop_file`) when stopBy has passed already."""
    now = time.time()
    if now >= parse_stop_by(stop_by):
        write_stop(stop_file, "stopBy", directory, stop_by, None, now)
        print("stop")


def stop_message(stop: dict, run: str) -> str:
    """What the train job says when it stopped for stopBy: where the run stands and how to go on."""
    checkpoint, stop_by = stop.get("checkpoint"), stop["stopBy"]
    resume = f"resume it on a new Capacity Block with `npm run submit -- --run {run} --resume`"
    if stop["why"] == "checkpoint":
        interval = stop.get("interval")
        measured = f" (a checkpoint interval takes about {interval / 60:.1f} min)" if interval else ""
        return (
            f"run {run} stopped at {checkpoint} before the Capacity Block's end: its next checkpoint would not "
            f"have completed by stopBy {stop_by}{measured}; {resume}"
        )
    saved = (
        f"its newest checkpoint is {checkpoint}, and the steps after it will be trained again"
        if checkpoint
        else ("it has no checkpoint yet")
    )
    return f"run {run} stopped at stopBy {stop_by}, before the Capacity Block's end: {saved}; {resume}"


def cmd_stop_message(stop_file: str, run: str) -> None:
    print(stop_message(read_json(stop_file), run))


def cmd_train_minutes(limit: str, stop_by: str, directory: str) -> None:
    """Prints the train job's sbatch --time in minutes: `limit`, or fewer without stopBy's time (and one save of the
    run's checkpoints in `directory`) to spare."""
    from .request import RequestError  # here: request.py imports this module

    try:
        print(int(limit) if not stop_by else train_minutes(int(limit), stop_by, time.time(), save_allowance(directory)))
    except ValueError as error:
        raise RequestError(str(error)) from None


def cmd_lowered_time_limit(stop_by: str, directory: str, started: str, current: str) -> None:
    """Prints the whole minutes from `started` (this attempt's start, seconds since the epoch) to stopBy and one save
    when they are fewer than the job's `current` TimeLimit (scontrol's text), else nothing: the train job lowers its
    own limit to them, as the submission's cut does not count the time the job waited or its earlier attempts."""
    minutes = math.floor((parse_stop_by(stop_by) + save_allowance(directory) - float(started)) / 60)
    if minutes < slurm_minutes(current):
        print(max(minutes, 1))
