"""The agent for real (a subprocess, --once), with fake aws, scontrol and sinfo on PATH that record their argv:
what it runs, what it sends, what it remembers across samples and restarts, and that failures do not stop it."""

import json
import shutil
import subprocess
import sys
import time

import pytest

from metrics_sandbox import (
    CLUSTER,
    FIXTURES,
    NOISE,
    REGION,
    TRACEBACK,
    Sandbox,
    agent,
    by_name,
    chain,
    label,
    log_line,
    sampling,
    stage_say,
)

SINFO = (FIXTURES / "sinfo-node-state.txt").read_text()  # 12 nodes usable


@pytest.fixture()
def box(tmp_path):
    return Sandbox(tmp_path)


def running_chain(start, **train):
    return chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": "RUNNING"}, start=start, **train)


def step_lines(steps, start_time, throughput=81.23, every=25.0):
    return "".join(
        f"{label(0)}{log_line(0, s, 2.1 + 0.001 * (700 - s) / 7, 1.5e-4, throughput, start_time + i * every)}\n"
        for i, s in enumerate(steps)
    )


def test_one_sample_of_a_running_training(box):
    now = time.time()
    box.make_run()
    log = box.train_log("pubmed-v1", 103)
    partial = label(0) + log_line(0, 1240, 2.0999, 1.5e-4, 81.5, now - 5)
    box.append(
        log,
        stage_say(now - 3600, 103, "running the train command on 16 node(s): trn-dy-trn132-[1-16]")
        + "\n"
        + "".join(label(i % 16) + line + "\n" for i, line in enumerate(NOISE))
        + step_lines(range(1200, 1240, 10), now - 200, every=45)  # the newest, 1230, 65 s ago
        + partial[:50],
    )  # the next line, half written
    box.slurm(scontrol=running_chain(now - 3600), sinfo=SINFO)

    result = box.once()
    assert result.returncode == 0, result.stderr
    assert [c["tool"] for c in box.calls()] == ["scontrol", "sinfo", "aws"]
    assert box.calls("scontrol")[0]["argv"] == ["show", "job", "-o"]
    assert box.calls("sinfo")[0]["argv"] == ["--noheader", "--Node", "--format=%N %T"]
    aws = box.calls("aws")[0]["argv"]
    assert aws[:7] == [
        "cloudwatch",
        "put-metric-data",
        "--region",
        REGION,
        "--namespace",
        "TrainiumCpt",
        "--metric-data",
    ]
    assert aws[7].startswith("file://") and len(aws) == 8
    got = by_name(box.published())
    assert got["TrainingStep"] == 1230.0
    assert got["TrainingLoss"] == float(f"{2.1 + 0.001 * (700 - 1230) / 7:.4f}")
    assert got["TrainingTokensPerSecond"] == round(81.23 * 4096, 2)
    assert 1.0 <= got["MinutesSinceLastStep"] <= 1.3
    assert (got["NodesUp"], got["FailedJobs"]) == (12.0, 0.0)
    for datum in box.published():
        assert datum["Dimensions"] == [{"Name": "ClusterName", "Value": CLUSTER}]
    # One line per sample on stdout (journald); the payload file is gone.
    assert len(result.stdout.splitlines()) == 1
    assert "published 6 metrics to TrainiumCpt" in result.stdout and "TrainingStep=1230" in result.stdout
    assert list((box.tmp / "tmp").iterdir()) == []

    # Next sample: nothing new was logged, so no step metrics; then the half line is completed.
    box.forget_calls()
    assert box.once().returncode == 0
    assert set(by_name(box.published())) == {"MinutesSinceLastStep", "NodesUp", "FailedJobs"}
    box.append(log, partial[50:] + "\n")
    box.forget_calls()
    assert box.once().returncode == 0
    got = by_name(box.published())
    assert got["TrainingStep"] == 1240.0 and got["TrainingLoss"] == 2.0999
    assert got["TrainingTokensPerSecond"] == round(81.5 * 4096, 2)
    assert got["MinutesSinceLastStep"] < 0.5


def test_a_requeue_takes_the_step_back_to_the_checkpoint_then_forward(box):
    now = time.time()
    box.make_run()
    log = box.train_log("pubmed-v1", 103)
    box.append(log, step_lines(range(600, 650, 10), now - 1500))
    box.slurm(scontrol=running_chain(now - 3600), sinfo=SINFO)
    box.once()
    assert by_name(box.published())["TrainingStep"] == 640.0

    # A rank dies; Slurm requeues the job (PENDING, Restarts=1), then starts it again: it appends to the same file.
    box.append(log, "".join(label(7) + line + "\n" for line in TRACEBACK))
    requeued = chain(
        101,
        {"prepare": "COMPLETED", "compile": "COMPLETED", "train": "PENDING"},
        start=now - 3600,
        restarts=1,
        reason="BeginTime",
        dependency="(null)",
    )
    assert "JobName=cpt-pubmed-v1-train" in requeued and "JobState=PENDING Reason=BeginTime" in requeued
    box.slurm(scontrol=requeued)
    box.forget_calls()
    box.once()
    # No train job runs: no MinutesSinceLastStep (the alarm treats missing data as not breaching).
    assert set(by_name(box.published())) == {"NodesUp", "FailedJobs"}

    restarted = now - 240
    box.slurm(scontrol=running_chain(restarted, restarts=1))
    box.append(
        log,
        stage_say(
            restarted, 103, "resuming from step_500 (the newest completed checkpoint in /fsx/checkpoints/pubmed-v1)"
        )
        + "\n",
    )
    box.forget_calls()
    box.once()
    got = by_name(box.published())
    assert "TrainingStep" not in got and 3.9 <= got["MinutesSinceLastStep"] <= 4.2  # since the restart

    box.append(log, step_lines(range(510, 540, 10), now - 100, throughput=80.5, every=30))
    box.forget_calls()
    box.once()
    got = by_name(box.published())
    assert got["TrainingStep"] == 530.0 and got["TrainingTokensPerSecond"] == round(80.5 * 4096, 2)
    state = json.loads(box.state.read_text())
    progress = state["files"][str(log)]["progress"]
    assert (progress["step"], progress["max_step"], progress["restarts"]) == (530, 640, 1)


def failed_jobs_sampled(box) -> float:
    """FailedJobs as the agent sends it from one more sample (--once: a new process, as after a restart)."""
    box.forget_calls()
    assert box.once().returncode == 0
    return by_name(box.published())["FailedJobs"]


def test_failed_jobs_count_once_across_samples_and_restarts(box):
    now = time.time()
    box.make_run()
    box.slurm(
        scontrol=chain(
            101,
            {
                "prepare": "COMPLETED",
                "compile": "FAILED",
                "train": "CANCELLED",
                "export": "CANCELLED",
                "evaluate": "CANCELLED",
            },
            start=now - 100,
        ),
        sinfo=SINFO,
    )
    result = box.once()
    assert by_name(box.published())["FailedJobs"] == 1.0
    assert "cpt-pubmed-v1-compile job 102 FAILED" in result.stdout
    # The stage script wrote its status file too: same failure, same key.
    box.failed_status("compile", "102", now - 40)
    for _ in range(2):  # every --once is a new process: a restart
        assert failed_jobs_sampled(box) == 0.0
    # Slurm forgets the job after MinJobAge; the status file stays; still counted once.
    box.slurm(scontrol="No jobs in the system\n")
    assert failed_jobs_sampled(box) == 0.0


def test_a_failure_while_the_agent_was_down_is_counted_from_the_status_file(box):
    now = time.time()
    box.make_run()
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    box.once()  # the previous sample, before the agent went down
    state = json.loads(box.state.read_text())
    state["lastSample"] = now - 3600  # it was down for an hour
    box.state.write_text(json.dumps(state))
    box.failed_status("export", "104", now - 1800)
    assert failed_jobs_sampled(box) == 1.0


def test_a_fresh_agent_does_not_count_old_history(box):
    now = time.time()
    box.make_run()
    box.failed_status("export", "104", now - 86400)
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    assert failed_jobs_sampled(box) == 0.0


def test_a_failed_publish_is_logged_kept_and_sent_at_the_next_sample(box):
    now = time.time()
    box.make_run()
    box.slurm(scontrol=chain(101, {"prepare": "FAILED"}, start=now - 100), sinfo=SINFO)
    failed = box.once(CPT_TEST_FAIL="aws")
    assert failed.returncode == 1
    assert "Could not connect to the endpoint URL" in failed.stderr
    assert "FAILED to publish (2 data points kept for the next try)" in failed.stdout
    first = box.calls("aws")[0]["payload"]
    box.forget_calls()
    ok = box.once()
    assert ok.returncode == 0 and "and 2 earlier data points" in ok.stdout
    sent = box.published()
    assert sent[2:] == first  # after this sample's data, the earlier data points, with their own timestamps
    assert [(d["MetricName"], d["Value"]) for d in sent] == [
        ("NodesUp", 12.0),
        ("FailedJobs", 0.0),
        ("NodesUp", 12.0),
        ("FailedJobs", 1.0),
    ]
    assert json.loads(box.state.read_text())["pending"] == []


def test_missing_credentials_are_retried_too(box):
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    result = box.once(CPT_TEST_FAIL="aws", CPT_TEST_AWS_EXIT="253")
    assert result.returncode == 1 and "Unable to locate credentials" in result.stderr
    assert len(json.loads(box.state.read_text())["pending"]) == 2


def test_data_that_cloudwatch_refuses_is_dropped_not_retried_forever(box):
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    result = box.once(CPT_TEST_FAIL="aws", CPT_TEST_AWS_EXIT="254")
    assert result.returncode == 1
    assert "(InvalidParameterValue)" in result.stderr and "dropping these 2 data points" in result.stderr
    assert json.loads(box.state.read_text())["pending"] == []


def test_unsent_data_is_bounded(box):
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    box.once(CPT_TEST_FAIL="aws")
    state = json.loads(box.state.read_text())
    state["pending"] = state["pending"] * (sampling.MAX_PENDING // 2)  # as after hours without CloudWatch
    box.state.write_text(json.dumps(state))
    result = box.once(CPT_TEST_FAIL="aws")
    assert "dropping the 2 oldest unsent data points" in result.stderr
    assert len(json.loads(box.state.read_text())["pending"]) == sampling.MAX_PENDING
    box.forget_calls()
    assert box.once().returncode == 0
    assert [len(call["payload"]) for call in box.calls("aws")] == [1000, 1000, 2]  # at most 1000 a call


def test_slurm_down_still_publishes_failed_jobs(box):
    box.make_run()
    result = box.once(CPT_TEST_FAIL="scontrol,sinfo")
    assert result.returncode == 0
    assert "Unable to contact slurm controller" in result.stderr
    assert by_name(box.published()) == {"FailedJobs": 0.0}


def test_dry_run_prints_the_data_points_and_calls_no_aws(box):
    box.make_run()
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    result = box.once("--dry-run")
    assert result.returncode == 0 and box.calls("aws") == []
    printed = json.loads(result.stdout.splitlines()[0])
    assert [d["MetricName"] for d in printed] == ["NodesUp", "FailedJobs"]
    assert "would publish 2 metrics" in result.stdout
    assert not box.state.exists()  # a dry run remembers nothing


def test_a_custom_namespace_goes_on_the_command_line(box):
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    assert box.once("--namespace", "TrainiumCpt/Dev").returncode == 0
    argv = box.calls("aws")[0]["argv"]
    assert argv[argv.index("--namespace") + 1] == "TrainiumCpt/Dev"


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "the following arguments are required: --cluster-name, --region"),
        (["--cluster-name", "x; rm -rf /", "--region", "us-east-2"], "argument --cluster-name: 'x; rm -rf /' is not"),
        (["--cluster-name", "c", "--region", "us-east-2; reboot"], "argument --region:"),
        (["--cluster-name", "c", "--region", "us-east-2", "--namespace", "AWS/EC2"], "reserved for AWS"),
        (["--cluster-name", "c", "--region", "us-east-2", "--namespace", "a b"], "argument --namespace:"),
        (["--cluster-name", "c", "--region", "us-east-2", "--interval", "5"], "from 10 to 3600"),
        (["--cluster-name", "c", "--region", "us-east-2", "--interval", "60s"], "from 10 to 3600"),
        (["--cluster-name", "c", "--region", "us-east-2", "--runs-dir", "relative/runs"], "argument --runs-dir:"),
        (["--cluster-name", "c", "--region", "us-east-2", "--runs-dir", "/fsx/../etc"], "argument --runs-dir:"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(box, args, message):
    result = subprocess.run(
        [sys.executable, str(agent.__file__), *args], capture_output=True, text=True, env=box.env(), timeout=30
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "usage: cpt_metrics_agent.py" in result.stderr
    assert box.calls() == []


def test_the_loop_survives_a_failing_sample(box, monkeypatch, capsys):
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    monkeypatch.setenv("PATH", box.env()["PATH"])
    for key in ("CPT_TEST_RECORD", "CPT_TEST_ANSWERS", "TMPDIR"):
        monkeypatch.setenv(key, box.env()[key])
    samples, sleeps = [], []
    original = sampling.Agent.sample

    def sample(self, now=None):
        samples.append(now)
        if len(samples) == 1:
            raise RuntimeError("simulated: something unexpected")
        return original(self, now)

    class Stop(BaseException):
        pass

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise Stop

    monkeypatch.setattr(sampling.Agent, "sample", sample)
    monkeypatch.setattr(agent, "sleep", sleep)
    with pytest.raises(Stop):
        agent.main(box.argv()[2:])
    out = capsys.readouterr()
    assert len(samples) == 3 and "simulated: something unexpected" in out.err
    assert out.out.count("published 2 metrics") == 2
    # Samples every --interval (60) s from the first: an instant sleep leaves the next one 60 s further each time.
    assert [round(s) for s in sleeps] == [60, 120, 180]


def test_check_validates_and_exits(box):
    result = subprocess.run([*box.argv("--check")], capture_output=True, text=True, env=box.env(), timeout=30)
    assert result.returncode == 0 and "arguments OK" in result.stdout and box.calls() == []


def test_a_broken_state_file_is_set_aside(box):
    box.state.parent.mkdir(parents=True, exist_ok=True)
    box.state.write_text("{not json")
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    result = box.once()
    assert result.returncode == 0 and "starting afresh" in result.stderr
    assert (box.state.parent / "state.json.broken").read_text() == "{not json"
    assert json.loads(box.state.read_text())["version"] == 1


def test_the_free_space_of_fsx_is_published_while_fsx_is_there(box):
    """FsxFreeGiB: what statvfs gives an unprivileged writer on the --fsx-dir file system, every sample; none where
    there is no such folder (every other test here: the default /fsx does not exist on this machine)."""
    fsx = box.tmp / "fsx"
    fsx.mkdir(exist_ok=True)
    box.slurm(scontrol="No jobs in the system\n", sinfo=SINFO)
    assert box.once("--fsx-dir", str(fsx)).returncode == 0
    published = by_name(box.published())
    assert set(published) == {"NodesUp", "FsxFreeGiB", "FailedJobs"}
    assert abs(published["FsxFreeGiB"] - shutil.disk_usage(fsx).free / 2**30) < 1  # GiB, rounded to 0.1
    box.forget_calls()
    assert box.once("--fsx-dir", str(box.tmp / "no-fsx")).returncode == 0
    assert "FsxFreeGiB" not in by_name(box.published())
