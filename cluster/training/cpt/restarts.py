"""The records of a stage job's attempts: its status file (RUN_DIR/status/STAGE.json, stage-lib.sh write_status),
its restarts (RUN_DIR/status/STAGE-restarts.json, stage-lib.sh restart_or_fail) and the nodes where a run failed
(the launchers' exit files, launch-training.sh)."""

from __future__ import annotations

import os
from pathlib import Path

from .files import read_json, utc_now, write_json_atomically


def restarts_file(run_directory: str, stage: str) -> str:
    return os.path.join(run_directory, "status", f"{stage}-restarts.json")


def read_restarts(path: str) -> list:
    try:
        history = read_json(path).get("history", [])
    except (OSError, ValueError, AttributeError):
        return []
    return history if isinstance(history, list) else []


def restart_entry(attempt: int, job_id: str, exit_code, reason: str, nodes, time_text: str | None = None) -> dict:
    """One failed attempt of a stage job: `attempt` counts from 1 (SLURM_RESTART_COUNT + 1)."""
    return {
        "attempt": attempt,
        "jobId": job_id,
        "exitCode": exit_code,
        "reason": reason,
        "drainedNodes": list(nodes),
        "time": time_text or utc_now(),
    }


def cmd_status_file(
    path: str, stage: str, job_id: str, restart: str, state: str, code: str, nodes: str, reason: str = ""
) -> None:
    """The stage's status file, RUN_DIR/status/STAGE.json (stage-lib.sh write_status)."""
    record = {
        "stage": stage,
        "jobId": job_id,
        "restart": int(restart or 0),
        "state": state,
        "exitCode": int(code) if code.lstrip("-").isdigit() else None,
        "nodes": nodes,
        "time": utc_now(),
    }
    if reason:
        record["reason"] = reason
    write_json_atomically(path, record)


def cmd_record_restart(path: str, job_id: str, attempt: str, exit_code: str, reason: str, *nodes: str) -> None:
    """Adds a failed attempt to RUN_DIR/status/STAGE-restarts.json (atomically)."""
    history = read_restarts(path)
    code = int(exit_code) if exit_code.lstrip("-").isdigit() else None
    history.append(restart_entry(int(attempt), job_id, code, reason, nodes))
    write_json_atomically(path, {"history": history})


def cmd_reconcile_restarts(path: str, status_path: str, job_id: str, restart_count: str) -> None:
    """At the start of attempt restart_count + 1: an entry for each earlier attempt of this job that has none, i.e.
    one that Slurm requeued (node failure) or someone did by hand (scontrol requeue): the stage records its own
    requeues before making them. Prints the attempts added."""
    history = read_restarts(path)
    seen = {entry.get("attempt") for entry in history if entry.get("jobId") == job_id}
    try:
        last = read_json(status_path)
    except (OSError, ValueError):
        last = {}
    added = []
    for attempt in range(1, int(restart_count or 0) + 1):
        if attempt in seen:
            continue
        # The status file the attempt left, when it could (a signal: TERMINATED, with the time it stopped).
        own = last if str(last.get("jobId")) == job_id and last.get("restart") == attempt - 1 else {}
        stopped = f" (the stage was stopped: {own['state']}, exit {own.get('exitCode')})" if own.get("state") else ""
        history.append(
            restart_entry(
                attempt,
                job_id,
                None,
                f"requeued by Slurm or by hand (a node failure, scontrol requeue), not by the stage{stopped}",
                [],
                own.get("time"),
            )
        )
        added.append(attempt)
    if added:
        history.sort(key=lambda entry: (str(entry.get("jobId")), entry.get("attempt", 0)))
        write_json_atomically(path, {"history": history})
    for attempt in added:
        print(attempt)


def cmd_failed_nodes(logs_dir: str, mode: str, job_id: str, which: str) -> None:
    """The nodes where a `mode` run failed (launch-training.sh leaves LOGS/MODE-JOB-nodeN.exit on each node):
    those whose launcher ended with a non-zero status of its own, not because it was signalled (srun
    --kill-on-bad-exit stops the others after the first failure): `which` first, the one that ended first (the
    node a failed training names); all, every one (the nodes a failed preflight drains). Prints "host<TAB>exit
    code" lines."""
    records = []
    for path in Path(logs_dir).glob(f"{mode}-{job_id}-node*.exit"):
        try:
            record = read_json(str(path))
        except (OSError, ValueError):
            continue
        if record.get("code") not in (0, None) and not record.get("signal"):
            records.append(record)
    records.sort(key=lambda record: record.get("time", 0))
    for record in records[:1] if which == "first" else records:
        print(f"{record['host']}\t{record['code']}")
