"""cpt-run.sh against Slurm commands that only record (no daemon): hostile or broken requests are refused before
anything reaches Slurm or the file system, the exact sbatch options of the chain, and the rollback of a
submission that fails half-way."""

import json
import shutil
import subprocess

import pytest

from training_sandbox import TRAINING, encode, give_to_job_user, run_request
from training_sandbox import offline  # noqa: F401  (fixture)


def assert_refused(result, *fragments, status=2, error=None):
    """One JSON line {"error": ...} on stdout, with exit `status`: the error holds each of `fragments`, or is `error`."""
    assert result.returncode == status, result
    assert len(result.lines) == 1, result  # exactly one line on stdout
    assert set(result.json) == {"error"}, result
    for fragment in fragments:
        assert fragment in result.json["error"], result
    if error is not None:
        assert result.json["error"] == error


def assert_nothing_happened(sandbox):
    assert sandbox.slurm_calls() == []
    assert not (sandbox.fsx / "trainium-cpt" / "runs").exists()
    assert not (sandbox.tmp / "pwned").exists()
    assert sandbox.records() == []


HOSTILE_RUNS = [
    "x; touch {tmp}/pwned",
    "$(touch {tmp}/pwned)",
    "`touch {tmp}/pwned`",
    "x' && touch {tmp}/pwned #",
    "../../etc",
    "x\ntouch {tmp}/pwned",
    "x|touch {tmp}/pwned",
    "UPPER",
    "",
]


@pytest.mark.parametrize("run", HOSTILE_RUNS)
@pytest.mark.parametrize("action", ["submit", "status", "cancel"])
def test_shell_metacharacters_in_the_run_name_are_refused(offline, action, run):
    run = run.format(tmp=offline.tmp)
    request = offline.request(run) if action == "submit" else run_request(run)
    assert_refused(offline.cpt(action, request), "run: must be a string matching")
    assert_nothing_happened(offline)


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("trainPath", "/fsx/datasets/../../etc", "trainPath: must be a string matching"),
        ("trainPath", "/fsx/datasets/x/../../../root", "trainPath: must be a string matching"),
        ("trainPath", "/home/ubuntu/data", "trainPath: must be"),
        ("trainPath", "/fsx/datasets/$(touch {tmp}/pwned)", "trainPath: must be"),
        ("evalPaths", {"domain": "/fsx/datasets/../x", "general": None}, "evalPaths.domain: must be"),
        ("exportS3Uri", "s3://bucket/$(touch {tmp}/pwned)", "exportS3Uri: must be"),
        ("partition", "trn --wrap='touch {tmp}/pwned'", "partition: must be"),
        ("neuronRelease", "2.28.1/../../x", "neuronRelease: must be"),
        ("nodes", "1; touch {tmp}/pwned", "nodes: must be an integer"),
    ],
)
def test_hostile_values_are_refused_before_anything_is_submitted(offline, field, value, fragment):
    if isinstance(value, str):
        value = value.format(tmp=offline.tmp)
    assert_refused(offline.cpt("submit", offline.request("r1", **{field: value})), fragment)
    assert_nothing_happened(offline)


def test_unknown_fields_are_refused(offline):
    request = offline.request("r1", sbatchExtra="--wrap=id", debug=True)
    assert_refused(offline.cpt("submit", request), "sbatchExtra: unknown field", "debug: unknown field")
    assert_nothing_happened(offline)


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ("%%% not base64 %%%", "request: not base64"),
        ("eyJ2ZXJzaW9uIjoxfQ", "request: not base64"),  # padding missing
        (encode(run_request("r"))[:6] + "\n" + encode(run_request("r"))[6:], "request: not base64"),
        ("$(touch {tmp}/pwned)", "request: not base64"),
        (encode("not json"), "request: not JSON"),
        (encode('["version", 1]'), "request: not a JSON object"),
        ("", "request: empty"),
    ],
)
def test_bad_base64_or_json_is_refused(offline, payload, fragment):
    assert_refused(offline.cpt("submit", payload.format(tmp=offline.tmp), raw=True), fragment)
    assert_nothing_happened(offline)


def test_wrong_action_and_argument_counts_are_refused(offline):
    assert_refused(offline.cpt("delete", offline.request("r1")), "unknown action")
    assert_refused(offline.cpt("submit", None), "usage: cpt-run.sh", "got 1 arguments")
    assert_refused(offline.cpt("submit", offline.request("r1"), "extra"), "got 3 arguments")
    assert_nothing_happened(offline)


def test_status_of_an_unknown_run_is_an_error(offline):
    result = offline.cpt("status", run_request("never-submitted"))
    assert_refused(result, "no run named never-submitted", status=1)
    assert offline.slurm_calls() == []


def neuron_ready(sandbox, release="2.28.1") -> dict:
    """The environment part of an answer when the environment is in place and no build was recorded."""
    base = sandbox.fsx / "trainium-cpt" / f"neuron-{release}"
    return {
        "release": release,
        "state": "ready",
        **dict.fromkeys(("step", "since", "started", "log", "exitCode", "message")),  # none: no build recorded
        "path": str(base),
        "stateFile": f"{base}.state.json",
        "service": "trainium-cpt-neuron-environment",
    }


def test_a_failed_neuron_environment_is_refused_naming_the_step_and_the_log(offline):
    offline.set_neuron("failed", step="install torch-neuronx, neuronx-cc and neuronx-distributed", exit_code=2)
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(
        result,
        status=1,
        error=(
            "the Neuron 2.28.1 environment failed to build: step 'install torch-neuronx, neuronx-cc and "
            "neuronx-distributed' failed (exit 2) at 2026-01-01T12:03:00Z; its log is /var/log/trainium-cpt/node-setup.log "
            "on the head node. Build it again on the head node (sudo systemctl start trainium-cpt-neuron-environment), "
            "then submit again"
        ),
    )
    assert_nothing_happened(offline)


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (
            "venv",
            "neuron-2.28.1.state.json says ready, but {fsx}/trainium-cpt/neuron-2.28.1/venv/bin/python3 is missing",
        ),
        (
            "example",
            "neuron-2.28.1.state.json says ready, but {fsx}/trainium-cpt/neuron-2.28.1/neuronx-distributed/"
            "examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py is missing",
        ),
    ],
)
def test_an_environment_recorded_ready_but_damaged_is_refused(offline, damage, fragment):
    offline.neuron_state_file.write_text(json.dumps({"release": "2.28.1", "state": "ready"}))
    if damage == "venv":
        (offline.venv / "bin" / "python3").unlink()
    else:
        (offline.llama / "tp_zero1_llama_hf_pretrain" / "tp_zero1_llama_hf_pretrain.py").unlink()
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(
        result,
        "the Neuron 2.28.1 environment cannot be used: ",
        fragment.format(fsx=offline.fsx),
        "sudo systemctl start trainium-cpt-neuron-environment",
        status=1,
    )
    assert_nothing_happened(offline)


def test_a_build_recorded_building_for_longer_than_the_service_allows_is_reported_failed(offline):
    offline.set_neuron("building", started="2026-01-01T09:00:00Z")
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(
        result,
        "the Neuron 2.28.1 environment cannot be used: ",
        "neuron-2.28.1.state.json says building since 2026-01-01T09:00:00Z, longer than the service allows "
        "(2 hours): the build stopped without recording why",
        "sudo systemctl start trainium-cpt-neuron-environment",
        status=1,
    )
    assert_nothing_happened(offline)


@pytest.mark.parametrize("state", ["building", "not-started"])
def test_before_the_environment_is_ready_the_first_job_is_submitted_held(offline, state):
    offline.set_neuron(state)
    result = offline.cpt("submit", offline.request("r1"))
    assert result.returncode == 0, result
    sbatch = [c[1:] for c in offline.slurm_calls() if c[0] == "sbatch"]
    prepare, *rest = sbatch
    assert prepare[prepare.index("--hold") : prepare.index("--hold") + 3] == [
        "--hold",
        "--comment",
        "trainium-cpt:waits-for=neuron-2.28.1",
    ]
    assert all("--hold" not in call and "--comment" not in call for call in rest)
    # Still not ready when it looked again: nothing released.
    assert [c for c in offline.slurm_calls() if c[:2] == ["scontrol", "release"]] == []
    answer = result.json
    assert answer["heldJob"] == {"stage": "prepare", "id": "101", "waitsFor": "neuron-2.28.1"}
    assert answer["neuronEnvironment"]["state"] == state
    if state == "building":
        assert answer["neuronEnvironment"]["step"] == "install torch-neuronx, neuronx-cc and neuronx-distributed"
        assert answer["neuronEnvironment"]["since"] == "2026-01-01T12:03:00Z"
    jobs = json.loads((offline.fsx / "trainium-cpt" / "runs" / "r1" / "jobs.json").read_text())
    assert jobs["heldFor"] == "neuron-2.28.1"
    assert "job 101 is held until the Neuron 2.28.1 environment is ready (now: " + state + ")" in result.stderr


def test_a_resubmission_says_whether_the_first_job_still_waits(offline):
    offline.set_neuron("building")
    first = offline.cpt("submit", offline.request("r1")).json
    again = offline.cpt("submit", offline.request("r1")).json
    assert again == {**first, "created": False}
    assert again["heldJob"]["id"] == "101"
    # Released (by node-setup.sh): a later answer no longer says it waits.
    subprocess.run([str(offline.tmp / "slurm-bin" / "scontrol"), "release", "101"], env=offline.env(), check=True)
    offline.set_neuron("ready")
    later = offline.cpt("submit", offline.request("r1")).json
    assert "heldJob" not in later and later["neuronEnvironment"]["state"] == "ready"


def test_submit_sends_the_chain_with_its_options(offline):
    result = offline.cpt("submit", offline.request("r1", nodes=4, partition="trn"), CPT_TEST_SBATCH_CLUSTER="1")
    assert result.returncode == 0, result
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    assert result.json == {
        "run": "r1",
        "created": True,
        "jobs": {"prepare": "101", "compile": "102", "train": "103", "export": "104", "evaluate": "105"},
        "runDir": str(run_dir),
        "neuronEnvironment": neuron_ready(offline),
        "resumed": False,
        "resumeFrom": None,
    }
    calls = offline.slurm_calls()
    assert [c[0] for c in calls] == ["sbatch"] * 5
    expected_nodes = {"prepare": "1", "compile": "4", "train": "4", "export": "1", "evaluate": "1"}
    limits = offline.request("r1")["timeLimits"]
    for index, (stage, call) in enumerate(zip(expected_nodes, calls)):
        args = call[1:]
        assert args[-2:] == [f"{run_dir}/scripts/stage-{stage}.sh", f"{run_dir}/request.json"]
        options = args[:-2]
        expected = [
            "--parsable",
            "--job-name",
            f"cpt-r1-{stage}",
            "--partition",
            "trn",
            "--exclusive",
            "--ntasks-per-node",
            "1",
            "--chdir",
            f"{run_dir}/work",
            "--output",
            f"{run_dir}/logs/{stage}-%j.out",
            "--open-mode",
            "append",
            "--kill-on-invalid-dep=yes",
            "--time",
            str(limits[stage]),
            "--propagate=NONE",  # the jobs take slurmd's resource limits, not the submitting session's
            "--nodes",
            expected_nodes[stage],
        ]
        if stage in ("compile", "train"):
            expected.append("--requeue")
        if index:
            expected += ["--dependency", f"afterok:{100 + index}"]
        assert options == expected, stage
    assert json.loads((run_dir / "jobs.json").read_text()) == {
        "run": "r1",
        "jobs": result.json["jobs"],
        "runDir": str(run_dir),
    }  # no heldFor: nothing waits
    saved = json.loads((run_dir / "request.json").read_text())
    assert saved == offline.request("r1", nodes=4, partition="trn")
    # and its copy next to the checkpoints, which FSx exports to S3 with them
    assert (offline.fsx / "checkpoints" / "r1" / "request.json").read_text() == (run_dir / "request.json").read_text()
    # Everything the chain runs (the schema too, which cpt/request.py looks for next to itself): the bundle but
    # cpt-run.sh and the tests.
    bundle = {p.name for p in TRAINING.iterdir() if not p.name.startswith(".")}
    bundle -= {"cpt-run.sh", "job-folders.sh", "tests", "__pycache__"}  # cpt-run.sh's own, not the jobs'
    assert sorted(p.name for p in (run_dir / "scripts").iterdir()) == sorted(bundle)
    assert {p.name for p in (run_dir / "scripts" / "cpt").iterdir()} == {
        p.name for p in (TRAINING / "cpt").glob("*.py")
    }


def test_the_bundle_may_be_anywhere_and_the_run_keeps_its_own_copy(offline):
    bundle = offline.tmp / "fsx" / "trainium-cpt" / "training" / "bundle-1"
    shutil.copytree(TRAINING, bundle, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    result = subprocess.run(
        ["bash", str(bundle / "cpt-run.sh"), "submit", encode(offline.request("r1"))],
        env=offline.env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    copy = offline.fsx / "trainium-cpt" / "runs" / "r1" / "scripts" / "stage-train.sh"
    original = (TRAINING / "stage-train.sh").read_text()
    assert copy.read_text() == original
    (bundle / "stage-train.sh").write_text("#!/bin/bash\necho a later bundle\n")
    assert copy.read_text() == original


def test_a_failed_sbatch_cancels_the_jobs_already_submitted(offline):
    result = offline.cpt("submit", offline.request("r1"), CPT_TEST_SBATCH_FAIL_AT="3")
    assert_refused(result, "sbatch refused the train job of run r1", status=1)
    calls = offline.slurm_calls()
    assert [c[0] for c in calls] == ["sbatch", "sbatch", "sbatch", "scancel"]
    assert calls[-1] == ["scancel", "101", "102"]
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    assert not (run_dir / "jobs.json").exists()
    # Nothing recorded, so the next submit starts again.
    retry = offline.cpt("submit", offline.request("r1"))
    assert retry.returncode == 0 and retry.json["created"] is True, retry
    assert retry.json["jobs"]["prepare"] == "104"


def test_resubmitting_prints_the_recorded_jobs(offline):
    first = offline.cpt("submit", offline.request("r1"))
    second = offline.cpt("submit", offline.request("r1", nodes=2, globalBatch=32))
    assert first.returncode == second.returncode == 0
    assert second.json == {**first.json, "created": False}
    assert [c[0] for c in offline.slurm_calls() if c[0] != "scontrol"] == ["sbatch"] * 5  # scontrol: the chain's state
    assert "differs from" in second.stderr and "in nodes, globalBatch:" in second.stderr


def test_cancel_sends_every_job_to_scancel(offline):
    assert offline.cpt("submit", offline.request("r1")).returncode == 0
    result = offline.cpt("cancel", run_request("r1"))
    assert result.returncode == 0, result
    assert result.json == {"run": "r1", "cancelled": ["101", "102", "103", "104", "105"]}
    assert offline.slurm_calls()[-1] == ["scancel", "101", "102", "103", "104", "105"]


def test_a_run_submitted_before_is_answered_even_after_the_environment_failed(offline):
    offline.set_neuron("building")
    first = offline.cpt("submit", offline.request("r1"))
    assert first.returncode == 0, first
    calls = len(offline.slurm_calls())
    offline.set_neuron("failed")
    again = offline.cpt("submit", offline.request("r1"))
    assert again.returncode == 0, again
    assert again.json["created"] is False
    assert again.json["jobs"] == first.json["jobs"]
    assert again.json["neuronEnvironment"]["state"] == "failed"
    assert len([c for c in offline.slurm_calls()[calls:] if c[0] == "sbatch"]) == 0


def test_a_run_name_with_checkpoints_but_no_chain_is_refused_unless_resumed(offline):
    checkpoints = offline.fsx / "checkpoints" / "r1"
    for step, done in ((500, True), (1000, True), (1500, False)):
        (checkpoints / f"step_{step}").mkdir(parents=True)
        if done:
            (checkpoints / f"step_{step}" / "done").write_text("1")
    (checkpoints / "request.json").write_text(json.dumps(offline.request("r1")))  # as the first submission left it
    give_to_job_user(checkpoints)
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(
        result,
        status=1,
        error=(
            f"run r1 has no chain on this cluster ({offline.fsx}/trainium-cpt/runs/r1/jobs.json does not exist), but "
            f"{checkpoints} holds checkpoints (newest step_1000): submit it with resume (`npm run submit -- --run r1 "
            "--resume`) to continue from them, or choose another run name to start over"
        ),
    )
    assert offline.slurm_calls() == []
    resumed = offline.cpt("submit", offline.request("r1", resume=True))
    assert resumed.returncode == 0, resumed
    assert (resumed.json["created"], resumed.json["resumed"], resumed.json["resumeFrom"]) == (True, True, "step_1000")
    assert [c[0] for c in offline.slurm_calls()] == ["sbatch"] * 5


def test_only_incomplete_checkpoints_are_named_as_such(offline):
    (offline.fsx / "checkpoints" / "r1" / "step_20").mkdir(parents=True)
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(result, "holds checkpoints (newest step_20, not completed)", status=1)


def test_a_fresh_run_with_resume_is_a_plain_submission(offline):
    result = offline.cpt("submit", offline.request("r1", resume=True))
    assert result.returncode == 0, result
    assert (result.json["created"], result.json["resumed"], result.json["resumeFrom"]) == (True, False, None)


def lay_out_checkpoints(sandbox, run: str, *tags: str, stored: dict | None = None):
    """The run's checkpoint folder as its jobs leave it, with `tags` completed and the run's `stored` request."""
    folder = sandbox.fsx / "checkpoints" / run
    for tag in tags:
        (folder / tag).mkdir(parents=True)
        (folder / tag / "done").write_text("1")
    if stored is not None:
        (folder / "request.json").write_text(json.dumps(stored))
    give_to_job_user(folder)


def test_a_resume_on_a_new_cluster_keeps_the_request_stored_next_to_the_checkpoints(offline):
    # The cluster was created again: no run directory, the checkpoints and their request.json back from S3.
    lay_out_checkpoints(offline, "r1", "step_2", stored=offline.request("r1"))
    stored = offline.fsx / "checkpoints" / "r1" / "request.json"
    result = offline.cpt(
        "submit",
        offline.request("r1", resume=True, nodes=2, globalBatch=32, tensorParallel=4, steps=8, minLearningRate=0.00001),
    )
    assert result.returncode == 0, result
    assert (result.json["created"], result.json["resumed"], result.json["resumeFrom"]) == (True, True, "step_2")
    assert (
        f"differs from {stored} in nodes, tensorParallel, globalBatch, steps, minLearningRate: the run keeps its "
        "stored request"
    ) in result.stderr
    # The chain runs the stored request, marked resumed: what the checkpoints' steps were trained with.
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    assert json.loads((run_dir / "request.json").read_text()) == offline.request("r1", resume=True)
    assert json.loads(stored.read_text()) == offline.request("r1", resume=True)
    assert [c[c.index("--nodes") + 1] for c in offline.slurm_calls() if c[0] == "sbatch"] == ["1"] * 5


def test_checkpoints_without_a_stored_request_are_refused_as_an_earlier_versions(offline):
    lay_out_checkpoints(offline, "r1", "step_2")
    result = offline.cpt("submit", offline.request("r1", resume=True))
    assert_refused(
        result,
        status=1,
        error=(
            f"cannot resume run r1: the checkpoints in {offline.fsx}/checkpoints/r1 have no request.json next to them, "
            "which this version of trainium-cpt writes there: they come from an earlier version, whose q/k/v layout "
            "(--fuse_qkv 0) this version cannot continue; submit it under another run name"
        ),
    )
    assert offline.slurm_calls() == []
    assert not (offline.fsx / "trainium-cpt" / "runs" / "r1" / "request.json").exists()


def resume_over(offline, stored: dict, where: str = "run-directory"):
    """Submits run r1 with resume over `stored`, the request stored in the run directory or next to the run's
    checkpoints (step_2); returns that folder and the result."""
    if where == "run-directory":
        folder = offline.fsx / "trainium-cpt/runs/r1"
        folder.mkdir(parents=True)
        (folder / "request.json").write_text(json.dumps(stored))
        lay_out_checkpoints(offline, "r1", "step_2")
    else:
        folder = offline.fsx / "checkpoints/r1"
        lay_out_checkpoints(offline, "r1", "step_2", stored=stored)
    return folder, offline.cpt("submit", offline.request("r1", resume=True))


@pytest.mark.parametrize("where", ["run-directory", "checkpoints"])
def test_a_resumed_run_whose_stored_request_is_of_an_earlier_version_is_refused(offline, where):
    old = offline.request("r1")
    for name in ("maxTrainRestarts", "timeLimits", "resume"):  # written by a bundle from before them
        del old[name]
    folder, result = resume_over(offline, old, where)
    assert_refused(
        result,
        status=1,
        error=(
            f"cannot resume run r1: {folder}/request.json was written by an earlier version of trainium-cpt (it has no "
            "maxTrainRestarts, timeLimits, resume), whose checkpoints hold the separate q/k/v layout (--fuse_qkv 0) that "
            "this version cannot continue; submit it under another run name"
        ),
    )
    assert offline.slurm_calls() == []


def test_a_resumed_run_whose_stored_request_is_of_version_1_is_refused(offline):
    """Version 1 came without the values TypeScript derives (derived), which this side no longer computes."""
    old = {**offline.request("r1"), "version": 1}
    del old["derived"]
    folder, result = resume_over(offline, old)
    assert_refused(result, f"cannot resume run r1: {folder}/request.json is a request of version 1", status=1)
    assert offline.slurm_calls() == []


@pytest.mark.parametrize("action", ["submit", "status", "cancel"])
def test_a_request_of_another_version_is_refused_saying_so(offline, action):
    request = offline.request("r1") if action == "submit" else run_request("r1")
    result = offline.cpt(action, {**request, "version": 1})
    assert_refused(result, "version: 1, but this cpt-run.sh takes requests of version 2 only")
    assert_nothing_happened(offline)


def test_a_resumed_run_whose_stored_request_is_no_longer_valid_is_refused(offline):
    _, result = resume_over(offline, offline.request("r1", maxTrainRestarts=99))
    assert_refused(
        result,
        "cannot resume run r1: ",
        "maxTrainRestarts: must be an integer from 0 to 10",
        "submit it under another run name",
        status=1,
    )
    assert offline.slurm_calls() == []
