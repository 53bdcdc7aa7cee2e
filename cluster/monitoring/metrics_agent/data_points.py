"""The data points of one sample (the contract in cpt_metrics_agent.py's docstring)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .output import iso
from .slurm import Job
from .training_log import Progress

DIMENSION = "ClusterName"


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
    now: float,
    cluster: str,
    training: list[Training],
    nodes_up: int | None,
    failed_jobs: int,
    fsx_free_gib: float | None = None,
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
    if fsx_free_gib is not None:
        metrics.append(datum("FsxFreeGiB", round(fsx_free_gib, 1), "None", cluster, now))
    metrics.append(datum("FailedJobs", float(failed_jobs), "Count", cluster, now))
    return metrics


def free_gib(path: str) -> float | None:
    """Free space, in GiB, that an unprivileged writer has on the file system mounted at `path`; None where there is
    no such folder (a machine without FSx, as in the tests that do not ask for it)."""
    if not os.path.isdir(path):
        return None
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize / 2**30


def summary(metrics: list[dict]) -> str:
    def show(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"

    return " ".join(f"{m['MetricName']}={show(m['Value'])}" for m in metrics)
