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
  FsxFreeGiB              None          every interval while --fsx-dir exists: GiB free on that file system
  FailedJobs              Count         every interval (0 when none): chain jobs that ended FAILED, TIMEOUT,
                                        NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL or DEADLINE since the previous sample,
                                        each counted once (across samples and restarts: the state file)

Where things are (cluster/training/cpt-run.sh and stage-lib.sh):
  RUNS_DIR/<run>/request.json            the run's request (sequenceLength)
  RUNS_DIR/<run>/logs/train-<jobid>.out  the train job's output (sbatch --output ... --open-mode append: a requeued
                                         job, same id, appends to the same file); srun --label runs one launcher a
                                         node, so lines of every node are in it, each behind its task label
  RUNS_DIR/<run>/status/<stage>.json     written by the stage script: RUNNING, then COMPLETED, FAILED, REQUEUED,
                                         STOPPED_FOR_BLOCK_END (train, for stopBy: not a failure) or
                                         TERMINATED
  Slurm job names cpt-<run>-<stage>      stage one of prepare, compile, train, export, evaluate

Several runs at once (the cluster may run two chains): MinutesSinceLastStep is the largest over the running train
jobs (the one that looks most stalled), TrainingStep and TrainingLoss are those of the newest step line read,
TrainingTokensPerSecond is the sum over the running train jobs (the cluster's throughput). With one run, as usual,
they are simply that run's values.

Usage: cpt_metrics_agent.py --cluster-name NAME --region REGION [--namespace TrainiumCpt] [--interval 60]
       [--runs-dir /fsx/trainium-cpt/runs] [--fsx-dir /fsx] [--slurm-bin /opt/slurm/bin] [--aws-cli aws]
       [--state-file /var/lib/trainium-cpt-metrics/state.json] [--once] [--dry-run] [--check]
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import time
import traceback

from metrics_agent.sampling import Agent
from metrics_agent.output import log, warn

DEFAULT_NAMESPACE = "TrainiumCpt"
DEFAULT_INTERVAL = 60
DEFAULT_RUNS_DIR = "/fsx/trainium-cpt/runs"
DEFAULT_FSX_DIR = "/fsx"
DEFAULT_SLURM_BIN = "/opt/slurm/bin"
DEFAULT_STATE_FILE = "/var/lib/trainium-cpt-metrics/state.json"

# The values accepted on the command line: the same rules as install-agent.sh.
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,59}$")  # ParallelCluster cluster names
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$")
PATH_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+/?$")


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
    for flag, default, kind, meaning in (
        ("--namespace", DEFAULT_NAMESPACE, _namespace, "CloudWatch namespace"),
        ("--interval", DEFAULT_INTERVAL, _interval, "seconds between samples"),
        ("--runs-dir", DEFAULT_RUNS_DIR, _path, "where cpt-run.sh keeps the runs"),
        ("--fsx-dir", DEFAULT_FSX_DIR, _path, "the FSx mount whose free space FsxFreeGiB reports, while it exists"),
        ("--slurm-bin", DEFAULT_SLURM_BIN, _path, "Slurm's commands"),
    ):
        parser.add_argument(flag, default=default, type=kind, help=f"{meaning} (default {default})")
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
