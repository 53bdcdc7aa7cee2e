"""A chain submitted before the Neuron environment is ready, on a REAL Slurm on loopback: its first job is held until
the real node-setup.sh head finds the environment in place and releases it; a failed build refuses the chain; and
the race where the build ends while the chain is being submitted ends with the chain released."""

import json
import os
import subprocess
import sys
import time

from training_sandbox import RELEASE, SLURM_BIN, STAGES, TORCH_STEP, scontrol_fields
from training_sandbox import cluster, slurm  # noqa: F401  (fixtures)

MARKER = f"trainium-cpt:waits-for=neuron-{RELEASE}"


def held_for_a_while(cluster, run: str, seconds: float = 3.0) -> dict:
    """The status after `seconds` (the scheduler looks at the queue every second): nothing may have started."""
    time.sleep(seconds)
    return cluster.status(run)


def test_a_chain_submitted_while_the_environment_builds_waits_and_runs_once_it_is_ready(cluster, slurm):
    cluster.set_neuron("building")
    submitted = cluster.submit(cluster.request("early"))
    jobs = submitted["jobs"]
    assert submitted["created"] is True
    assert submitted["heldJob"] == {"stage": "prepare", "id": jobs["prepare"], "waitsFor": f"neuron-{RELEASE}"}
    assert (submitted["neuronEnvironment"]["state"], submitted["neuronEnvironment"]["step"]) == ("building", TORCH_STEP)

    # Held by Slurm, with the comment node-setup.sh looks for; the rest of the chain behind it.
    fields = scontrol_fields(jobs["prepare"], slurm)
    assert (fields["JobState"], fields["Reason"], fields["Priority"], fields["Comment"]) == (
        "PENDING",
        "JobHeldUser",
        "0",
        MARKER,
    )
    assert "Comment" not in scontrol_fields(jobs["compile"], slurm)
    status = held_for_a_while(cluster, "early")
    assert status["jobs"]["prepare"] == {
        "id": jobs["prepare"],
        "state": "PENDING",
        "reason": "JobHeldUser",
        "waitsFor": f"neuron-{RELEASE}",
    }
    assert {s: (j["state"], j["reason"]) for s, j in status["jobs"].items() if s != "prepare"} == dict.fromkeys(
        STAGES[1:], ("PENDING", "Dependency")
    )
    assert status["neuronEnvironment"]["state"] == "building"
    assert cluster.records() == []  # nothing ran

    finished = cluster.finish_neuron_build()
    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert f"releasing the Slurm jobs that wait for this environment: {jobs['prepare']}" in finished.stdout

    final = cluster.wait_all_ended("early", timeout=60)
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs(
        "early"
    )
    assert "waitsFor" not in final["jobs"]["prepare"]
    environment = final["neuronEnvironment"]
    assert (environment["state"], environment["log"]) == ("ready", str(cluster.node_setup_log))
    for before, after in zip(STAGES, STAGES[1:]):
        assert scontrol_fields(jobs[before], slurm)["EndTime"] <= scontrol_fields(jobs[after], slurm)["StartTime"]


def test_a_chain_submitted_before_the_build_started_is_held_too(cluster, slurm):
    cluster.set_neuron("not-started")
    submitted = cluster.submit(cluster.request("very-early"))
    assert submitted["neuronEnvironment"]["state"] == "not-started"
    assert held_for_a_while(cluster, "very-early", 2)["jobs"]["prepare"]["reason"] == "JobHeldUser"
    # A build that starts and ends later releases it all the same.
    assert cluster.finish_neuron_build().returncode == 0
    cluster.wait_for("very-early", lambda states: states["prepare"] in ("RUNNING", "COMPLETED"))


def test_a_chain_submitted_after_the_build_failed_is_refused(cluster, slurm):
    cluster.set_neuron("failed")
    result = cluster.cpt("submit", cluster.request("too-late"))
    assert result.returncode == 1, result
    assert result.json["error"].startswith(
        f"the Neuron {RELEASE} environment failed to build: step '{TORCH_STEP}' failed (exit 2) at 2026-01-01T12:03:00Z; "
        "its log is /var/log/trainium-cpt/node-setup.log on the head node."
    )
    names = subprocess.run(
        [f"{SLURM_BIN}/squeue", "-h", "-o", "%j"],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": slurm},
    ).stdout.split()
    assert not [n for n in names if n.startswith("cpt-too-late-")]
    assert not (cluster.run_dir("too-late") / "jobs.json").exists()


RACE_SBATCH = r'''#!@PYTHON@
"""sbatch that, before submitting a held job, lets the build end: node-setup.sh looks for held jobs before this one
exists, finds none, and records the environment ready. Then the real sbatch."""
import json, os, subprocess, sys
if "--hold" in sys.argv:
    os.symlink(@BUILD@, @LINK@)
    argv, env = json.loads(@INVOCATION@)
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    with open(@LOG@, "w") as out:
        out.write(done.stdout + done.stderr)
    if done.returncode:
        sys.exit(99)
os.execv("@SLURM_BIN@/sbatch", ["sbatch", *sys.argv[1:]])
'''


def test_the_build_ending_between_the_check_and_the_held_submission_leaves_nothing_held(cluster, slurm):
    cluster.set_neuron("building")
    race_bin = cluster.tmp / "race-bin"
    race_bin.mkdir()
    for name in ("scontrol", "squeue", "scancel", "sacct", "srun"):
        (race_bin / name).symlink_to(f"{SLURM_BIN}/{name}")
    race_log = cluster.tmp / "race-node-setup.txt"
    (race_bin / "sbatch").write_text(
        RACE_SBATCH.replace("@PYTHON@", sys.executable)
        .replace("@SLURM_BIN@", SLURM_BIN)
        .replace("@BUILD@", repr(cluster.neuron_build.name))
        .replace("@LINK@", repr(str(cluster.neuron)))
        .replace("@INVOCATION@", repr(json.dumps(cluster.node_setup_invocation())))
        .replace("@LOG@", repr(str(race_log)))
    )
    (race_bin / "sbatch").chmod(0o755)

    # As root: this sbatch plays node-setup.sh's build too, which is root's (the jobs' user may not link the build).
    result = cluster.cpt("submit", cluster.request("race"), CPT_SLURM_BIN=race_bin, CPT_JOB_USER="root")
    assert result.returncode == 0, result
    # node-setup.sh ran while the state said building, before the held job existed: it released nothing.
    assert "no Slurm job waits for this environment" in race_log.read_text()
    # cpt-run.sh looked again after submitting, saw the environment ready, and released the job itself.
    prepare = result.json["jobs"]["prepare"]
    assert (
        f"the Neuron {RELEASE} environment became ready during the submission: releasing job {prepare}" in result.stderr
    )
    assert "heldJob" not in result.json and result.json["neuronEnvironment"]["state"] == "ready"
    assert json.loads((cluster.run_dir("race") / "jobs.json").read_text())["heldFor"] == f"neuron-{RELEASE}"
    assert scontrol_fields(prepare, slurm)["Reason"] != "JobHeldUser"
    final = cluster.wait_all_ended("race", timeout=60)
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs("race")
