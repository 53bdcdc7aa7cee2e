"""cpt-run.sh's records and answers: jobs.json (the run's chain of jobs), and the one JSON line each action prints
(submit, status, cancel, or an error)."""

from __future__ import annotations

import os
import re
import subprocess

from .files import line, read_json, write_json_atomically
from .neuron import neuron_environment
from .restarts import read_restarts, restarts_file
from .slurm import STAGES, chain_state, held_first_job, scontrol_job, stage_state


def cmd_jobs_json(output: str, run: str, run_directory: str, *pairs: str) -> None:
    """jobs.json from stage=jobid pairs, and heldFor=neuron-<release> when the first job was submitted held."""
    jobs, held_for = {}, None
    for pair in pairs:
        stage, _, job_id = pair.partition("=")
        if stage == "heldFor" and re.fullmatch(r"neuron-\d+\.\d+\.\d+", job_id):
            held_for = job_id
            continue
        if stage not in STAGES or not job_id.isdigit():
            raise ValueError(f"bad stage=jobid pair {pair!r}")
        jobs[stage] = job_id
    record = {"run": run, "jobs": jobs, "runDir": run_directory}
    if held_for:
        record["heldFor"] = held_for
    write_json_atomically(output, record)


def _scontrol_or_none(job_id: str) -> dict | None:
    try:
        return scontrol_job(job_id)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return None


def cmd_submit_output(
    jobs_file: str,
    created: str,
    neuron_file: str | None = None,
    resumed: str = "false",
    resume_from: str = "",
    message: str = "",
) -> None:
    """The answer of a submission: the jobs, the Neuron environment's state, the first job when it is held, whether
    this chain continues earlier work (`resumed`), the newest completed checkpoint when it was submitted
    (`resumeFrom`, null without one) and, when no chain was submitted, why (`message`)."""
    jobs = read_json(jobs_file)
    answer = {"run": jobs["run"], "created": created == "true", "jobs": jobs["jobs"], "runDir": jobs["runDir"]}
    if neuron_file:
        answer["neuronEnvironment"] = read_json(neuron_file)
    if jobs.get("heldFor"):
        held = held_first_job(jobs, _scontrol_or_none(jobs["jobs"][STAGES[0]]))
        if held:
            answer["heldJob"] = held
    answer["resumed"] = resumed == "true"
    answer["resumeFrom"] = resume_from or None
    if message:
        answer["message"] = message
    print(line(answer))


def cmd_job_ids(jobs_file: str) -> None:
    jobs = read_json(jobs_file)["jobs"]
    for stage in STAGES:
        job_id = jobs.get(stage)
        if job_id:
            print(job_id)


def cmd_status(jobs_file: str) -> None:
    """Each stage's job (the first one says what it waits for while it is held for the Neuron environment), the
    state of the run's Neuron environment and the train job's restarts when its request.json is there."""
    jobs = read_json(jobs_file)
    fields = {stage: scontrol_job(job_id) for stage, job_id in jobs["jobs"].items()}
    states = {
        stage: stage_state(jobs["runDir"], stage, job_id, fields[stage]) for stage, job_id in jobs["jobs"].items()
    }
    first = states.get(STAGES[0])
    if first and held_first_job(jobs, {"JobState": first["state"], "Reason": first["reason"]}):
        first["waitsFor"] = jobs["heldFor"]
    answer = {"run": jobs["run"], "jobs": states}
    request_file = os.path.join(jobs["runDir"], "request.json")
    if os.path.isfile(request_file):
        request = read_json(request_file)
        answer["neuronEnvironment"] = neuron_environment(request["neuronRelease"])
        train_id = jobs["jobs"].get("train")
        history = [
            entry for entry in read_restarts(restarts_file(jobs["runDir"], "train")) if entry.get("jobId") == train_id
        ]
        # Slurm counts a requeue at once; the history gets its entry when the stage requeues itself, or when the
        # next attempt starts after a requeue by Slurm (node failure) or by hand.
        slurm_count = fields.get("train") and fields["train"].get("Restarts", "0")
        count = max(len(history), int(slurm_count) if slurm_count and slurm_count.isdigit() else 0)
        answer["restarts"] = {"count": count, "max": request.get("maxTrainRestarts", 0), "history": history}
    print(line(answer))


def cmd_chain_state(jobs_file: str) -> None:
    """`active`, `completed`, or `ended STATE STAGE` (the first stage that did not complete): for cpt-run.sh."""
    state = chain_state(read_json(jobs_file))
    print(
        "active"
        if state["active"]
        else "completed"
        if state["completed"]
        else f"ended {state['state']} {state['stage']}"
    )


def cmd_cancel_output(jobs_file: str) -> None:
    jobs = read_json(jobs_file)
    print(line({"run": jobs["run"], "cancelled": [jobs["jobs"][s] for s in STAGES if s in jobs["jobs"]]}))


def cmd_error(message: str) -> None:
    print(line({"error": message}))
