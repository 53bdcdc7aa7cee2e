"""Unattended recovery and the last step, on a REAL Slurm on loopback (the Neuron tools faked): the preflight of the
compile and train jobs, a failed attempt requeueing its job until maxTrainRestarts and draining the nodes that
fail their checks (after a failed training, the checks run again: healthy nodes are not drained), the restarts in
`status`, and the last step's checkpoint saved, trained to once and exported as final. The sandbox has one node:
when a stage drains it, the test resumes it, as ParallelCluster would replace it."""

import json
import pwd
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from training_sandbox import JOB_PYTHON, JOB_USER, STAGES, TRAINING, Sandbox, node_state, scontrol, scontrol_fields
from training_sandbox import world_enterable
from training_sandbox import cluster, slurm  # noqa: F401  (fixtures)


def resume_when_drained(cluster, slurm, run: str, count: int = 1, timeout: float = 60) -> list:
    """Waits for the node to be drained `count` times, resuming it each time (ParallelCluster would replace it);
    returns sinfo's state and reason each time."""
    seen = []
    deadline = time.monotonic() + timeout
    while len(seen) < count:
        state = node_state(slurm)
        if state.startswith(("drain", "drng")):
            seen.append(state)
            assert scontrol(slurm, "update", "NodeName=localhost", "State=RESUME").returncode == 0
        elif time.monotonic() > deadline:
            raise AssertionError(f"the node was drained {len(seen)} time(s), not {count}: {state}\n{cluster.logs(run)}")
        time.sleep(0.2)
    return seen


@contextmanager
def node_states(slurm):
    """Every state sinfo gives the node while the block runs (polled every 0.2 s)."""
    seen, done = set(), threading.Event()

    def poll():
        while not done.is_set():
            seen.add(node_state(slurm).split()[0])
            done.wait(0.2)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        done.set()
        watcher.join()


def train_attempts(cluster, job: str, tool: str = "torchrun") -> list:
    """(event, SLURM_RESTART_COUNT) of each call of `tool` in the train job."""
    return [
        (r["event"], r["env"].get("SLURM_RESTART_COUNT", "0"))
        for r in cluster.records(tool, event=None)
        if r["env"]["SLURM_JOB_ID"] == job and r["event"] in ("fail", "start", "end")
    ]


def the_one_restart(final: dict, job_id: str, reason: str, drained: list) -> dict:
    """The status's one restart (its first attempt failed in training): asserts what it records; returns it."""
    [entry] = final["restarts"]["history"]
    assert {k: entry[k] for k in ("attempt", "jobId", "exitCode", "reason", "drainedNodes")} == {
        "attempt": 1,
        "jobId": job_id,
        "exitCode": 1,
        "reason": reason,
        "drainedNodes": drained,
    }
    return entry


def test_a_failed_training_on_healthy_nodes_requeues_without_draining(cluster, slurm):
    # A training failure that is not the node's (a load mismatch, device memory, bad data): the node passes its
    # checks afterwards, so draining it would only cost a healthy trn1.32xlarge.
    with node_states(slurm) as seen:
        jobs = cluster.submit(cluster.request("flaky"), CPT_FAKE_FAIL="torchrun@train.0")["jobs"]
        final = cluster.wait_all_ended("flaky", timeout=90)
    # Requeued, the job kept its id, and its dependants waited for it.
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs(
        "flaky"
    )
    assert not any(state.startswith(("drain", "drng")) for state in seen), seen
    assert scontrol_fields(jobs["train"], slurm)["Restarts"] == "1"
    assert (final["restarts"]["count"], final["restarts"]["max"]) == (1, 2)
    reason = "train failed (exit 1) on localhost; every node passed its checks afterwards: requeued without draining"
    entry = the_one_restart(final, jobs["train"], reason, drained=[])
    assert json.loads((cluster.run_dir("flaky") / "status" / "train-restarts.json").read_text())["history"] == [entry]
    assert train_attempts(cluster, jobs["train"]) == [("fail", "0"), ("start", "1"), ("end", "1")]
    # The checks ran again after the failure, within the same attempt.
    assert train_attempts(cluster, jobs["train"], "neuron-ls") == [("start", "0"), ("start", "0"), ("start", "1")]
    log = (cluster.run_dir("flaky") / "logs" / f"train-{jobs['train']}.out").read_text()
    assert "step: check the nodes after the failed train" in log
    assert f"{reason} (restart 1 of at most 2)" in log
    assert "draining node" not in log
    assert node_state(slurm).startswith("idle")


def test_a_failed_training_drains_the_nodes_that_then_fail_their_checks(cluster, slurm):
    # The training fails on its first attempt, and the node's device listing then fails too (its second neuron-ls
    # of that attempt: the first is the preflight before training).
    # As root: draining needs Slurm's operator or root, which the default user reaches through sudo on the cluster
    # (stage-lib.sh as_slurm_operator; test_a_drain_by_the_jobs_user_goes_through_sudo) and nobody cannot here.
    jobs = cluster.submit(
        cluster.request("sick"), CPT_FAKE_FAIL="torchrun@train.0,neuron-ls@train.0.2", CPT_JOB_USER="root"
    )["jobs"]
    [drained] = resume_when_drained(cluster, slurm, "sick")
    assert drained.endswith(
        f"trainium-cpt: run sick train job {jobs['train']}: train failed, then this node failed its checks"
    )
    final = cluster.wait_all_ended("sick", timeout=90)
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs("sick")
    reason = "train failed (exit 1) on localhost; the checks afterwards failed on localhost (exit 1)"
    the_one_restart(final, jobs["train"], reason, drained=["localhost"])
    assert train_attempts(cluster, jobs["train"]) == [("fail", "0"), ("start", "1"), ("end", "1")]
    log = (cluster.run_dir("sick") / "logs" / f"train-{jobs['train']}.out").read_text()
    assert "localhost: 15 Neuron devices with 30 NeuronCores, not 16 with 32" in log
    assert "draining node localhost, for ParallelCluster to replace it" in log
    assert f"{reason}; requeued (restart 1 of at most 2)" in log
    assert node_state(slurm).startswith("idle")


def test_a_failed_preflight_drains_and_requeues_compile_and_train(cluster, slurm):
    # The compile job's all-reduce fails on its first attempt, then the train job's device listing on its first.
    # As root: see test_a_failed_training_drains_the_nodes_that_then_fail_their_checks.
    jobs = cluster.submit(
        cluster.request("shaky"), CPT_FAKE_FAIL="nccom-test@compile.0,neuron-ls@train.0", CPT_JOB_USER="root"
    )["jobs"]
    first, second = resume_when_drained(cluster, slurm, "shaky", count=2)
    assert first.endswith(f"run shaky compile job {jobs['compile']}: preflight failed on this node")
    assert second.endswith(f"run shaky train job {jobs['train']}: preflight failed on this node")
    final = cluster.wait_all_ended("shaky", timeout=120)
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs(
        "shaky"
    )
    status = cluster.run_dir("shaky") / "status"
    [compile_entry] = json.loads((status / "compile-restarts.json").read_text())["history"]
    assert (compile_entry["reason"], compile_entry["drainedNodes"]) == (
        "preflight failed on localhost (exit 1)",
        ["localhost"],
    )
    [train_entry] = final["restarts"]["history"]
    assert (train_entry["attempt"], train_entry["exitCode"], train_entry["reason"]) == (
        1,
        1,
        "preflight failed on localhost (exit 1)",
    )
    logs = cluster.logs("shaky")
    assert "localhost: 15 Neuron devices with 30 NeuronCores, not 16 with 32" in logs
    assert "nccom-test: simulated failure" in logs
    # Neither ran its compile or training before its preflight passed.
    assert len(cluster.records("neuron_parallel_compile")) == 1 and len(cluster.records("torchrun")) == 2


def test_at_the_restart_limit_the_training_fails_with_the_reason(cluster, slurm):
    with node_states(slurm) as seen:
        cluster.submit(cluster.request("doomed", maxTrainRestarts=1), CPT_FAKE_FAIL="torchrun@train")
        final = cluster.wait_all_ended("doomed", timeout=90)
    assert not any(state.startswith(("drain", "drng")) for state in seen), seen  # the node passes its checks
    states = {s: (j["state"], j["reason"]) for s, j in final["jobs"].items()}
    reason = (
        "train failed (exit 1) on localhost; attempt 2, and the job was requeued 1 time(s) already (maxTrainRestarts 1)"
    )
    assert states == {
        "prepare": ("COMPLETED", "None"),
        "compile": ("COMPLETED", "None"),
        "train": ("FAILED", f"NonZeroExitCode: {reason}"),
        "export": ("CANCELLED", "DependencyNeverSatisfied"),
        "evaluate": ("CANCELLED", "DependencyNeverSatisfied"),
    }
    recorded = json.loads((cluster.run_dir("doomed") / "status" / "train.json").read_text())
    assert (recorded["state"], recorded["exitCode"], recorded["reason"], recorded["restart"]) == (
        "FAILED",
        1,
        reason,
        1,
    )
    assert (final["restarts"]["count"], final["restarts"]["max"], len(final["restarts"]["history"])) == (1, 1, 1)
    assert node_state(slurm).startswith("idle")  # the last attempt drains nothing: it fails


@pytest.mark.parametrize(
    "steps, every, saved",
    [
        (5, 2, ["step_2", "step_4", "step_5"]),  # not a multiple of checkpointEvery
        (3, 4, ["step_3"]),  # fewer steps than checkpointEvery
    ],
)
def test_the_last_steps_checkpoint_is_always_saved_and_exported_as_final(cluster, steps, every, saved):
    run = f"last-{steps}-{every}"
    cluster.submit(cluster.request(run, steps=steps, checkpointEvery=every, checkpointsKept=5))
    final = cluster.wait_all_ended(run, timeout=90)
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs(run)
    assert [r["tag"] for r in cluster.records("torchrun", event="save")] == saved
    ckpt = cluster.fsx / "checkpoints" / run
    assert sorted(p.name for p in ckpt.iterdir()) == sorted(["pretrained_weight", "request.json", *saved])
    exports = json.loads((cluster.s3 / f"ckpt-bucket/exports/{run}/exports.json").read_text())
    assert exports["final"] == f"step_{steps}" and [e["tag"] for e in exports["checkpoints"]] == saved


def lay_out_trained_run(sandbox: Sandbox, run: str, tags, **overrides):
    """RUN_DIR and the checkpoint folder as the train stage leaves them (for stages run without Slurm)."""
    run_dir = sandbox.run_dir(run)
    sandbox.copy_scripts(run_dir)
    (run_dir / "request.json").write_text(json.dumps(sandbox.request(run, **overrides)))
    for tag in tags:
        (sandbox.fsx / "checkpoints" / run / tag / "model").mkdir(parents=True)
        (sandbox.fsx / "checkpoints" / run / tag / "done").write_text("1")
    return run_dir


def run_stage(sandbox: Sandbox, run_dir, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(run_dir / "scripts" / script), str(run_dir / "request.json")],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=sandbox.tmp,
    )


def test_export_refuses_when_the_last_steps_checkpoint_is_missing(tmp_path):
    sandbox = Sandbox(tmp_path, None)
    run_dir = lay_out_trained_run(sandbox, "short", ["step_2", "step_4"], steps=5)
    result = run_stage(sandbox, run_dir, "stage-export.sh")
    assert result.returncode == 1, result.stderr
    assert (
        f"the newest completed checkpoint in {sandbox.fsx}/checkpoints/short is step_4, not step_5 (the run's "
        "last step): training did not finish"
    ) in result.stdout
    assert sandbox.records("convert_checkpoints.py") == []
    assert json.loads((run_dir / "status" / "export.json").read_text())["state"] == "FAILED"


def test_a_drain_by_the_jobs_user_goes_through_sudo():
    """stage-lib.sh as_slurm_operator: root runs the command as is; the jobs' user runs it through `sudo -n` (no
    password prompt to hang on), with the command's full path (sudo's secure_path need not hold Slurm's bin)."""
    top = world_enterable("sudo")
    try:
        bin_dir = top / "bin"
        bin_dir.mkdir()
        record = top / "calls.txt"
        record.touch()
        record.chmod(0o666)
        for name in ("sudo", "scontrol"):
            (bin_dir / name).write_text(f'#!/bin/sh\necho "$(id -u) {name} $*" >>{record}\n')
            (bin_dir / name).chmod(0o755)
        script = '. "$0"; as_slurm_operator scontrol update NodeName=n1 State=DRAIN "Reason=a b"'
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8", "CPT_PYTHON": JOB_PYTHON}
        for prefix in ([], ["/sbin/runuser", "-u", JOB_USER, "--"]):
            argv = [*prefix, "bash", "-c", script, str(TRAINING / "stage-lib.sh")]
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, cwd=top)
            assert done.returncode == 0, done.stderr
        assert record.read_text().splitlines() == [
            "0 scontrol update NodeName=n1 State=DRAIN Reason=a b",
            f"{pwd.getpwnam(JOB_USER).pw_uid} sudo -n {bin_dir}/scontrol update NodeName=n1 State=DRAIN Reason=a b",
        ]
    finally:
        shutil.rmtree(top)
