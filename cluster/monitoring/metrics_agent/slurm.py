"""The chain's jobs and the usable nodes, from the output of Slurm's scontrol and sinfo."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

STAGES = ("prepare", "compile", "train", "export", "evaluate")
JOB_NAME_RE = re.compile(rf"^cpt-(?P<run>[a-z0-9][a-z0-9-]{{0,62}})-(?P<stage>{'|'.join(STAGES)})$")
# Slurm keeps a finished job visible to scontrol/squeue for MinJobAge seconds (300 by default, ParallelCluster's too).
MIN_JOB_AGE = 300


@dataclass(frozen=True)
class Job:
    """A job of a chain, as `scontrol show job -o` shows it."""

    job_id: str
    run: str
    stage: str
    state: str
    restarts: int
    start_time: float | None
    end_time: float | None

    @property
    def failure_key(self) -> str:
        return f"{self.job_id}:{self.restarts}"


def parse_slurm_time(value: str | None) -> float | None:
    """Seconds since the epoch of a Slurm time (2024-11-28T10:15:03, the controller's local time), or None for
    Unknown, None, N/A and the like."""
    if not value:
        return None
    try:
        return time.mktime(time.strptime(value, "%Y-%m-%dT%H:%M:%S"))
    except (ValueError, OverflowError):
        return None


def parse_scontrol_jobs(text: str) -> list[Job]:
    """The chain jobs (names cpt-<run>-<stage>) in the output of `scontrol show job -o`: one job a line of
    Key=Value fields separated by spaces (scontrol replaces the spaces of a Reason by '_'). Other jobs, and
    "No jobs in the system", give nothing. The first of a repeated key counts, as in cpt/slurm.py scontrol_job."""
    jobs = []
    for line in text.splitlines():
        fields: dict[str, str] = {}
        for token in line.split():
            key, sep, value = token.partition("=")
            if sep and key not in fields:
                fields[key] = value
        name = JOB_NAME_RE.match(fields.get("JobName", ""))
        if not name or not fields.get("JobId", "").isdigit() or "JobState" not in fields:
            continue
        try:
            restarts = int(fields.get("Restarts", "0"))
        except ValueError:
            restarts = 0
        jobs.append(
            Job(
                job_id=fields["JobId"],
                run=name["run"],
                stage=name["stage"],
                state=fields["JobState"].split("+")[0],
                restarts=restarts,
                start_time=parse_slurm_time(fields.get("StartTime")),
                end_time=parse_slurm_time(fields.get("EndTime")),
            )
        )
    return jobs


# sinfo --noheader --Node --format=%N %T: one line per node and partition, the node's name and its state in the
# long form, lower case, with Slurm's flag suffix (node_state_string in src/common/slurm_protocol_defs.c): "~"
# powered down, "#" powering up, "%" powering down, "!" to be powered down, "*" not responding, "$" maintenance,
# "@" reboot requested, "^" reboot issued; "+" (allocated+, completing too) and "-" (mixed-, planned) are usable.
USABLE_STATES = frozenset({"idle", "allocated", "mixed", "completing", "planned", "reserved"})
USABLE_FLAGS = frozenset("+-")
SINFO_ARGS = ["--noheader", "--Node", "--format=%N %T"]


def node_usable(state: str) -> bool:
    base = state.rstrip("~#%!*$@^+-")
    flags = state[len(base) :]
    return base in USABLE_STATES and set(flags) <= USABLE_FLAGS


def count_nodes_up(text: str) -> int:
    """Nodes that Slurm reports usable in `sinfo --noheader --Node --format='%N %T'` output (a node in two
    partitions is listed twice, and counted once)."""
    usable = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and node_usable(parts[1].lower()):
            usable.add(parts[0])
    return len(usable)
