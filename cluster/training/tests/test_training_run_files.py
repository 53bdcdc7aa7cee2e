"""The cpt package's helpers of recovery and resume, without Slurm: the compile cache's key, the node that failed (from the
launchers' exit files), the neuron-ls check of the preflight, the restart records, a chain's state and the patch
the prepare stage applies."""

import json
import subprocess
import sys

import pytest

from test_training_request import _request
from training_sandbox import TRAINING, patch_preimage

sys.path.insert(0, str(TRAINING))
from cpt import arguments, cli, slurm  # noqa: E402


def key(request, run_dir="/fsx/trainium-cpt/runs/a", flags="--model-type transformer", script="abc") -> dict:
    return arguments.compile_key(request, "/fsx/trainium-cpt/neuron-2.28.1/neuronx-distributed", run_dir, flags, script)


def test_the_compile_key_is_the_same_for_runs_of_the_same_shape(monkeypatch):
    monkeypatch.setenv("CPT_FSX", "/fsx")
    first = key(_request("a"))
    # Another run, on another dataset, with its compile cache elsewhere: the same graphs. (Any other argument counts,
    # --max_steps included: neuron_parallel_compile wants "the same arguments".)
    other = key(
        _request("b", trainPath="/fsx/datasets/other/attempt-2/train"),
        run_dir="/fsx/trainium-cpt/runs/b",
        flags="--model-type transformer --cache_dir=/elsewhere",
    )
    assert other["key"] == first["key"]
    assert first["argv"][:3] == [
        "<run>/patched/tp_zero1_llama_hf_pretrain.py",
        "--model_path",
        "/fsx/trainium-cpt/neuron-2.28.1/neuronx-distributed/examples/training/llama/"
        "tp_zero1_llama_hf_pretrain/7B_config_llama2",
    ]
    assert "<data>" in first["argv"] and "<checkpoints>" in first["argv"] and "<run>/output" in first["argv"]
    assert first["neuronCcFlags"] == "--model-type transformer"


@pytest.mark.parametrize(
    "change",
    [
        {"nodes": 32, "globalBatch": 4096},
        {"tensorParallel": 16},
        {"sequenceLength": 2048},
        {"microBatch": 2},
        {"neuronRelease": "2.28.0"},
        {"compileSteps": 5},
    ],
)
def test_the_compile_key_changes_with_what_decides_the_graphs(monkeypatch, change):
    monkeypatch.setenv("CPT_FSX", "/fsx")
    assert key(_request("a", **change))["key"] != key(_request("a"))["key"]


def test_the_compile_key_changes_with_the_compiler_flags_and_the_script(monkeypatch):
    monkeypatch.setenv("CPT_FSX", "/fsx")
    assert key(_request("a"), flags="--model-type transformer -O2")["key"] != key(_request("a"))["key"]
    assert key(_request("a"), script="def")["key"] != key(_request("a"))["key"]


def exit_file(logs, mode, job, node, host, code, signal=None, time=0.0):
    (logs / f"{mode}-{job}-node{node}.exit").write_text(
        json.dumps({"host": host, "node": node, "code": code, "signal": signal, "time": time})
    )


def test_the_failed_node_is_the_first_whose_launcher_ended_on_its_own(tmp_path, capsys):
    exit_file(tmp_path, "train", "7", 0, "trn-st-1", 143, "TERM", 30.0)  # stopped by srun after the failure
    exit_file(tmp_path, "train", "7", 1, "trn-st-2", 1, None, 20.0)  # the first to fail
    exit_file(tmp_path, "train", "7", 2, "trn-st-3", 1, None, 25.0)  # failed later (its peer was gone)
    exit_file(tmp_path, "train", "7", 3, "trn-st-4", 0, None, 5.0)
    exit_file(tmp_path, "train", "6", 0, "trn-st-9", 1, None, 1.0)  # another job
    assert cli.main(["failed-nodes", str(tmp_path), "train", "7", "first"]) == 0
    assert capsys.readouterr().out == "trn-st-2\t1\n"
    assert cli.main(["failed-nodes", str(tmp_path), "train", "7", "all"]) == 0
    assert capsys.readouterr().out == "trn-st-2\t1\ntrn-st-3\t1\n"
    assert cli.main(["failed-nodes", str(tmp_path), "preflight", "7", "all"]) == 0
    assert capsys.readouterr().out == ""


def devices(count=16, cores=2, processes=()):
    return [{"neuron_device": d, "nc_count": cores, "neuron_processes": list(processes)} for d in range(count)]


@pytest.mark.parametrize(
    "listing, message",
    [
        (devices(15), "n1: 15 Neuron devices with 30 NeuronCores, not 16 with 32"),
        (devices(16, cores=1), "n1: 16 Neuron devices with 16 NeuronCores, not 16 with 32"),
        (
            devices(processes=[{"pid": 4242, "command": "python3 train.py"}]),
            "n1: the devices are in use by process(es) 4242 (python3 train.py)",
        ),
        ({"neuron_device": 0}, "n1: neuron-ls --json-output printed no list of devices"),
    ],
)
def test_the_preflight_wants_every_device_free(tmp_path, listing, message, capsys):
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(listing))
    assert cli.main(["check-neuron-ls", str(path), "n1", "16", "32"]) == 1
    assert message in capsys.readouterr().err


def test_a_trn1_32xlarge_passes_the_device_check(tmp_path, capsys):
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(devices()))
    assert cli.main(["check-neuron-ls", str(path), "n1", "16", "32"]) == 0
    assert capsys.readouterr().out == "n1: 16 Neuron devices, 32 NeuronCores, none in use\n"


def test_restarts_made_by_slurm_or_by_hand_are_recorded_when_the_next_attempt_starts(tmp_path, capsys):
    restarts, status = tmp_path / "train-restarts.json", tmp_path / "train.json"
    # Attempt 1 requeued itself (recorded then); attempt 2 was stopped by `scontrol requeue`; attempt 3 starts.
    assert cli.main(["record-restart", str(restarts), "7", "1", "1", "train failed on n1 (exit 1)", "n1"]) == 0
    status.write_text(
        json.dumps({"jobId": "7", "restart": 1, "state": "TERMINATED", "exitCode": 143, "time": "2026-01-01T10:00:00Z"})
    )
    assert cli.main(["reconcile-restarts", str(restarts), str(status), "7", "2"]) == 0
    assert capsys.readouterr().out == "2\n"
    first, second = json.loads(restarts.read_text())["history"]
    assert {k: first[k] for k in ("attempt", "jobId", "exitCode", "reason", "drainedNodes")} == {
        "attempt": 1,
        "jobId": "7",
        "exitCode": 1,
        "reason": "train failed on n1 (exit 1)",
        "drainedNodes": ["n1"],
    }
    assert second == {
        "attempt": 2,
        "jobId": "7",
        "exitCode": None,
        "drainedNodes": [],
        "time": "2026-01-01T10:00:00Z",
        "reason": "requeued by Slurm or by hand (a node failure, scontrol requeue), not by the stage "
        "(the stage was stopped: TERMINATED, exit 143)",
    }
    # Nothing more to add for the same count.
    assert cli.main(["reconcile-restarts", str(restarts), str(status), "7", "2"]) == 0
    assert capsys.readouterr().out == "" and len(json.loads(restarts.read_text())["history"]) == 2


def test_a_chain_whose_jobs_slurm_forgot_has_ended(tmp_path, monkeypatch):
    monkeypatch.setattr(
        slurm, "scontrol_job", lambda job: {"1": {"JobState": "COMPLETED"}, "2": {"JobState": "PENDING"}}.get(job)
    )
    monkeypatch.setattr(slurm, "sacct_job", lambda job: None)
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "compile.json").write_text(json.dumps({"jobId": "3", "state": "RUNNING"}))
    jobs = {"runDir": str(tmp_path), "jobs": {"prepare": "1", "compile": "3", "train": "4"}}
    # compile's status file says RUNNING, but Slurm no longer knows the job: it ended without a trace.
    assert slurm.chain_state(jobs) == {"active": False, "completed": False, "stage": "compile", "state": "UNKNOWN"}
    jobs["jobs"]["train"] = "2"
    assert slurm.chain_state(jobs)["active"] is True


def test_the_sandbox_stand_in_takes_the_patch_as_the_real_example_would(tmp_path):
    """The stand-in is the patch's preimage; the real example at v2.28.0 is checked by the patch's author."""
    original = tmp_path / "example.py"
    original.write_text(patch_preimage(TRAINING / "nxd-pretrain.patch"))
    result = subprocess.run(
        [
            "patch",
            "--fuzz=0",
            "--batch",
            "--reject-file=-",
            "-o",
            "-",
            str(original),
            str(TRAINING / "nxd-pretrain.patch"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "import resume_data" in result.stdout and "flags.checkpoint_at_end" in result.stdout
