"""Publishing data points with the AWS CLI's `cloudwatch put-metric-data`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile

from .commands import run_command

MAX_METRICS_PER_CALL = 1000  # PutMetricData's limit of MetricData entries per request


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
                result = run_command(put_metric_data_argv(aws_cli, region, namespace, path))
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
