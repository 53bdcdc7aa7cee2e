"""node-setup.sh head RELEASE: the state file the training chain reads (building -> ready, or failed, with the step),
and the release of the Slurm jobs held for the environment. Run for real with bash in the sandbox."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from node_setup_sandbox import RELEASE, SCRIPT, read_pins
from node_setup_sandbox import sandbox  # noqa: F401  (fixture)

TRAINING = Path(__file__).resolve().parents[1] / "training"
MARKER = f"trainium-cpt:waits-for=neuron-{RELEASE}"
TORCH_STEP = "install torch-neuronx, neuronx-cc and neuronx-distributed"
UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STATE_KEYS = ["release", "state", "step", "since", "started", "log", "exitCode", "message"]


def run_ok(sandbox, **env):
    result = sandbox.run("head", RELEASE, **env)
    assert result.returncode == 0, result.stderr + sandbox.log_text()
    return result


def steps_seen(sandbox) -> list:
    """(state, step) of the state file as each recorded command saw it."""
    return [(r["state_seen"]["state"], r["state_seen"]["step"]) for r in sandbox.records()]


def leftovers(sandbox) -> list:
    """Temporary state files left next to the state file."""
    return [p.name for p in sandbox.state_file.parent.iterdir() if p.name.startswith(sandbox.state_file.name + ".")]


def test_each_step_is_recorded_while_building_then_ready(sandbox):
    run_ok(sandbox, CPT_TEST_WATCH_STATE=sandbox.state_file)

    # Every installer ran while the record said "building", at the step that runs it.
    assert steps_seen(sandbox) == [
        ("building", "install python3-venv and git"),
        ("building", "install python3-venv and git"),
        ("building", f"check out neuronx-distributed {read_pins()['NXD_GIT_TAG']}"),
        ("building", "create the Python virtual environment"),
        ("building", TORCH_STEP),
        ("building", "install the requirements of the Llama training example"),
    ]
    building = sandbox.records()[0]["state_seen"]
    assert list(building) == STATE_KEYS
    assert building["release"] == RELEASE and building["log"] == str(sandbox.log)
    assert UTC.match(building["since"]) and UTC.match(building["started"])
    assert building["exitCode"] is None and building["message"] is None

    ready = sandbox.state()
    assert ready == {
        **ready,
        "release": RELEASE,
        "state": "ready",
        "step": None,
        "log": str(sandbox.log),
        "started": building["started"],
        "exitCode": None,
        "message": None,
    }
    assert ready["since"] >= building["since"] and UTC.match(ready["since"])
    assert sandbox.target.is_symlink()
    assert leftovers(sandbox) == []
    assert oct(sandbox.state_file.stat().st_mode & 0o777) == "0o644"  # readable by the training user too


def test_a_failed_step_is_recorded_with_its_exit_code_and_the_log(sandbox):
    result = sandbox.run("head", RELEASE, CPT_TEST_FAIL="pip:torch-neuronx", CPT_TEST_FAIL_CODE=2)
    assert result.returncode == 2
    failed = sandbox.state()
    assert failed["state"] == "failed" and failed["step"] == TORCH_STEP and failed["exitCode"] == 2
    assert failed["message"] == f"node-setup: step '{TORCH_STEP}' failed (exit 2)"
    assert failed["log"] == str(sandbox.log) and UTC.match(failed["since"]) and UTC.match(failed["started"])
    assert leftovers(sandbox) == []
    sandbox.forget()

    # Run again (systemctl start): building from the first step, then ready.
    run_ok(sandbox, CPT_TEST_WATCH_STATE=sandbox.state_file)
    assert steps_seen(sandbox)[0] == ("building", "install python3-venv and git")
    assert sandbox.records()[0]["state_seen"]["exitCode"] is None
    assert sandbox.state()["state"] == "ready"


def test_a_failure_before_any_install_is_recorded_too(sandbox):
    sandbox.set_os("noble")
    result = sandbox.run("head", RELEASE)
    assert result.returncode == 1
    assert (sandbox.state()["state"], sandbox.state()["step"]) == ("failed", "check the operating system")
    assert "this node runs 'noble'" in sandbox.log_text()


def test_without_the_shared_file_system_nothing_is_recorded_anywhere(sandbox):
    missing = sandbox.tmp / "not-mounted"
    result = sandbox.run("head", RELEASE, CPT_SHARED=missing)
    assert result.returncode == 1
    assert not missing.exists()  # in particular no state file on the root disk where FSx should be


def test_a_stopped_build_is_recorded_as_failed(sandbox):
    # systemd stops a unit by sending SIGTERM to every process of its control group: the script and its installer.
    process = subprocess.Popen(
        ["bash", str(SCRIPT), "head", RELEASE],
        env=sandbox.env(CPT_TEST_HANG="pip:torch-neuronx"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=sandbox.tmp,
        start_new_session=True,
    )
    hanging = Path(str(sandbox.record) + ".hanging")
    deadline = time.monotonic() + 30
    while not hanging.exists():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    assert sandbox.state()["state"] == "building"
    os.killpg(process.pid, signal.SIGTERM)
    process.communicate(timeout=30)

    assert process.returncode == 143
    stopped = sandbox.state()
    assert (stopped["state"], stopped["step"], stopped["exitCode"]) == ("failed", TORCH_STEP, 143)
    assert stopped["message"] == f"node-setup: stopped by SIGTERM during step '{TORCH_STEP}'"


def test_a_second_run_keeps_the_ready_record_and_a_missing_one_is_written_again(sandbox):
    run_ok(sandbox)
    first = sandbox.state_file.read_text()
    time.sleep(1.1)
    run_ok(sandbox)
    assert sandbox.state_file.read_text() == first  # same time: "ready since" the build, not since the reboot

    # An environment built before the state file existed (or a record lost): the run records it as ready.
    sandbox.state_file.unlink()
    sandbox.forget()
    result = run_ok(sandbox)
    assert "in place already" in result.stdout and sandbox.records() == []
    assert (sandbox.state()["state"], sandbox.state()["started"]) == ("ready", None)


# --- Releasing the chains held for the environment ---

SQUEUE = (
    "\n".join(
        [
            f"101 JobHeldUser {MARKER}",
            "102 Dependency (null)",
            "103 JobHeldUser trainium-cpt:waits-for=neuron-2.27.0",  # another release
            f"104 JobHeldAdmin {MARKER}",
            f"105 Priority {MARKER}",  # released already, waiting for a node
            "106 JobHeldUser (null)",  # held by someone, for something else
            f"107 JobHeldUser {MARKER}-extra",
        ]
    )
    + "\n"
)


def test_when_ready_it_releases_the_jobs_held_for_this_release_only(sandbox):
    run_ok(sandbox, **sandbox.slurm_env(SQUEUE), CPT_TEST_WATCH=sandbox.target, CPT_TEST_WATCH_STATE=sandbox.state_file)
    squeue, scontrol = [r for r in sandbox.records() if r["cmd"] in ("squeue", "scontrol")]
    assert squeue["argv0"] == str(sandbox.slurm_bin / "squeue")
    assert squeue["args"] == ["-h", "-t", "PENDING", "-o", "%i %r %k"]
    assert scontrol["argv0"] == str(sandbox.slurm_bin / "scontrol")
    assert scontrol["args"] == ["release", "101", "104"]
    # Only once the environment was in place and recorded as ready.
    assert scontrol["watch_exists"] is True and scontrol["state_seen"]["state"] == "ready"
    assert [r["cmd"] for r in sandbox.records()][-2:] == ["squeue", "scontrol"]
    assert "releasing the Slurm jobs that wait for this environment: 101 104" in sandbox.log_text()


def test_a_run_that_finds_the_environment_in_place_releases_them_too(sandbox):
    # After a reboot, or when the release failed before: the service runs again and finishes the job.
    run_ok(sandbox)
    sandbox.forget()
    run_ok(sandbox, **sandbox.slurm_env(f"201 JobHeldUser {MARKER}\n"))
    assert [(r["cmd"], r["args"]) for r in sandbox.records()] == [
        ("squeue", ["-h", "-t", "PENDING", "-o", "%i %r %k"]),
        ("scontrol", ["release", "201"]),
    ]


def test_nothing_waiting_means_no_release(sandbox):
    run_ok(sandbox, **sandbox.slurm_env("102 Dependency (null)\n"))
    assert sandbox.calls("scontrol") == []
    assert "no Slurm job waits for this environment" in sandbox.log_text()


def test_a_node_without_slurm_has_nothing_to_release(sandbox):
    run_ok(sandbox)
    assert sandbox.calls("squeue") == [] and sandbox.calls("scontrol") == []
    assert f"no Slurm commands in {sandbox.tmp / 'no-slurm'}: no job to release" in sandbox.log_text()
    assert sandbox.state()["state"] == "ready"


def test_a_failing_squeue_or_scontrol_leaves_the_environment_ready_and_says_what_to_do(sandbox):
    result = run_ok(sandbox, **sandbox.slurm_env(f"101 JobHeldUser {MARKER}\n"), CPT_TEST_FAIL="scontrol")
    assert sandbox.state()["state"] == "ready"
    assert f"warning: {sandbox.slurm_bin}/scontrol release 101 failed: run it again by hand" in result.stdout
    sandbox.forget()
    result = run_ok(sandbox, **sandbox.slurm_env(), CPT_TEST_FAIL="squeue")
    assert "squeue failed: the jobs held for " + MARKER + " stay held" in result.stdout
    assert sandbox.state()["state"] == "ready"


def test_a_failed_build_releases_nothing(sandbox):
    result = sandbox.run("head", RELEASE, **sandbox.slurm_env(f"101 JobHeldUser {MARKER}\n"), CPT_TEST_FAIL="git")
    assert result.returncode == 1
    assert sandbox.calls("squeue") == [] and sandbox.calls("scontrol") == []


# --- What the training chain makes of the record (cluster/training/cpt/neuron.py reads this very file) ---


def neuron_state(sandbox) -> tuple:
    fsx = sandbox.shared
    out = sandbox.tmp / "neuron.json"
    result = subprocess.run(
        [sys.executable, str(TRAINING / "cpt"), "neuron-state", RELEASE, str(out)],
        env={**os.environ, "CPT_FSX": str(fsx)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip(), json.loads(out.read_text())


def test_the_training_chain_reads_the_failed_record(sandbox):
    sandbox.run("head", RELEASE, CPT_TEST_FAIL="pip:torch-neuronx", CPT_TEST_FAIL_CODE=2)
    state, environment = neuron_state(sandbox)
    assert state == "failed"
    assert (environment["step"], environment["exitCode"], environment["log"]) == (TORCH_STEP, 2, str(sandbox.log))
