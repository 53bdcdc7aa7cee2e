"""The chain on a REAL Slurm (slurmctld, slurmd and munged on loopback, started by the session fixture), with the
Neuron tools replaced by recording fakes: order and dependencies, the compile and train commands, failure,
requeue and resume, cancel, idempotent resubmission, and status once Slurm has forgotten a job.

Set CPT_SAVE_TRANSCRIPT=1 to write the transcript of the full chain to cluster/training/tests/chain-transcript.txt.
"""

import calendar
import json
import os
import pwd
import shutil
import subprocess
import time

import pytest

from fake_converter import SHARD_FORMAT
from training_sandbox import CPT_RUN, JOB_USER, STAGES, TESTS, TRAINING, encode, report_uploads, run_request, scontrol
from training_sandbox import scontrol_fields
from training_sandbox import cluster, slurm  # noqa: F401  (fixtures)

# Environment variables that legitimately differ between the compile job and the training job (`_`: bash's
# last command, which launch-training.sh runs as a child).
JOB_SPECIFIC = ("SLURM_", "SLURMD_", "SRUN_", "ENVIRONMENT", "TMPDIR", "OLDPWD", "_")


def run_env(record: dict) -> dict:
    return {k: v for k, v in record["env"].items() if not k.startswith(JOB_SPECIFIC)}


def as_job_user(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/sbin/runuser", "-u", JOB_USER, "--", *argv], capture_output=True, timeout=30)


def option(argv: list, name: str):
    return argv[argv.index(name) + 1]


def test_full_chain_runs_in_order_and_writes_everything(cluster, slurm):
    transcript = []
    started = time.monotonic()

    def note(text):
        transcript.append(f"[{time.monotonic() - started:6.2f}s] {text}")

    request = cluster.request("pubmed-v1")
    result = cluster.cpt("submit", request)
    assert result.returncode == 0, result
    note(f"$ cpt-run.sh submit <base64 of the request of run pubmed-v1>\n{result.stdout.strip()}")
    submitted = result.json
    jobs = submitted["jobs"]
    assert submitted["created"] is True and list(jobs) == list(STAGES)
    assert submitted["runDir"] == str(cluster.run_dir("pubmed-v1"))
    assert (submitted["resumed"], submitted["resumeFrom"]) == (False, None)

    # The chain as Slurm holds it.
    note("scontrol show job, right after the submission:")
    previous = None
    for stage in STAGES:
        fields = scontrol_fields(jobs[stage], slurm)
        note(
            f"  {stage:8} JobId={jobs[stage]} JobName={fields['JobName']} NumNodes={fields['NumNodes']} "
            f"Requeue={fields['Requeue']} Dependency={fields['Dependency']} "
            f"KillOInInvalidDependent={fields['KillOInInvalidDependent']}"
        )
        assert fields["JobName"] == f"cpt-pubmed-v1-{stage}"
        assert fields["Partition"] == "trn"
        assert fields["KillOInInvalidDependent"] == "Yes"
        assert stage not in ("compile", "train") or fields["Requeue"] == "1"  # --requeue
        assert fields["OverSubscribe"] == "NO"  # --exclusive
        assert fields["StdOut"] == f"{submitted['runDir']}/logs/{stage}-{jobs[stage]}.out"
        if previous is None:
            assert fields["Dependency"] == "(null)"
        else:
            assert fields["Dependency"] in (
                f"afterok:{jobs[previous]}(unfulfilled)",
                f"afterok:{jobs[previous]}(success)",
                "(null)",
            ), fields["Dependency"]
        previous = stage
    # At least the last three are still waiting for theirs.
    for before, stage in (("compile", "train"), ("train", "export"), ("export", "evaluate")):
        assert scontrol_fields(jobs[stage], slurm)["Dependency"].startswith(f"afterok:{jobs[before]}")

    note("states over time (cpt-run.sh status, at each change):")
    final = cluster.wait_all_ended(
        "pubmed-v1",
        on_change=lambda status: note(
            "  " + "  ".join(f"{stage}={job['state']}({job['reason']})" for stage, job in status["jobs"].items())
        ),
    )
    assert {stage: job["state"] for stage, job in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), (
        cluster.logs("pubmed-v1")
    )
    note(f"$ cpt-run.sh status\n{json.dumps(final, separators=(',', ':'))}")

    # In order: each job started after the one before it ended.
    times = {stage: scontrol_fields(jobs[stage], slurm) for stage in STAGES}
    for before, after in zip(STAGES, STAGES[1:]):
        assert times[before]["EndTime"] <= times[after]["StartTime"]
    note(
        "start and end times: "
        + "; ".join(f"{s} {times[s]['StartTime'][11:]}-{times[s]['EndTime'][11:]}" for s in STAGES)
    )

    run_dir = cluster.run_dir("pubmed-v1")
    ckpt = cluster.fsx / "checkpoints" / "pubmed-v1"
    # prepare: the token only in the environment of the download, the base converted and linked.
    [download] = cluster.records("hf_checkpoint.py")[:1]
    assert download["argv"] == ["download", "--model", "meta-llama/Llama-2-7b-hf", "--dest", f"{run_dir}/base/hf"]
    assert download["env"]["HF_TOKEN"] == "hf_faketoken"
    [secret] = [r for r in cluster.records("aws") if r["argv"][0] == "secretsmanager"]
    assert secret["argv"] == [
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        request["hfTokenSecretArn"],
        "--region",
        "us-east-2",
        "--query",
        "SecretString",
        "--output",
        "text",
    ]
    assert all("hf_faketoken" not in " ".join(r["argv"]) for r in cluster.records(event=None))
    assert "hf_faketoken" not in cluster.logs("pubmed-v1")
    to_nxd, *to_full = cluster.records("convert_checkpoints.py")
    config = f"{cluster.llama}/tp_zero1_llama_hf_pretrain/7B_config_llama2/config.json"
    assert to_nxd["argv"] == [
        "--convert_from_full_state",
        "--tp_size",
        "8",
        "--hw_backend",
        "trn1",
        "--coalesce_qkv",
        "True",
        "--config",
        config,
        "--input_dir",
        f"{run_dir}/base/full/checkpoint.pt",
        "--output_dir",
        f"{run_dir}/base/nxd",
    ]
    assert (ckpt / "pretrained_weight").resolve() == run_dir / "base" / "nxd"
    assert not (run_dir / "base" / "full").exists()

    # The patched training script: the run's copy, made by the prepare stage with GNU patch from the example, next to
    # a copy of resume_data.py.
    script = run_dir / "patched" / "tp_zero1_llama_hf_pretrain.py"
    patched = subprocess.run(
        [
            "patch",
            "--fuzz=0",
            "--batch",
            "-o",
            "-",
            str(cluster.llama / "tp_zero1_llama_hf_pretrain" / "tp_zero1_llama_hf_pretrain.py"),
            str(run_dir / "scripts" / "nxd-pretrain.patch"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert script.read_text() == patched and "import resume_data" in patched
    assert (run_dir / "patched" / "resume_data.py").read_text() == (TRAINING / "resume_data.py").read_text()

    # The preflight of compile and train: the devices and an all-reduce on the one node (no multi-node test).
    for stage in ("compile", "train"):
        listing, allreduce = [
            r
            for r in cluster.records()
            if r["tool"] in ("neuron-ls", "nccom-test") and r["env"]["SLURM_JOB_ID"] == jobs[stage]
        ]
        assert (listing["tool"], listing["argv"]) == ("neuron-ls", ["--json-output"])
        assert (allreduce["tool"], allreduce["argv"]) == (
            "nccom-test",
            ["-r", "32", "-N", "1", "--check", "--non-interactive", "allr"],
        )
        assert listing["env"]["PATH"].split(":")[2] == str(cluster.neuron_tools)
        exit_file = json.loads((run_dir / "logs" / f"preflight-{jobs[stage]}-node0.exit").read_text())
        assert {k: exit_file[k] for k in ("host", "node", "code", "signal")} == {
            "host": "localhost",
            "node": 0,
            "code": 0,
            "signal": None,
        }
    assert json.loads((run_dir / "logs" / f"train-{jobs['train']}-node0.exit").read_text())["code"] == 0

    # compile and train: the same launcher, arguments and environment, but --steps_this_run, --checkpoint_at_end
    # (training only) and --loading_step (-1 for both here: compile never loads, and training has no checkpoint).
    [npc] = cluster.records("neuron_parallel_compile")
    compile_run, train_run = cluster.records("torchrun")
    assert npc["argv"] == ["torchrun", *compile_run["argv"]]
    assert compile_run["env"]["NEURON_EXTRACT_GRAPHS_ONLY"] == "1"
    assert "NEURON_EXTRACT_GRAPHS_ONLY" not in train_run["env"]
    assert compile_run["env"]["SLURM_JOB_ID"] == jobs["compile"] and train_run["env"]["SLURM_JOB_ID"] == jobs["train"]
    assert train_run["argv"][-1] == "--checkpoint_at_end" and "--checkpoint_at_end" not in compile_run["argv"]
    differences = [(i, a, b) for i, (a, b) in enumerate(zip(compile_run["argv"], train_run["argv"])) if a != b]
    steps_index = train_run["argv"].index("--steps_this_run") + 1
    assert differences == [(steps_index, "1", "6")] and len(compile_run["argv"]) == len(train_run["argv"]) - 1
    compile_env = run_env(compile_run)
    compile_env.pop("NEURON_EXTRACT_GRAPHS_ONLY")
    assert compile_env == run_env(train_run)
    argv = train_run["argv"]
    assert argv[:10] == [
        "--nproc_per_node",
        "32",
        "--nnodes",
        "1",
        "--node_rank",
        "0",
        "--master_addr",
        "localhost",
        "--master_port",
        "44000",
    ]
    assert argv[10] == str(script)
    assert option(argv, "--model_path") == f"{cluster.llama}/tp_zero1_llama_hf_pretrain/7B_config_llama2"
    assert option(argv, "--tensor_parallel_size") == "8"
    assert option(argv, "--seq_len") == "4096"
    assert option(argv, "--batch_size") == "1"
    assert option(argv, "--grad_accum_usteps") == "4"  # 16 / (1 node x 32 cores / TP 8 = 4, x micro batch 1)
    assert option(argv, "--max_steps") == "7"  # where the linear decay would reach 0: lr is 1.5e-5 at step 6
    assert option(argv, "--warmup_steps") == "1" and option(argv, "--lr") == "0.00015"
    assert option(argv, "--data_dir") == str(cluster.fsx / "datasets/pubmed/attempt-1/train")
    assert option(argv, "--checkpoint_dir") == str(ckpt)
    assert option(argv, "--checkpoint_freq") == "2" and option(argv, "--num_kept_checkpoint") == "2"
    assert option(argv, "--loading_step") == option(compile_run["argv"], "--loading_step") == "-1"
    assert "--pretrained_weight" in argv
    env = train_run["env"]
    assert env["NEURON_CC_FLAGS"] == f"--model-type transformer --cache_dir={cluster.fsx}/trainium-cpt/compile-cache"
    assert {
        k: env[k]
        for k in (
            "NEURON_FUSE_SOFTMAX",
            "NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS",
            "MALLOC_ARENA_MAX",
            "FI_PROVIDER",
            "FI_EFA_USE_DEVICE_RDMA",
        )
    } == {
        "NEURON_FUSE_SOFTMAX": "1",
        "NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS": "3",
        "MALLOC_ARENA_MAX": "64",
        "FI_PROVIDER": "efa",
        "FI_EFA_USE_DEVICE_RDMA": "1",
    }
    assert env["PYTHONPATH"] == f"{cluster.llama}/tp_zero1_llama_hf_pretrain:{cluster.llama}"
    assert train_run["pretrained_weight"] is True and train_run["checkpoints_seen"] == []
    assert compile_run["cwd"] == train_run["cwd"] == str(run_dir / "work")
    # Graph extraction saved nothing (compileSteps 1 < checkpointEvery 2); training saved steps 2, 4 and 6.
    saves = [(r["tag"], r["extract"]) for r in cluster.records("torchrun", event="save")]
    assert saves == [("step_2", False), ("step_4", False), ("step_6", False)]
    [marker] = (cluster.fsx / "trainium-cpt" / "compile-cache" / "trainium-cpt").glob("compiled-*.json")
    key = json.loads(marker.read_text())
    assert key["argv"][0] == "<run>/patched/tp_zero1_llama_hf_pretrain.py" and key["nodes"] == 1
    assert f"wrote {marker}" in cluster.logs("pubmed-v1")

    # Each stage's time limit (sbatch --time, minutes) is the request's.
    assert {stage: scontrol_fields(jobs[stage], slurm)["TimeLimit"] for stage in STAGES} == {
        "prepare": "00:30:00",
        "compile": "01:00:00",
        "train": "10:00:00",
        "export": "01:00:00",
        "evaluate": "00:30:00",
    }
    assert final["restarts"] == {"count": 0, "max": 2, "history": []}

    # export: the kept checkpoints (2 of 3), back to Hugging Face format, to S3. Next to them, the run's request.
    assert sorted(p.name for p in ckpt.iterdir()) == ["pretrained_weight", "request.json", "step_4", "step_6"]
    assert (ckpt / "request.json").read_text() == (run_dir / "request.json").read_text()
    assert [r["argv"] for r in to_full] == [
        [
            "--convert_to_full_state",
            "--tp_size",
            "8",
            "--hw_backend",
            "trn1",
            "--load_xser",
            "True",
            "--config",
            config,
            "--input_dir",
            f"{ckpt}/{tag}/model",
            "--output_dir",
            f"{run_dir}/export/{tag}/full",
        ]
        for tag in ("step_4", "step_6")
    ]
    exports = json.loads((cluster.s3 / "ckpt-bucket/exports/pubmed-v1/exports.json").read_text())
    assert exports["final"] == "step_6" and [e["tag"] for e in exports["checkpoints"]] == ["step_4", "step_6"]
    # The fake converter's merged listing (fake_converter.py) of step_6's shards, as the fake to-hf copied it.
    exported = json.loads((cluster.s3 / "ckpt-bucket/exports/pubmed-v1/step_6/model.safetensors").read_text())
    assert exported["fake"] == SHARD_FORMAT and exported["written_by"].endswith("--convert_to_full_state")
    assert "model.layers.0.self_attn.q_proj.weight" in exported["tensors"]  # q/k/v split back out of qkv_proj
    assert not (cluster.s3 / "ckpt-bucket/exports/pubmed-v1/step_6/.complete").exists()

    # evaluate: base and both checkpoints on both sets, one report in S3.
    evaluations = cluster.records("evaluate_perplexity.py")
    assert [option(r["argv"], "--model-dir") for r in evaluations] == [
        f"{run_dir}/base/hf",
        f"{run_dir}/export/step_4/hf",
        f"{run_dir}/export/step_6/hf",
    ]
    assert evaluations[0]["argv"][2:8] == [
        "--eval",
        f"domain={cluster.fsx}/datasets/pubmed/attempt-1/eval_domain",
        "--eval",
        f"general={cluster.fsx}/datasets/pubmed/attempt-1/eval_general",
        "--max-rows",
        "4",
    ]
    report = json.loads((cluster.s3 / "ckpt-bucket/reports/pubmed-v1/perplexity.json").read_text())
    assert [m["name"] for m in report["models"]] == ["base", "step_4", "step_6"]
    assert report["models"][2]["sets"]["domain"]["perplexity"] == 7.4
    assert round(report["models"][2]["sets"]["domain"]["perplexityChangeVsBase"], 4) == round(7.4 / 8.0 - 1, 4)
    assert report["tokensPerStep"] == 16 * 4096 and report["models"][2]["trainedTokens"] == 6 * 16 * 4096
    # and the HTML page next to it, uploaded as text/html.
    page = (cluster.s3 / "ckpt-bucket/reports/pubmed-v1/report.html").read_text()
    assert page == (run_dir / "report" / "report.html").read_text() and "Perplexity report: pubmed-v1" in page
    uploads = [r["argv"] for r in cluster.records("aws") if r["argv"][:2] == ["s3", "cp"]]
    assert uploads[-2:] == report_uploads(run_dir / "report", "pubmed-v1")
    for stage in STAGES:
        status = json.loads((run_dir / "status" / f"{stage}.json").read_text())
        assert (status["state"], status["exitCode"], status["jobId"]) == ("COMPLETED", 0, jobs[stage])

    # Submitted again once completed: nothing to do, and it says so.
    again = cluster.submit(request)
    assert (again["created"], again["jobs"], again["resumeFrom"]) == (False, jobs, "step_6")
    assert (
        again["message"] == "the chain of run pubmed-v1 completed: nothing to continue; use a new run name to "
        "train again"
    )

    # Every job ran as the jobs' user (cpt-run.sh CPT_JOB_USER), and could not change what it ran: the run's
    # scripts and request are root's and writable by no one else, as are the folders that hold them.
    job_uid = pwd.getpwnam(JOB_USER).pw_uid
    assert {r["uid"] for r in cluster.records(event=None)} == {job_uid}
    assert {scontrol_fields(jobs[stage], slurm)["UserId"] for stage in STAGES} == {f"{JOB_USER}({job_uid})"}
    scripts = [run_dir / "request.json", run_dir, *(run_dir / "scripts").rglob("*")]
    assert {(path.stat().st_uid, path.stat().st_mode & 0o022) for path in scripts} == {(0, 0)}
    for path in (run_dir / "request.json", run_dir / "scripts" / "stage-train.sh", run_dir / "scripts" / "cpt"):
        assert as_job_user("test", "-w", str(path)).returncode == 1, path
    # What the jobs write is theirs: the run's folders, its checkpoints, the compile cache.
    for path in (run_dir / "logs", run_dir / "status", run_dir / "patched", ckpt, ckpt / "step_6", marker):
        assert path.stat().st_uid == job_uid, path

    note(f"fake tool calls, in order: {', '.join(r['tool'] for r in cluster.records())}")
    note(
        "FSx afterwards: "
        + ", ".join(sorted(str(p.relative_to(cluster.fsx)) for p in ckpt.iterdir()))
        + "; S3: "
        + ", ".join(sorted(str(p.relative_to(cluster.s3)) for p in cluster.s3.rglob("*") if p.is_file()))
    )
    text = "\n".join(transcript) + "\n"
    (cluster.tmp / "chain-transcript.txt").write_text(text)
    if os.environ.get("CPT_SAVE_TRANSCRIPT") == "1":
        (TESTS / "chain-transcript.txt").write_text(
            "# Transcript of test_full_chain_runs_in_order_and_writes_everything (real Slurm 22.05 on loopback,\n"
            "# Neuron tools faked), written with CPT_SAVE_TRANSCRIPT=1. Paths are under the test's temporary CPT_FSX.\n"
            + text
        )


def test_a_second_submit_is_a_noop_returning_the_same_jobs(cluster, slurm):
    # Two submissions at once: the lock lets one create the chain; the other reports it.
    env = cluster.env()
    request = cluster.request("twice")
    processes = [
        subprocess.Popen(
            ["bash", str(CPT_RUN), "submit", encode(request)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = [json.loads(p.communicate(timeout=60)[0]) for p in processes]
    assert sorted(a["created"] for a in answers) == [False, True]
    assert answers[0]["jobs"] == answers[1]["jobs"]
    again = cluster.submit(request)
    assert again == {**answers[0], "created": False}
    names = subprocess.run(
        ["/usr/bin/squeue", "-h", "-t", "all", "-o", "%j"],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": slurm},
    ).stdout.split()
    assert sorted(n for n in names if n.startswith("cpt-twice-")) == sorted(f"cpt-twice-{s}" for s in STAGES)
    assert json.loads((cluster.run_dir("twice") / "jobs.json").read_text())["jobs"] == again["jobs"]


def test_a_failed_stage_stops_the_rest(cluster, slurm):
    jobs = cluster.submit(cluster.request("broken"), CPT_FAKE_FAIL="neuron_parallel_compile")["jobs"]
    final = cluster.wait_all_ended("broken")
    assert {s: (j["state"], j["reason"]) for s, j in final["jobs"].items()} == {
        "prepare": ("COMPLETED", "None"),
        "compile": ("FAILED", "NonZeroExitCode"),
        "train": ("CANCELLED", "DependencyNeverSatisfied"),
        "export": ("CANCELLED", "DependencyNeverSatisfied"),
        "evaluate": ("CANCELLED", "DependencyNeverSatisfied"),
    }
    assert scontrol_fields(jobs["train"], slurm)["Dependency"] == f"afterok:{jobs['compile']}(failed)"
    assert cluster.records("torchrun") == []
    assert cluster.records("convert_checkpoints.py")[0]["argv"][0] == "--convert_from_full_state"
    status = json.loads((cluster.run_dir("broken") / "status" / "compile.json").read_text())
    assert (status["state"], status["exitCode"]) == ("FAILED", 1)
    assert "step 'compile the training graphs (1 steps)' failed" in cluster.logs("broken")
    assert not (cluster.run_dir("broken") / "status" / "train.json").exists()


def test_prepare_refuses_a_missing_dataset(cluster):
    request = cluster.request("nodata", trainPath="/fsx/datasets/pubmed/attempt-2/train")
    cluster.submit(request)
    final = cluster.wait_all_ended("nodata")
    assert final["jobs"]["prepare"]["state"] == "FAILED"
    assert final["jobs"]["evaluate"]["state"] == "CANCELLED"
    assert "attempt-2/train is not a load_from_disk dataset folder" in cluster.logs("nodata")
    assert cluster.records("hf_checkpoint.py") == []


def uninterrupted_rows(rows: int, data_parallel: int, grad_accum: int, steps: int) -> list:
    """The rows of each optimizer step on each data-parallel rank of an uninterrupted run, worked out here from the
    definitions: DistributedSampler(shuffle=False, drop_last=True) gives rank r the rows r, r + R, ... below
    rows - rows % R, every pass the same (micro batch 1); an optimizer step takes the next grad_accum of them, the
    passes following one another."""
    kept = rows - rows % data_parallel
    per_pass = [list(range(rank, kept, data_parallel)) for rank in range(data_parallel)]
    out = []
    for step in range(steps):
        micro = range(step * grad_accum, (step + 1) * grad_accum)
        out.append([[per_pass[rank][m % len(per_pass[rank])] for m in micro] for rank in range(data_parallel)])
    return out


@pytest.mark.parametrize(
    "every, kept_after",
    [(4, ["step_4", "step_7"]), (3, ["step_3", "step_6", "step_7"])],
    ids=["checkpoint-across-passes", "checkpoint-leaves-less-than-a-step-of-a-pass"],
)
def test_a_requeued_training_job_goes_on_with_the_rows_an_uninterrupted_run_uses(cluster, slurm, every, kept_after):
    # 54 rows over 4 data-parallel ranks (1 node x 32 NeuronCores / TP 8): 13 a rank a pass, rows 52 and 53 never
    # used; 4 micro-batches a step (global batch 16): a pass is 3.25 steps, so steps 4 and 7 take rows of two
    # passes, and the run (7 steps, 28 micro-batches) goes into a third pass. The requeue comes after the first
    # checkpoint: step 4 (its rows span passes 0 and 1), or step 3, which leaves 1 micro-batch of pass 0, fewer than a
    # step (the released example would end that pass without a step and fail; resume_data runs on through pass 1).
    cluster.make_dataset(cluster.fsx / "datasets/pubmed/rows-54/train", rows=54)
    request = cluster.request(
        "requeue", trainPath="/fsx/datasets/pubmed/rows-54/train", steps=7, checkpointEvery=every, checkpointsKept=3
    )
    jobs = cluster.submit(request, CPT_FAKE_TRAIN_SLEEP="30")["jobs"]
    ckpt = cluster.fsx / "checkpoints" / "requeue"
    # The first attempt sleeps after its first checkpoint, mid-run: requeue it then (as a node failure would).
    cluster.wait_for(
        "requeue", lambda s: s["train"] == "RUNNING" and (ckpt / f"step_{every}" / "done").exists(), timeout=60
    )
    requeued = scontrol(slurm, "requeue", jobs["train"])
    assert requeued.returncode == 0, requeued.stderr
    final = cluster.wait_for(
        "requeue", lambda s: s["train"] not in ("PENDING", "RUNNING", "REQUEUED", "COMPLETING"), timeout=60
    )
    assert final["jobs"]["train"]["state"] == "COMPLETED", cluster.logs("requeue")
    assert scontrol_fields(jobs["train"], slurm)["Restarts"] == "1"

    runs = [r for r in cluster.records("torchrun") if r["env"]["SLURM_JOB_ID"] == jobs["train"]]
    first, second = runs
    assert (first["env"].get("SLURM_RESTART_COUNT", "0"), option(first["argv"], "--loading_step")) == ("0", "-1")
    assert (second["env"]["SLURM_RESTART_COUNT"], option(second["argv"], "--loading_step")) == ("1", str(every))
    assert second["checkpoints_seen"] == [every]
    steps = [r for r in cluster.records("torchrun", event="step") if r["env"]["SLURM_JOB_ID"] == jobs["train"]]
    before = [r for r in steps if r["env"].get("SLURM_RESTART_COUNT", "0") == "0"]
    after = [r for r in steps if r["env"].get("SLURM_RESTART_COUNT") == "1"]
    assert [r["step"] for r in before] == list(range(1, every + 1))
    assert [r["step"] for r in after] == list(range(every + 1, 8))
    assert [r["rows"] for r in before + after] == uninterrupted_rows(54, 4, 4, 7)
    if every == 4:
        # Rank 0: step 4 ends pass 0 (row 48) and starts pass 1; the second attempt goes on at pass 1's fourth row,
        # where without the skip it would have started again at row 0.
        assert before[3]["rows"][0] == [48, 0, 4, 8] and after[0]["rows"][0] == [12, 16, 20, 24]
        assert [r["epoch"] for r in before + after] == [0, 0, 0, 1, 1, 1, 2]  # the pass the script's log calls epoch
    else:
        assert after[0]["rows"][0] == [48, 0, 4, 8]  # the tail of pass 0, then pass 1
    assert sorted(p.name for p in ckpt.iterdir()) == ["pretrained_weight", "request.json", *kept_after]

    log = (cluster.run_dir("requeue") / "logs" / f"train-{jobs['train']}.out").read_text()
    assert "no checkpoint in" in log and f"resuming from step_{every}" in log and "(restart 1)" in log
    # The requeue by hand is in the restarts, as one the stage did not make (it was stopped by SIGTERM).
    [entry] = final["restarts"]["history"]
    assert final["restarts"]["count"] == 1
    assert (entry["attempt"], entry["jobId"], entry["exitCode"], entry["drainedNodes"]) == (1, jobs["train"], None, [])
    assert entry["reason"].startswith("requeued by Slurm or by hand") and "TERMINATED, exit 143" in entry["reason"]


def test_a_run_resumed_on_a_new_cluster_trains_with_the_request_next_to_its_checkpoints(cluster, slurm):
    """A cluster created again: the run directory is gone, the checkpoints came back from S3 through the FSx link with
    the request.json next to them. A resume with other settings goes on with the stored ones: the same tensor
    parallel degree (the load is strict), accumulation (the rows the next steps take) and schedule."""
    request = cluster.request("reborn", steps=4)
    first = cluster.submit(request, CPT_FAKE_TRAIN_SLEEP="60")["jobs"]
    ckpt = cluster.fsx / "checkpoints" / "reborn"
    cluster.wait_for("reborn", lambda s: s["train"] == "RUNNING" and (ckpt / "step_2" / "done").exists(), timeout=60)
    assert cluster.cpt("cancel", run_request("reborn")).returncode == 0
    cluster.wait_all_ended("reborn", timeout=30)
    shutil.rmtree(cluster.run_dir("reborn"))
    assert json.loads((ckpt / "request.json").read_text()) == request

    today = {**request, "resume": True, "tensorParallel": 4, "globalBatch": 32, "steps": 6, "minLearningRate": 1e-05}
    result = cluster.cpt("submit", today)
    assert result.returncode == 0, result
    second = result.json["jobs"]
    assert (result.json["created"], result.json["resumed"], result.json["resumeFrom"]) == (True, True, "step_2")
    assert f"differs from {ckpt}/request.json in tensorParallel, globalBatch, steps, minLearningRate" in result.stderr
    assert json.loads((cluster.run_dir("reborn") / "request.json").read_text()) == {**request, "resume": True}
    states = {s: j["state"] for s, j in cluster.wait_all_ended("reborn", timeout=90)["jobs"].items()}
    assert states == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs("reborn")

    [before] = [r for r in cluster.records("torchrun") if r["env"]["SLURM_JOB_ID"] == first["train"]]
    [after] = [r for r in cluster.records("torchrun") if r["env"]["SLURM_JOB_ID"] == second["train"]]
    assert option(after["argv"], "--loading_step") == "2"
    for name in ("--tensor_parallel_size", "--grad_accum_usteps", "--max_steps", "--steps_this_run", "--lr"):
        assert option(after["argv"], name) == option(before["argv"], name), name
    steps = [r for r in cluster.records("torchrun", event="step") if not r["extract"]]
    assert [r["step"] for r in steps] == [1, 2, 3, 4]
    assert [r["rows"] for r in steps] == uninterrupted_rows(64, 4, 4, 4)
    assert sorted(p.name for p in ckpt.iterdir()) == ["pretrained_weight", "request.json", "step_2", "step_4"]


def test_cancel_cancels_every_job(cluster, slurm):
    jobs = cluster.submit(cluster.request("stopme"), CPT_FAKE_TRAIN_SLEEP="60")["jobs"]
    # Running, and far enough for the fake torchrun to have started (so the stage wrote its status file).
    cluster.wait_for(
        "stopme",
        lambda s: s["train"] == "RUNNING"
        and any(r["env"]["SLURM_JOB_ID"] == jobs["train"] for r in cluster.records("torchrun")),
    )
    result = cluster.cpt("cancel", run_request("stopme"))
    assert result.returncode == 0, result
    assert result.json == {"run": "stopme", "cancelled": [jobs[s] for s in STAGES]}
    final = cluster.wait_all_ended("stopme", timeout=30)
    assert {s: j["state"] for s, j in final["jobs"].items()} == {
        "prepare": "COMPLETED",
        "compile": "COMPLETED",
        "train": "CANCELLED",
        "export": "CANCELLED",
        "evaluate": "CANCELLED",
    }
    deadline = time.monotonic() + 10
    status_file = cluster.run_dir("stopme") / "status" / "train.json"
    while json.loads(status_file.read_text())["state"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(status_file.read_text())["state"] == "TERMINATED"
    again = cluster.cpt("cancel", run_request("stopme"))
    assert again.returncode == 0 and again.json == result.json


def test_status_falls_back_to_the_stage_status_files(cluster):
    run_dir = cluster.run_dir("forgotten")
    (run_dir / "status").mkdir(parents=True)
    (run_dir / "jobs.json").write_text(
        json.dumps(
            {
                "run": "forgotten",
                "runDir": str(run_dir),
                "jobs": {
                    "prepare": "990001",
                    "compile": "990002",
                    "train": "990003",
                    "export": "990004",
                    "evaluate": "990005",
                },
            }
        )
    )
    (run_dir / "status" / "prepare.json").write_text(
        json.dumps({"jobId": "990001", "state": "COMPLETED", "exitCode": 0})
    )
    (run_dir / "status" / "compile.json").write_text(json.dumps({"jobId": "990002", "state": "FAILED", "exitCode": 3}))
    (run_dir / "status" / "train.json").write_text(json.dumps({"jobId": "123", "state": "COMPLETED", "exitCode": 0}))
    status = cluster.status("forgotten")["jobs"]
    assert status["prepare"] == {
        "id": "990001",
        "state": "COMPLETED",
        "reason": f"from {run_dir}/status/prepare.json (exit code 0)",
    }
    assert status["compile"]["state"] == "FAILED" and "(exit code 3)" in status["compile"]["reason"]
    # A status file of another job (an earlier submission) does not count.
    for stage in ("train", "export", "evaluate"):
        assert status[stage]["state"] == "UNKNOWN"
        assert "Slurm no longer knows this job" in status[stage]["reason"]


def test_a_chain_that_ended_failed_is_continued_only_with_resume(cluster, slurm):
    request = cluster.request("again")
    first = cluster.submit(request, CPT_FAKE_FAIL="evaluate_perplexity.py")["jobs"]
    states = {s: j["state"] for s, j in cluster.wait_all_ended("again")["jobs"].items()}
    assert states == {**dict.fromkeys(STAGES, "COMPLETED"), "evaluate": "FAILED"}
    run_dir = cluster.run_dir("again")
    old_jobs = (run_dir / "jobs.json").read_text()

    # Without resume: the ended chain, and how to continue it.
    answer = cluster.submit(request)
    assert (answer["created"], answer["jobs"], answer["resumed"], answer["resumeFrom"]) == (
        False,
        first,
        False,
        "step_6",
    )
    assert answer["message"] == (
        "the chain of run again ended FAILED at evaluate; `npm run submit -- --run again --resume` continues it"
    )

    # With resume: a new full chain of the stored request (a different learning rate is only warned about).
    result = cluster.cpt("submit", {**request, "resume": True, "learningRate": 0.0003})
    assert result.returncode == 0, result
    second = result.json
    assert (second["created"], second["resumed"], second["resumeFrom"]) == (True, True, "step_6")
    assert set(second["jobs"].values()).isdisjoint(first.values())
    assert "differs from" in result.stderr and "in learningRate" in result.stderr
    assert json.loads((run_dir / "request.json").read_text())["learningRate"] == 0.00015
    [kept] = (run_dir / "chains").iterdir()
    assert (kept / "jobs.json").read_text() == old_jobs
    assert json.loads((kept / "status" / "evaluate.json").read_text())["state"] == "FAILED"
    # While it runs, another resume answers it.
    again = cluster.submit({**request, "resume": True})
    assert (again["created"], again["jobs"], again["resumed"]) == (False, second["jobs"], False)

    states = {s: j["state"] for s, j in cluster.wait_all_ended("again")["jobs"].items()}
    assert states == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs("again")

    def calls(tool, *words):
        return [r for r in cluster.records(tool) if all(w in r["argv"] for w in words)]

    assert len(calls("hf_checkpoint.py", "download")) == 1  # the base model is downloaded once
    assert len(calls("convert_checkpoints.py", "--convert_from_full_state")) == 1  # and converted once
    assert len(cluster.records("neuron_parallel_compile")) == 1  # the compile cache has the graphs
    logs = cluster.logs("again")
    assert "the compile cache has the graphs of this compile already" in logs
    assert "is the last step's checkpoint: the run is trained; nothing to do" in logs
    trains = [r for r in cluster.records("torchrun") if not r["extract"]]
    assert len(trains) == 1  # the second chain's train job found step_6 and trained nothing
    assert len(calls("convert_checkpoints.py", "--convert_to_full_state")) == 2  # exported once each (step_4, step_6)
    assert len(cluster.records("evaluate_perplexity.py")) == 3  # base, step_4, step_6 in the second chain
    assert (cluster.s3 / "ckpt-bucket/reports/again/report.html").is_file()


def test_shards_made_with_other_converter_flags_are_made_again(cluster, slurm):
    """The shards' marker records the converter's flags: shards of a run prepared before a change of q/k/v layout
    (whose marker said only the model and TP) are converted again, never loaded into a model of the other layout."""
    request = cluster.request("layout", steps=4)
    cluster.submit(request, CPT_FAKE_FAIL="neuron_parallel_compile")
    states = {s: j["state"] for s, j in cluster.wait_all_ended("layout")["jobs"].items()}
    assert (states["prepare"], states["compile"]) == ("COMPLETED", "FAILED")
    marker = cluster.run_dir("layout") / "base" / "nxd" / ".complete"
    assert marker.read_text() == (
        "model=meta-llama/Llama-2-7b-hf tp=8 converter=--convert_from_full_state "
        "--hw_backend trn1 --coalesce_qkv True\n"
    )
    marker.write_text("model=meta-llama/Llama-2-7b-hf tp=8\n")  # as the prepare stage wrote it before issue 11

    cluster.submit({**request, "resume": True})
    states = {s: j["state"] for s, j in cluster.wait_all_ended("layout")["jobs"].items()}
    assert states == dict.fromkeys(STAGES, "COMPLETED"), cluster.logs("layout")
    conversions = [r for r in cluster.records("convert_checkpoints.py") if "--convert_from_full_state" in r["argv"]]
    assert len(conversions) == 2 and "--coalesce_qkv" in conversions[1]["argv"]
    assert marker.read_text().endswith("--coalesce_qkv True\n")


def lambda_command(action: str, request: dict) -> str:
    """The command the training Lambda sends through SSM for this request, made by the Lambda's own code
    (lib/training/contract.ts, scriptCommand), for a bundle folder of the contract's form."""
    root = TESTS.parents[2]
    script = (
        "const { scriptCommand } = require('./lib/training/contract');"
        "process.stdout.write(scriptCommand('/fsx/trainium-cpt/training/test-bundle', process.env.CPT_ACTION,"
        " JSON.parse(process.env.CPT_REQUEST)))"
    )
    result = subprocess.run(
        [str(root / "node_modules" / ".bin" / "ts-node"), "--transpile-only", "-e", script],
        cwd=root,
        env={**os.environ, "CPT_ACTION": action, "CPT_REQUEST": json.dumps(request)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_the_lambdas_own_command_run_by_a_shell_as_ssm_does_submits_the_chain(cluster, slurm):
    request = cluster.request("lambda-made")
    command = lambda_command("submit", request)
    assert command.startswith("bash /fsx/trainium-cpt/training/test-bundle/cpt-run.sh submit ")
    # AWS-RunShellScript writes the commands into a script that a shell runs; here the bundle is the sandbox's copy.
    local = command.replace("/fsx/trainium-cpt/training/test-bundle/cpt-run.sh", str(CPT_RUN), 1)
    result = subprocess.run(
        ["bash", "-c", local], env=cluster.env(), capture_output=True, text=True, timeout=60, cwd=cluster.tmp
    )
    assert result.returncode == 0, result.stderr[-2000:]
    submitted = json.loads(result.stdout.strip().splitlines()[-1])
    assert submitted["created"] is True and list(submitted["jobs"]) == list(STAGES)
    final = cluster.wait_for("lambda-made", lambda states: all(s == "COMPLETED" for s in states.values()), timeout=60)
    assert {job["state"] for job in final["jobs"].values()} == {"COMPLETED"}


def utc_after(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))


def local_seconds(slurm_time: str) -> float:
    """A StartTime of `scontrol show job` (the controller's local time, this host's) in seconds since the epoch."""
    return time.mktime(time.strptime(slurm_time, "%Y-%m-%dT%H:%M:%S"))


def test_a_run_on_a_capacity_block_stops_after_a_checkpoint_before_stop_by(cluster, slurm):
    """The fake training saves step_2 at once, then waits until 20 s before stopBy to save step_4 (whatever the
    time prepare and compile took): the next checkpoint (step_6, as long after step_4 as step_4 after step_2) would
    come after stopBy, so the train job stops right after step_4, cancels itself (no requeue, no failure), export
    and evaluate never run, and a resume finishes the run."""
    stop_by = utc_after(120)
    request = cluster.request("block", stopBy=stop_by)
    pauses = {"2": {"after_stop_by": -20}, "4": {"after": 60}}
    jobs = cluster.submit(request, CPT_FAKE_SAVE_PAUSES=json.dumps(pauses), CPT_STOP_POLL="0.5", CPT_SAVE_SECONDS="30")[
        "jobs"
    ]
    assert scontrol_fields(jobs["train"], slurm)["TimeLimit"] == "00:02:00"  # 120 s and one save (30 s), whole
    final = cluster.wait_all_ended("block", timeout=180)
    states = {s: (j["state"], j["reason"]) for s, j in final["jobs"].items()}
    message = (
        f"run block stopped at step_4 before the Capacity Block's end: its next checkpoint would not have completed "
        f"by stopBy {stop_by}"
    )
    assert states["train"][0] == "STOPPED_FOR_BLOCK_END" and states["train"][1].startswith(message), cluster.logs(
        "block"
    )
    assert states["train"][1].endswith(
        "resume it on a new Capacity Block with `npm run submit -- --run block --resume`"
    )
    assert {s: states[s] for s in ("export", "evaluate")} == dict.fromkeys(
        ("export", "evaluate"), ("CANCELLED", "DependencyNeverSatisfied")
    )
    fields = scontrol_fields(jobs["train"], slurm)
    assert (fields["JobState"], fields["Restarts"]) == ("CANCELLED", "0")
    assert final["restarts"]["count"] == 0
    log = (cluster.run_dir("block") / "logs" / f"train-{jobs['train']}.out").read_text()
    assert_time_limit_ends_by(jobs["train"], slurm, stop_by, 30)
    # Stopped right after step_4 (before stopBy), never reaching step 5; nothing exported or evaluated.
    saves = [r["tag"] for r in cluster.records("torchrun", event="save") if not r["extract"]]
    assert saves == ["step_2", "step_4"]
    assert max(r["step"] for r in cluster.records("torchrun", event="step") if not r["extract"]) == 4
    assert [r for r in cluster.records("convert_checkpoints.py") if "--convert_to_full_state" in r["argv"]] == []
    assert cluster.records("evaluate_perplexity.py") == []
    assert message in log and "stopping the training for stopBy" in log
    status = json.loads((cluster.run_dir("block") / "status" / "train.json").read_text())
    assert status["state"] == "STOPPED_FOR_BLOCK_END" and status["reason"].startswith(message)
    stop = json.loads((cluster.run_dir("block") / "status" / "train-stop.json").read_text())
    assert stop["why"] == "checkpoint" and stop["time"] < stop_by  # UTC texts of one form compare as times

    # A submission without resume says where the run stands; with it (on-demand capacity: no stopBy), it finishes.
    answer = cluster.submit(request)
    assert answer["message"] == (
        "the chain of run block ended STOPPED_FOR_BLOCK_END at train; `npm run submit -- --run block --resume` "
        "continues it"
    )
    resumed = {key: value for key, value in request.items() if key != "stopBy"}
    cluster.submit({**resumed, "resume": True})
    final = cluster.wait_all_ended("block", timeout=90)
    assert {j["state"] for j in final["jobs"].values()} == {"COMPLETED"}, cluster.logs("block")
    trains = [r for r in cluster.records("torchrun") if not r["extract"]]
    assert option(trains[-1]["argv"], "--loading_step") == "4"


def assert_time_limit_ends_by(job_id: str, slurm, stop_by: str, save_seconds: int):
    """The train job's time limit, from its start, ends by stopBy and one save (the submission's cut, lowered by the
    job itself when it started too late for it: stage-train.sh)."""
    fields = scontrol_fields(job_id, slurm)
    hours, minutes, seconds = (int(part) for part in fields["TimeLimit"].split(":"))
    ends = local_seconds(fields["StartTime"]) + hours * 3600 + minutes * 60 + seconds
    assert ends <= calendar.timegm(time.strptime(stop_by, "%Y-%m-%dT%H:%M:%SZ")) + save_seconds, fields


def test_at_stop_by_the_save_under_way_completes_and_a_last_one_finishes_the_run(cluster, slurm):
    """stopBy comes while the run's last checkpoint (step_4) is being saved (15 s from its "checkpoint" file to its
    "done"): the watcher waits for it, and the stop that follows (srun killed while the fake lingers after the save)
    leaves a trained run: the train job completes, export and evaluate run."""
    stop_by = utc_after(90)
    request = cluster.request("last-save", steps=4, stopBy=stop_by)
    pauses = {"2": {"after_stop_by": -5}, "4": {"during": 15, "after": 60}}
    jobs = cluster.submit(request, CPT_FAKE_SAVE_PAUSES=json.dumps(pauses), CPT_STOP_POLL="0.5", CPT_SAVE_SECONDS="60")[
        "jobs"
    ]
    final = cluster.wait_all_ended("last-save", timeout=240)
    log = (cluster.run_dir("last-save") / "logs" / f"train-{jobs['train']}.out").read_text()
    assert {s: j["state"] for s, j in final["jobs"].items()} == dict.fromkeys(STAGES, "COMPLETED"), log
    stop = json.loads((cluster.run_dir("last-save") / "status" / "train-stop.json").read_text())
    assert (stop["why"], stop["checkpoint"]) == ("stopBy", "step_4")
    assert "the last step's checkpoint step_4 completed as the training was stopped for stopBy" in log
    # The training was stopped (killed by srun) after the save, not before it: step_4 is complete, the fake's
    # 60 s after it cut short.
    assert [r["tag"] for r in cluster.records("torchrun", event="save") if not r["extract"]] == ["step_2", "step_4"]
    assert (cluster.fsx / "checkpoints" / "last-save" / "step_4" / "done").is_file()
    assert final["restarts"]["count"] == 0
    assert_time_limit_ends_by(jobs["train"], slurm, stop_by, 60)


def test_the_jobs_user_may_lower_its_own_jobs_time_limit(cluster, slurm):
    """What stage-train.sh does at each attempt's start, checked on Slurm itself as the jobs' user."""
    env = {**cluster.env(), "SLURM_CONF": slurm}
    submitted = subprocess.run(
        [
            "/sbin/runuser",
            "-u",
            JOB_USER,
            "--",
            "sbatch",
            "--parsable",
            "--time",
            "10",
            "--chdir",
            "/tmp",
            "--output",
            "/dev/null",
            "--wrap",
            "sleep 60",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip().split(";")[0]
    lowered = as_job_user_env(env, "scontrol", "update", f"JobId={job}", "TimeLimit=5")
    assert lowered.returncode == 0, lowered.stderr
    assert scontrol_fields(job, slurm)["TimeLimit"] == "00:05:00"


def as_job_user_env(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/sbin/runuser", "-u", JOB_USER, "--", *argv], capture_output=True, text=True, env=env, timeout=30
    )
