"""One sample of the agent: read Slurm and the logs, compute the data points, publish them, save the state."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time

from .cloudwatch import publish
from .commands import run_command
from .log_reader import Cursor, read_new_lines
from .data_points import Training, compute_metrics, free_gib, summary
from .output import iso, log, warn
from .run_files import new_failures, sequence_length, status_file_failures
from .slurm import MIN_JOB_AGE, SINFO_ARGS, Job, count_nodes_up, parse_scontrol_jobs
from .state import COUNTED_RETENTION, load_state, save_state
from .training_log import Progress, fold

MAX_PENDING = 2000  # data points kept for a later try when publishing fails (a few hours of samples)


class Agent:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.state = load_state(args.state_file)

    def slurm(self, name: str, *args: str) -> str:
        argv = [os.path.join(self.args.slurm_bin, name), *args]
        try:
            result = run_command(argv)
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

    def fsx_free_gib(self) -> float | None:
        try:
            return free_gib(self.args.fsx_dir)
        except OSError as error:
            warn(f"no FsxFreeGiB this sample: {error}")
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
        metrics = compute_metrics(now, self.args.cluster_name, training, nodes_up, failed, self.fsx_free_gib())
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
