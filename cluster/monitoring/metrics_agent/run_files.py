"""The runs' own files (cpt-run.sh's request.json, the stage scripts' status files) and the failures to count."""

from __future__ import annotations

import calendar
import errno
import json
import os
import stat
import time

from .slurm import STAGES, Job

# Job states of a chain job that count as a failure (squeue/scontrol names; CANCELLED, PREEMPTED and the others do not).
FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"})


def open_no_link(path: str, mode: str = "r"):
    """`path` opened for reading without following a symbolic link, if it is a regular file (OSError otherwise).
    The agent runs as root and reads files in folders the jobs' user writes (the run's logs/ and status/): a link
    planted there must not make it read another file, nor a FIFO block it."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", path)
    return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"}))


def read_json_file(path: str):
    with open_no_link(path) as handle:  # status files are the jobs' user's
        return json.load(handle)


def sequence_length(runs_dir: str, run: str) -> int | None:
    """The run's sequenceLength (RUN_DIR/request.json, written by cpt-run.sh), or None."""
    try:
        value = read_json_file(os.path.join(runs_dir, run, "request.json")).get("sequenceLength")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def status_file_failures(runs_dir: str) -> list[tuple[str, float | None, str]]:
    """(key, time, description) of every stage that its status file says FAILED (RUN_DIR/status/<stage>.json,
    stage-lib.sh write_status: a non-zero exit below 128; a signal, which may be a cancel or a requeue, is
    TERMINATED and not counted from the file alone). As cpt/slurm.py stage_state does, the file is the fallback for
    jobs that Slurm no longer shows (after MinJobAge): here, failures while the agent was not running."""
    found = []
    try:
        runs = sorted(os.listdir(runs_dir))
    except OSError:
        return found
    for run in runs:
        for stage in STAGES:
            path = os.path.join(runs_dir, run, "status", f"{stage}.json")
            try:
                status = read_json_file(path)
            except (OSError, ValueError):
                continue
            if (
                not isinstance(status, dict)
                or status.get("state") != "FAILED"
                or not str(status.get("jobId", "")).isdigit()
            ):
                continue
            try:
                when = calendar.timegm(time.strptime(str(status.get("time")), "%Y-%m-%dT%H:%M:%SZ"))
            except ValueError:
                when = None
            restart = status.get("restart", 0)
            found.append(
                (f"{status['jobId']}:{restart}", when, f"cpt-{run}-{stage} job {status['jobId']} FAILED (status file)")
            )
    return found


def new_failures(
    jobs: list[Job] | None, status_failures: list, counted: dict, since: float, now: float
) -> list[tuple[str, float, str]]:
    """The failures to count now: failed chain jobs that Slurm shows, and failed stages of the status files, that
    ended at or after `since` and are not in `counted` (key -> time). A failure seen in both has one key
    ("<job id>:<restart count>") and is counted once."""
    found: dict[str, tuple[float, str]] = {}
    for job in jobs or []:
        if job.state in FAILED_STATES:
            found.setdefault(
                job.failure_key,
                (
                    job.end_time if job.end_time is not None else now,
                    f"cpt-{job.run}-{job.stage} job {job.job_id} {job.state}",
                ),
            )
    for key, when, description in status_failures:
        found.setdefault(key, (when if when is not None else now, description))
    return [
        (key, when, description)
        for key, (when, description) in sorted(found.items())
        if key not in counted and when >= since
    ]
