#!/usr/bin/env python3
"""The head-node metrics agent of trainium-cpt: every --interval seconds (60) it reads the training logs and Slurm's
state and publishes CloudWatch custom metrics, which the monitoring stack's dashboard and alarms use.
Standard library only, Python 3.10 or later (the head node's system python3 on Ubuntu 22.04); installed and run as a
systemd service by install-agent.sh.

The contract (lib/monitoring/metrics.ts is the CDK side of it): namespace --namespace (TrainiumCpt), every metric
with exactly one dimension ClusterName = --cluster-name.

  TrainingStep            None          newest optimizer step logged by a running training job  } only when a new
  TrainingLoss            None          the loss of that step                                    } step line was read
  TrainingTokensPerSecond Count/Second  sequences/s of the log line x the run's sequenceLength   } since the last sample
  MinutesSinceLastStep    None          every interval while a chain's train job is RUNNING: minutes since its last
                                        step line, or since the job (this attempt of it) started if none since
  NodesUp                 Count         every interval: nodes `sinfo` reports usable
  FailedJobs              Count         every interval (0 when none): chain jobs that ended FAILED, TIMEOUT,
                                        NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL or DEADLINE since the previous sample,
                                        each counted once (across samples and restarts: the state file)

Where things are (cluster/training/cpt-run.sh and stage-lib.sh):
  RUNS_DIR/<run>/request.json            the run's request (sequenceLength)
  RUNS_DIR/<run>/logs/train-<jobid>.out  the train job's output (sbatch --output ... --open-mode append: a requeued
                                         job, same id, appends to the same file); srun --label runs one launcher a
                                         node, so lines of every node are in it, each behind its task label
  RUNS_DIR/<run>/status/<stage>.json     written by the stage script: RUNNING, then COMPLETED, FAILED or TERMINATED
  Slurm job names cpt-<run>-<stage>      stage one of prepare, compile, train, export, evaluate

Several runs at once (the cluster may run two chains): MinutesSinceLastStep is the largest over the running train
jobs (the one that looks most stalled), TrainingStep and TrainingLoss are those of the newest step line read,
TrainingTokensPerSecond is the sum over the running train jobs (the cluster's throughput). With one run, as usual,
they are simply that run's values.

Usage: cpt_metrics_agent.py --cluster-name NAME --region REGION [--namespace TrainiumCpt] [--interval 60]
       [--runs-dir /fsx/trainium-cpt/runs] [--slurm-bin /opt/slurm/bin] [--aws-cli aws]
       [--state-file /var/lib/trainium-cpt-metrics/state.json] [--once] [--dry-run] [--check]
"""

from __future__ import annotations

import argparse
import calendar
import dataclasses
import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Iterable

DEFAULT_NAMESPACE = "TrainiumCpt"
DEFAULT_INTERVAL = 60
DEFAULT_RUNS_DIR = "/fsx/trainium-cpt/runs"
DEFAULT_SLURM_BIN = "/opt/slurm/bin"
DEFAULT_STATE_FILE = "/var/lib/trainium-cpt-metrics/state.json"
DIMENSION = "ClusterName"
STAGES = ("prepare", "compile", "train", "export", "evaluate")
# Job states of a chain job that count as a failure (squeue/scontrol names; CANCELLED, PREEMPTED and the others do not).
FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"})
# Slurm keeps a finished job visible to scontrol/squeue for MinJobAge seconds (300 by default, ParallelCluster's too).
MIN_JOB_AGE = 300
MAX_METRICS_PER_CALL = 1000  # PutMetricData's limit of MetricData entries per request
MAX_PENDING = 2000  # data points kept for a later try when publishing fails (a few hours of samples)
MAX_READ_BYTES = 64 << 20  # read at most this much of one log per sample (the rest at the next sample)
MAX_PARTIAL_LINE = 1 << 20  # an unterminated "line" longer than this is skipped: no step line is that long
COMMAND_TIMEOUT = 60

# The values accepted on the command line: the same rules as install-agent.sh.
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,59}$")  # ParallelCluster cluster names
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$")
PATH_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+/?$")
JOB_NAME_RE = re.compile(r"^cpt-(?P<run>[a-z0-9][a-z0-9-]{0,62})-(?P<stage>prepare|compile|train|export|evaluate)$")


def log(message: str) -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def iso(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


# --- The training log ---
#
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
# only every --logging_interval steps (cpt_lib.py passes 10). The throughput is the whole job's: training_utils.py
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
class Progress:
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

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, value) -> "Progress":
        if not isinstance(value, dict):
            return cls()
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: item for key, item in value.items() if key in names})


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


@dataclass(frozen=True)
class Cursor:
    """Where reading of one log file stopped: the file (inode, a hash of its first bytes) and the offset after its
    last complete line. A partial last line stays in the file until its newline arrives."""

    inode: int | None = None
    offset: int = 0
    head: str = ""  # sha256 of the file's first min(offset, 256) bytes: a file truncated and written again differs

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, value) -> "Cursor":
        if not isinstance(value, dict):
            return cls()
        try:
            return cls(inode=value.get("inode"), offset=int(value.get("offset", 0)), head=str(value.get("head", "")))
        except (TypeError, ValueError):
            return cls()


HEAD_BYTES = 256


def _head_hash(handle, length: int) -> str:
    handle.seek(0)
    return hashlib.sha256(handle.read(min(length, HEAD_BYTES))).hexdigest()


def read_new_lines(path: str, cursor: Cursor, limit: int = MAX_READ_BYTES) -> tuple[list[str], Cursor, str | None]:
    """The complete lines of `path` after `cursor`, the cursor after them, and a note when the file was replaced
    or truncated (reading starts again at its beginning). A missing file gives no lines and the same cursor."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return [], cursor, None
    with handle:
        status = os.fstat(handle.fileno())
        note = None
        offset = cursor.offset
        if cursor.inode is not None and cursor.inode != status.st_ino:
            note, offset = "replaced (new inode)", 0
        elif status.st_size < offset:
            note, offset = f"truncated ({status.st_size} bytes, had read {offset})", 0
        elif offset and _head_hash(handle, offset) != cursor.head:
            note, offset = "rewritten (its first bytes changed)", 0
        handle.seek(offset)
        data = handle.read(limit)
        end = data.rfind(b"\n")
        if end < 0:
            complete = b""
            # An endless unterminated "line" (a progress bar drawn with \r) would stop reading for good: skip it.
            consumed = len(data) if len(data) >= MAX_PARTIAL_LINE else 0
        else:
            complete = data[: end + 1]
            consumed = end + 1
            remainder = len(data) - consumed
            if remainder >= MAX_PARTIAL_LINE:
                consumed = len(data)
        new_offset = offset + consumed
        head = _head_hash(handle, new_offset) if new_offset else ""
        text = complete.decode("utf-8", errors="replace")
        lines = text.split("\n")[:-1] if text else []
        return lines, Cursor(inode=status.st_ino, offset=new_offset, head=head), note


# --- Slurm ---


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
    "No jobs in the system", give nothing. The first of a repeated key counts, as in cpt_lib.py scontrol_job."""
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


# --- The runs' own files ---


def read_json_file(path: str):
    with open(path, encoding="utf-8") as handle:
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
    TERMINATED and not counted from the file alone). As cpt_lib.py stage_state does, the file is the fallback for
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


# --- Metrics ---


def datum(name: str, value: float, unit: str, cluster: str, timestamp: float) -> dict:
    """One MetricDatum as `aws cloudwatch put-metric-data --metric-data file://...` takes it."""
    return {
        "MetricName": name,
        "Dimensions": [{"Name": DIMENSION, "Value": cluster}],
        "Timestamp": iso(timestamp),
        "Value": value,
        "Unit": unit,
    }


@dataclass(frozen=True)
class Training:
    """A running train job and what its log says."""

    job: Job
    progress: Progress
    new_lines: int
    sequence_length: int | None


def compute_metrics(
    now: float, cluster: str, training: list[Training], nodes_up: int | None, failed_jobs: int
) -> list[dict]:
    """The data points of one sample (see the module's docstring)."""
    metrics = []
    fresh = [t for t in training if t.new_lines and t.progress.step is not None]
    if fresh:
        newest = max(fresh, key=lambda t: (t.progress.logged_at or 0, t.job.job_id))
        metrics.append(datum("TrainingStep", float(newest.progress.step), "None", cluster, now))
        if newest.progress.loss is not None and math.isfinite(newest.progress.loss):
            metrics.append(datum("TrainingLoss", newest.progress.loss, "None", cluster, now))
        rates = [
            t.progress.throughput * t.sequence_length
            for t in training
            if t.progress.throughput is not None
            and math.isfinite(t.progress.throughput)
            and t.sequence_length is not None
            and t.progress.logged_at is not None
            # the throughput of this attempt of the job, not of the one before a requeue
            and (t.job.start_time is None or t.progress.logged_at >= t.job.start_time)
        ]
        if rates:
            metrics.append(datum("TrainingTokensPerSecond", round(sum(rates), 2), "Count/Second", cluster, now))
    if training:

        def since(t: Training) -> float:
            references = [x for x in (t.progress.logged_at, t.job.start_time) if x is not None]
            return max(references) if references else now

        minutes = max(max(0.0, (now - since(t)) / 60) for t in training)
        metrics.append(datum("MinutesSinceLastStep", round(minutes, 2), "None", cluster, now))
    if nodes_up is not None:
        metrics.append(datum("NodesUp", float(nodes_up), "Count", cluster, now))
    metrics.append(datum("FailedJobs", float(failed_jobs), "Count", cluster, now))
    return metrics


def batches(metrics: list[dict], size: int = MAX_METRICS_PER_CALL) -> list[list[dict]]:
    return [metrics[i : i + size] for i in range(0, len(metrics), size)]


def put_metric_data_argv(aws_cli: str, region: str, namespace: str, payload_path: str) -> list[str]:
    return [
        aws_cli,
        "cloudwatch",
        "put-metric-data",
        "--region",
        region,
        "--namespace",
        namespace,
        "--metric-data",
        f"file://{payload_path}",
    ]


# Errors that no later try can fix: the AWS CLI's exit status 252 (the command line or the parameters are invalid)
# and CloudWatch's answers to invalid data. Such a batch is dropped (and logged), or it would block the queue.
PERMANENT_ERROR_RE = re.compile(
    r"\((InvalidParameterValue|InvalidParameterCombination|MissingParameter|"
    r"MissingRequiredParameter)\)"
)


def publish(metrics: list[dict], aws_cli: str, region: str, namespace: str) -> tuple[list[dict], list[str]]:
    """Sends `metrics` with the AWS CLI (an argument list, no shell), at most MAX_METRICS_PER_CALL a call. Returns
    the data points that could not be sent and may be tried again, and the error messages."""
    unsent: list[dict] = []
    errors: list[str] = []
    for batch in batches(metrics):
        fd, path = tempfile.mkstemp(prefix="cpt-metrics-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(batch, handle)
            try:
                result = subprocess.run(
                    put_metric_data_argv(aws_cli, region, namespace, path),
                    capture_output=True,
                    text=True,
                    timeout=COMMAND_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                errors.append(f"aws cloudwatch put-metric-data: {error}")
                unsent.extend(batch)
                continue
            if result.returncode != 0:
                message = " ".join((result.stderr or result.stdout).split())[-500:]
                if result.returncode == 252 or PERMANENT_ERROR_RE.search(message):
                    errors.append(
                        f"aws cloudwatch put-metric-data exited {result.returncode}: {message} "
                        f"(dropping these {len(batch)} data points: no later try would succeed)"
                    )
                else:
                    errors.append(f"aws cloudwatch put-metric-data exited {result.returncode}: {message}")
                    unsent.extend(batch)
        finally:
            os.unlink(path)
    return unsent, errors


def summary(metrics: list[dict]) -> str:
    def show(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"

    return " ".join(f"{m['MetricName']}={show(m['Value'])}" for m in metrics)


# --- State ---

STATE_VERSION = 1
COUNTED_RETENTION = 2 * 86400


def load_state(path: str) -> dict:
    """The state file, or a fresh state (a broken file is kept aside as PATH.broken)."""
    try:
        state = read_json_file(path)
        if isinstance(state, dict) and state.get("version") == STATE_VERSION:
            return state
        warn(f"{path}: not a version {STATE_VERSION} state file; starting afresh")
    except FileNotFoundError:
        return {"version": STATE_VERSION}
    except (OSError, ValueError) as error:
        warn(f"{path}: unreadable ({error}); starting afresh")
    try:
        os.replace(path, path + ".broken")
    except OSError:
        pass
    return {"version": STATE_VERSION}


def save_state(path: str, state: dict) -> None:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".state-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# --- The agent ---


class Agent:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.state = load_state(args.state_file)

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)

    def slurm(self, name: str, *args: str) -> str:
        argv = [os.path.join(self.args.slurm_bin, name), *args]
        try:
            result = self._run(argv)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(f"{name}: {error}") from None
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:3])} exited {result.returncode}: {result.stderr.strip()[-300:]}")
        return result.stdout

    def chain_jobs(self) -> list[Job] | None:
        try:
            return parse_scontrol_jobs(self.slurm("scontrol", "show", "job", "-o"))
        except RuntimeError as error:
            warn(f"no job information this sample: {error}")
            return None

    def nodes_up(self) -> int | None:
        try:
            return count_nodes_up(self.slurm("sinfo", *SINFO_ARGS))
        except RuntimeError as error:
            warn(f"no NodesUp this sample: {error}")
            return None

    def training(self, jobs: list[Job], now: float) -> list[Training]:
        files = self.state.setdefault("files", {})
        found = []
        for job in jobs:
            if job.stage != "train" or job.state != "RUNNING":
                continue
            path = os.path.join(self.args.runs_dir, job.run, "logs", f"train-{job.job_id}.out")
            entry = files.get(path, {})
            cursor, progress = Cursor.from_json(entry.get("cursor")), Progress.from_json(entry.get("progress"))
            lines, cursor, note = read_new_lines(path, cursor)
            if note:
                warn(f"{path} was {note}: reading it again from the start")
            progress, new = fold(progress, lines, now)
            files[path] = {"jobId": job.job_id, "cursor": cursor.to_json(), "progress": progress.to_json(), "seen": now}
            seq = sequence_length(self.args.runs_dir, job.run)
            if seq is None:
                warn(
                    f"{os.path.join(self.args.runs_dir, job.run, 'request.json')} gives no sequenceLength: "
                    f"no TrainingTokensPerSecond for run {job.run}"
                )
            found.append(Training(job=job, progress=progress, new_lines=new, sequence_length=seq))
        return found

    def forget_files(self, jobs: list[Job], now: float) -> None:
        """Drops the reading state of logs whose job Slurm no longer shows (a requeued job keeps its own)."""
        known = {job.job_id for job in jobs}
        files = self.state.get("files", {})
        for path in [
            p
            for p, entry in files.items()
            if entry.get("jobId") not in known and now - entry.get("seen", 0) > MIN_JOB_AGE
        ]:
            del files[path]

    def failed_jobs(self, jobs: list[Job] | None, now: float) -> tuple[int, list[str]]:
        counted = self.state.setdefault("counted", {})
        last = self.state.get("lastSample")
        # Failures that ended before the previous sample (less Slurm's MinJobAge, for the race between the two)
        # were counted then; on a first start, only those of the last MinJobAge count (not the whole history).
        since = (min(last, now) if isinstance(last, (int, float)) else now) - MIN_JOB_AGE
        found = new_failures(jobs, status_file_failures(self.args.runs_dir), counted, since, now)
        for key, when, _ in found:
            counted[key] = when
        for key in [
            k for k, when in counted.items() if not isinstance(when, (int, float)) or when < now - COUNTED_RETENTION
        ]:
            del counted[key]
        return len(found), [description for _, _, description in found]

    def sample(self, now: float | None = None) -> bool:
        """One sample: read, compute, publish, save the state. True when everything due was published."""
        now = time.time() if now is None else now
        jobs = self.chain_jobs()
        nodes_up = self.nodes_up()
        training = self.training(jobs, now) if jobs is not None else []
        failed, failures = self.failed_jobs(jobs, now)
        if jobs is not None:
            self.forget_files(jobs, now)
        metrics = compute_metrics(now, self.args.cluster_name, training, nodes_up, failed)
        earlier = pending = self.state.get("pending", [])
        detail = "".join(
            f" [run {t.job.run} job {t.job.job_id} step {t.progress.step}"
            f"{f', requeued {t.progress.restarts}x' if t.progress.restarts else ''}]"
            for t in training
        )
        if failures:
            detail += " [failed: " + "; ".join(failures) + "]"
        ok = True
        if self.args.dry_run:
            log(json.dumps(metrics + pending))
            verb = "would publish"
        else:
            # This sample's data first, then the earlier ones: a batch that keeps failing never holds up new data.
            unsent, errors = publish(metrics + pending, self.args.aws_cli, self.args.region, self.args.namespace)
            for error in errors:
                warn(error)
            unsent.sort(key=lambda d: d["Timestamp"])
            if len(unsent) > MAX_PENDING:
                warn(f"dropping the {len(unsent) - MAX_PENDING} oldest unsent data points")
                unsent = unsent[-MAX_PENDING:]
            ok = not errors
            verb = "published" if ok else f"FAILED to publish ({len(unsent)} data points kept for the next try)"
            pending = unsent
        self.state["pending"] = pending
        self.state["lastSample"] = now
        if not self.args.dry_run:  # a dry run leaves the file alone: the failures it saw are still to be counted
            save_state(self.args.state_file, self.state)
        resent = f" (and {len(earlier)} earlier data points)" if earlier else ""
        log(
            f"{iso(now)} {verb} {len(metrics)} metrics to {self.args.namespace} (ClusterName={self.args.cluster_name})"
            f"{resent}: {summary(metrics)}{detail}"
        )
        return ok


# --- Command line ---


def _matching(pattern: re.Pattern, what: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what}")
        return value

    return check


def _namespace(value: str) -> str:
    value = _matching(NAMESPACE_RE, "a CloudWatch namespace (letters, digits and . _ / : -, at most 255)")(value)
    if value.startswith("AWS/"):
        raise argparse.ArgumentTypeError(f"{value!r}: namespaces starting with AWS/ are reserved for AWS")
    return value


def _interval(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 10 <= int(value) <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds from 10 to 3600")
    return int(value)


def _path(value: str) -> str:
    parts = value.split("/")
    if not PATH_RE.match(value) or "." in parts or ".." in parts:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an absolute path of letters, digits and . _ - (without . or .. components)"
        )
    return value.rstrip("/") or "/"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cpt_metrics_agent.py",
        description="Publishes the trainium-cpt training metrics (CloudWatch custom metrics) of this cluster.",
    )
    parser.add_argument(
        "--cluster-name",
        required=True,
        type=_matching(
            CLUSTER_NAME_RE, "a ParallelCluster cluster name (a letter, then letters, digits and hyphens, at most 60)"
        ),
        help="the value of the ClusterName dimension",
    )
    parser.add_argument("--region", required=True, type=_matching(REGION_RE, "an AWS Region such as us-east-1"))
    parser.add_argument(
        "--namespace",
        default=DEFAULT_NAMESPACE,
        type=_namespace,
        help=f"CloudWatch namespace (default {DEFAULT_NAMESPACE})",
    )
    parser.add_argument(
        "--interval",
        default=DEFAULT_INTERVAL,
        type=_interval,
        help=f"seconds between samples (default {DEFAULT_INTERVAL})",
    )
    parser.add_argument(
        "--runs-dir",
        default=DEFAULT_RUNS_DIR,
        type=_path,
        help=f"where cpt-run.sh keeps the runs (default {DEFAULT_RUNS_DIR})",
    )
    parser.add_argument(
        "--slurm-bin", default=DEFAULT_SLURM_BIN, type=_path, help=f"Slurm's commands (default {DEFAULT_SLURM_BIN})"
    )
    parser.add_argument("--aws-cli", default="aws", help="the AWS CLI (default: aws on PATH)")
    parser.add_argument(
        "--state-file",
        default=DEFAULT_STATE_FILE,
        type=_path,
        help=f"what the agent remembers across restarts (default {DEFAULT_STATE_FILE})",
    )
    parser.add_argument("--once", action="store_true", help="take one sample and exit (status 1 if publishing failed)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the data points (JSON) instead of publishing them"
    )
    parser.add_argument("--check", action="store_true", help="check the arguments and exit")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.check:
        log(
            f"arguments OK: cluster {args.cluster_name}, region {args.region}, namespace {args.namespace}, "
            f"every {args.interval} s, runs in {args.runs_dir}"
        )
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    agent = Agent(args)
    if args.once:
        return 0 if agent.sample() else 1
    log(
        f"starting: cluster {args.cluster_name}, region {args.region}, namespace {args.namespace}, "
        f"every {args.interval} s, runs in {args.runs_dir}, Slurm in {args.slurm_bin}"
    )
    next_sample = time.monotonic()
    while True:
        try:
            agent.sample()
        except Exception:  # one bad sample must not stop the agent: systemd would restart it, losing an interval
            warn("the sample failed:\n" + traceback.format_exc().rstrip())
        next_sample += args.interval
        delay = next_sample - time.monotonic()
        if delay < 0:  # the sample took longer than the interval: start again from now
            next_sample, delay = time.monotonic(), 0
        sleep(delay)


def sleep(seconds: float) -> None:
    """time.sleep, for the loop (the tests replace this one, not time.sleep, which subprocess uses too)."""
    time.sleep(seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
