"""Slurm's view of the run's chain of jobs (prepare -> compile -> train -> export -> evaluate): scontrol first, then
its accounting, then the status files the stage scripts write (RUN_DIR/status/STAGE.json)."""

from __future__ import annotations

import os
import subprocess

from .files import read_json_no_link

STAGES = ("prepare", "compile", "train", "export", "evaluate")
# The state of a train job that stopped itself for the request's stopBy (stage-train.sh), from its status file.
STOPPED_FOR_BLOCK_END = "STOPPED_FOR_BLOCK_END"


def slurm_bin(name: str) -> str:
    return os.path.join(os.environ.get("CPT_SLURM_BIN", "/opt/slurm/bin"), name)


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def scontrol_job(job_id: str) -> dict | None:
    """JobState, Reason and the other fields of `scontrol show job -o`, or None when Slurm does not know the job."""
    result = _run([slurm_bin("scontrol"), "show", "job", "-o", job_id])
    if result.returncode != 0:
        if "Invalid job id" in result.stderr:
            return None
        raise RuntimeError(f"scontrol show job {job_id} failed: {result.stderr.strip() or result.returncode}")
    fields = {}
    for token in result.stdout.split():
        key, sep, value = token.partition("=")
        if sep and key not in fields:
            fields[key] = value
    return fields if "JobState" in fields else None


def sacct_job(job_id: str) -> dict | None:
    """State and exit code from Slurm's accounting, or None (no accounting, or no record of the job)."""
    result = _run([slurm_bin("sacct"), "-j", job_id, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"])
    if result.returncode != 0:
        return None
    for row in result.stdout.splitlines():
        cells = row.split("|")
        if len(cells) >= 3 and cells[0] == job_id:
            return {"state": cells[1].split()[0] if cells[1] else "UNKNOWN", "exitCode": cells[2]}
    return None


def status_record(run_directory: str, stage: str, job_id: str) -> dict | None:
    """The stage's status file (stage-lib.sh write_status) when it belongs to job `job_id`."""
    try:
        recorded = read_json_no_link(os.path.join(run_directory, "status", f"{stage}.json"))  # the jobs' user's
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and str(recorded.get("jobId")) == job_id else None


def _ended_state(job_id: str, fields: dict | None) -> str | None:
    """The job's state as Slurm's controller or accounting has it, or None once both forgot it."""
    if fields is not None:
        return fields["JobState"]
    accounted = sacct_job(job_id)
    return accounted["state"] if accounted else None


def stage_state(run_directory: str, stage: str, job_id: str, fields: dict | None = None) -> dict:
    """{"id", "state", "reason"} of one stage: Slurm's controller first, then its accounting, then the status file
    the stage script wrote (Slurm forgets finished jobs after MinJobAge, 300 s by default, and ParallelCluster
    clusters have no accounting unless a database is configured). The reason the stage itself gave for failing
    or requeueing (the status file's `reason`) is added to Slurm's. A train job that cancelled itself for the
    request's stopBy (stage-train.sh) is STOPPED_FOR_BLOCK_END, with its own message (where it stopped, how to
    resume): cpt's own state, taken from the status file only (Slurm's STOPPED is another thing: a job stopped by
    SIGSTOP, which still holds its nodes)."""
    if fields is None:
        fields = scontrol_job(job_id)
    recorded = status_record(run_directory, stage, job_id)
    own_state = recorded.get("state") if recorded else None
    own_reason = recorded.get("reason") if own_state in ("FAILED", "REQUEUED", STOPPED_FOR_BLOCK_END) else None
    if own_state == STOPPED_FOR_BLOCK_END and _ended_state(job_id, fields) in ("CANCELLED", None):
        return {"id": job_id, "state": STOPPED_FOR_BLOCK_END, "reason": own_reason or ""}
    if fields is not None:
        reason = fields.get("Reason", "")
        if own_reason and fields["JobState"] in ("FAILED", "PENDING"):
            reason = f"{reason}: {own_reason}"
        return {"id": job_id, "state": fields["JobState"], "reason": reason}
    accounted = sacct_job(job_id)
    if accounted is not None:
        return {"id": job_id, "state": accounted["state"], "reason": f"from sacct (exit code {accounted['exitCode']})"}
    if recorded:
        status_file = os.path.join(run_directory, "status", f"{stage}.json")
        reason = f"from {status_file}"
        if recorded.get("exitCode") is not None:
            reason += f" (exit code {recorded['exitCode']})"
        if own_reason:
            reason += f": {own_reason}"
        state = recorded.get("state", "UNKNOWN")
        if state in ("RUNNING", "REQUEUED"):
            # Slurm no longer knows the job, so it is not running, nor pending: it ended without updating its file.
            state, reason = "UNKNOWN", reason + "; Slurm no longer knows the job, so it ended without a trace"
        return {"id": job_id, "state": state, "reason": reason}
    return {
        "id": job_id,
        "state": "UNKNOWN",
        "reason": "Slurm no longer knows this job and the stage left no status file",
    }


# Slurm's states of a job that has ended (squeue(1), JOB STATE CODES), and the status files' own TERMINATED,
# STOPPED_FOR_BLOCK_END and UNKNOWN (a job Slurm forgot): anything else is pending, running or about to run again,
# Slurm's STOPPED (SIGSTOP: the job keeps its nodes, squeue(1)) among them.
ENDED_STATES = {
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "TIMEOUT",
    "REVOKED",
    "SPECIAL_EXIT",
    STOPPED_FOR_BLOCK_END,
    "TERMINATED",
    "UNKNOWN",
}


def chain_state(jobs: dict) -> dict:
    """{"active": a job of the chain may still run, "completed": every stage COMPLETED, "stage" and "state": the
    first stage, in chain order, that did not complete}."""
    states = {stage: stage_state(jobs["runDir"], stage, job_id) for stage, job_id in jobs["jobs"].items()}
    active = any(state["state"] not in ENDED_STATES for state in states.values())
    unfinished = [stage for stage in STAGES if stage in states and states[stage]["state"] != "COMPLETED"]
    first = unfinished[0] if unfinished else None
    return {
        "active": active,
        "completed": not unfinished and set(states) == set(STAGES),
        "stage": first,
        "state": states[first]["state"] if first else None,
    }


def held_first_job(jobs: dict, fields: dict | None) -> dict | None:
    """{"stage", "id", "waitsFor"} when the chain's first job is still held for the Neuron environment (`fields`:
    scontrol's view of that job)."""
    held_for = jobs.get("heldFor")
    first = jobs["jobs"].get(STAGES[0])
    if not held_for or not first or not fields:
        return None
    if fields.get("JobState") == "PENDING" and fields.get("Reason", "").startswith("JobHeld"):
        return {"stage": STAGES[0], "id": first, "waitsFor": held_for}
    return None
