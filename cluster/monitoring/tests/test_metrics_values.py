"""The pure parts of the agent: a run's progress over a requeue, the metric values, NodesUp from sinfo, the failures
to count, the put-metric-data payload."""

import json
import math
import time

import pytest

from metrics_sandbox import (
    CLUSTER,
    FIXTURES,
    NOISE,
    TRACEBACK,
    chain,
    cloudwatch,
    data_points,
    label,
    log_line,
    run_files,
    scontrol_line,
    slurm,
    stage_say,
    training_log,
)

T0 = time.mktime((2025, 3, 20, 9, 40, 0, 0, 0, -1))


def requeued_log(job_id=103):
    """The first attempt of a train job of 16 nodes: steps 10..640 every 10 steps (lr warm-up over 100 steps to
    1.5e-4, ~81 seq/s), a rank failing at step ~645 (the job is requeued), the second attempt resuming from the
    checkpoint step_500: steps 510..560."""
    lines = [
        stage_say(
            T0,
            job_id,
            f"run pubmed-v1, job {job_id} (restart 0) on trn-dy-trn132-[1-16]; run "
            f"directory /fsx/trainium-cpt/runs/pubmed-v1",
        ),
        stage_say(T0, job_id, "running the train command on 16 node(s): trn-dy-trn132-[1-16]"),
    ]
    lines += [label(task) + noise for task, noise in zip((3, 0, 5, 0, 0, 0, 0), NOISE)]
    for step in range(10, 650, 10):
        lr = 1.5e-4 * min(step, 100) / 100
        loss = 2.1 + 0.5 * math.exp(-step / 200)
        throughput = 12.41 if step == 10 else 81.23 + (step % 30) / 100
        lines.append(label(0) + log_line(0, step, loss, lr, throughput, T0 + 300 + step * 25))
        if step % 100 == 0:
            lines.append(label(9) + NOISE[2])
    lines += [label(7) + line for line in TRACEBACK[:-2]] + TRACEBACK[-2:]
    t1 = T0 + 300 + 650 * 25 + 600
    lines += [
        stage_say(t1, job_id, f"run pubmed-v1, job {job_id} (restart 1) on trn-dy-trn132-[1-16]; ..."),
        stage_say(t1, job_id, "resuming from step_500 (the newest completed checkpoint in /fsx/checkpoints/pubmed-v1)"),
    ]
    for step in range(510, 570, 10):
        lines.append(label(0) + log_line(0, step, 2.11, 1.5e-4, 80.5, t1 + 400 + (step - 500) * 25))
    return lines, t1


def test_progress_follows_the_newest_line_over_a_requeue():
    lines, t1 = requeued_log()
    progress, new = training_log.fold(training_log.Progress(), lines, read_at=0)
    assert new == 64 + 6
    assert progress.step == 560 and progress.max_step == 640 and progress.restarts == 1
    assert progress.loss == 2.11 and progress.learning_rate == 1.5e-4 and progress.throughput == 80.5
    assert progress.logged_at == t1 + 400 + 60 * 25


def test_progress_folds_the_same_way_in_pieces():
    lines, _ = requeued_log()
    whole, _ = training_log.fold(training_log.Progress(), lines, read_at=0)
    progress, total, steps = training_log.Progress(), 0, []
    for i in range(0, len(lines), 7):
        progress, new = training_log.fold(progress, lines[i : i + 7], read_at=0)
        total += new
        steps.append(progress.step)
        progress = training_log.Progress.from_json(
            json.loads(json.dumps(progress.to_json()))
        )  # as the state file keeps it
    assert progress == whole and total == 70
    assert 640 in steps and steps[-1] == 560


def test_a_repeated_line_is_not_a_new_step():
    line = label(0) + log_line(0, 10, 2.3, 1.5e-05, 12.0, T0)
    progress, new = training_log.fold(training_log.Progress(), [line, line], read_at=0)
    assert (new, progress.step_lines, progress.restarts) == (1, 1, 0)


def test_a_step_line_whose_date_does_not_parse_takes_the_reading_time():
    line = log_line(0, 10, 2.3, 1.5e-05, 12.0, T0).replace(" Mar ", " Xyz ")
    progress, _ = training_log.fold(training_log.Progress(), [line], read_at=1234.0)
    assert progress.step == 10 and progress.logged_at == 1234.0


# --- Metric values ---


def job(state="RUNNING", start=T0, job_id="103", run="pubmed-v1", stage="train", restarts=0, end=None):
    return slurm.Job(
        job_id=job_id, run=run, stage=stage, state=state, restarts=restarts, start_time=start, end_time=end
    )


def progress_at(step, logged_at, throughput=81.23, loss=2.1034):
    return training_log.Progress(
        step=step,
        epoch=0,
        loss=loss,
        learning_rate=1.5e-4,
        throughput=throughput,
        logged_at=logged_at,
        max_step=step,
        step_lines=1,
    )


def values(metrics):
    return {m["MetricName"]: m["Value"] for m in metrics}


def test_a_new_step_line_gives_step_loss_and_tokens_per_second():
    now = T0 + 3600
    training = [data_points.Training(job(), progress_at(1230, now - 90), new_lines=1, sequence_length=4096)]
    metrics = data_points.compute_metrics(now, CLUSTER, training, nodes_up=16, failed_jobs=0)
    assert values(metrics) == {
        "TrainingStep": 1230.0,
        "TrainingLoss": 2.1034,
        "TrainingTokensPerSecond": round(81.23 * 4096, 2),  # 332,718.08 tokens/s: seq/s x sequenceLength
        "MinutesSinceLastStep": 1.5,
        "NodesUp": 16.0,
        "FailedJobs": 0.0,
    }
    units = {m["MetricName"]: m["Unit"] for m in metrics}
    assert units == {
        "TrainingStep": "None",
        "TrainingLoss": "None",
        "TrainingTokensPerSecond": "Count/Second",
        "MinutesSinceLastStep": "None",
        "NodesUp": "Count",
        "FailedJobs": "Count",
    }


def test_without_a_new_step_line_only_the_minutes_since_the_last_step_grow():
    now = T0 + 3600
    training = [data_points.Training(job(), progress_at(1230, now - 600), new_lines=0, sequence_length=4096)]
    assert values(data_points.compute_metrics(now, CLUSTER, training, 16, 0)) == {
        "MinutesSinceLastStep": 10.0,
        "NodesUp": 16.0,
        "FailedJobs": 0.0,
    }


def test_before_the_first_step_line_minutes_count_from_the_job_start():
    now = T0 + 900
    training = [data_points.Training(job(start=T0), training_log.Progress(), new_lines=0, sequence_length=4096)]
    assert values(data_points.compute_metrics(now, CLUSTER, training, 16, 0))["MinutesSinceLastStep"] == 15.0


def test_after_a_requeue_minutes_count_from_the_new_start_and_the_old_throughput_is_not_used():
    restarted = T0 + 7200
    old = progress_at(640, T0 + 7000)
    now = restarted + 300
    training = [data_points.Training(job(start=restarted, restarts=1), old, new_lines=0, sequence_length=4096)]
    assert values(data_points.compute_metrics(now, CLUSTER, training, 16, 0))["MinutesSinceLastStep"] == 5.0


def test_no_training_job_means_no_training_metrics_at_all():
    assert values(data_points.compute_metrics(T0, CLUSTER, [], nodes_up=0, failed_jobs=2)) == {
        "NodesUp": 0.0,
        "FailedJobs": 2.0,
    }


def test_nodes_up_is_left_out_when_sinfo_failed_and_failed_jobs_never_is():
    assert values(data_points.compute_metrics(T0, CLUSTER, [], nodes_up=None, failed_jobs=0)) == {"FailedJobs": 0.0}


def test_a_nan_loss_is_not_published_but_the_step_is():
    training = [data_points.Training(job(), progress_at(40, T0, loss=float("nan")), 1, 4096)]
    got = values(data_points.compute_metrics(T0 + 60, CLUSTER, training, 16, 0))
    assert got["TrainingStep"] == 40.0 and "TrainingLoss" not in got


def test_without_a_sequence_length_there_is_no_tokens_per_second():
    training = [data_points.Training(job(), progress_at(40, T0), 1, None)]
    assert "TrainingTokensPerSecond" not in values(data_points.compute_metrics(T0 + 60, CLUSTER, training, 16, 0))


def test_two_runs_at_once_newest_step_most_stalled_minutes_summed_throughput():
    now = T0 + 3600
    a = data_points.Training(job(job_id="103"), progress_at(1230, now - 30, throughput=40.0), 1, 4096)
    b = data_points.Training(
        job(job_id="208", run="law-v2"), progress_at(300, now - 1200, throughput=20.0, loss=1.9), 0, 2048
    )
    got = values(data_points.compute_metrics(now, CLUSTER, [a, b], 8, 0))
    assert got["TrainingStep"] == 1230.0 and got["TrainingLoss"] == 2.1034
    assert got["TrainingTokensPerSecond"] == 40.0 * 4096 + 20.0 * 2048
    assert got["MinutesSinceLastStep"] == 20.0


def test_the_payload_is_what_put_metric_data_takes():
    now = time.mktime((2025, 3, 20, 10, 15, 3, 0, 0, -1))
    training = [data_points.Training(job(), progress_at(1230, now - 90), 1, 4096)]
    metrics = data_points.compute_metrics(now, CLUSTER, training, 16, 0)
    payload = json.loads(json.dumps(metrics))
    assert payload[0] == {
        "MetricName": "TrainingStep",
        "Dimensions": [{"Name": "ClusterName", "Value": CLUSTER}],
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "Value": 1230.0,
        "Unit": "None",
    }
    for datum in payload:
        assert set(datum) == {"MetricName", "Dimensions", "Timestamp", "Value", "Unit"}
        assert datum["Dimensions"] == [{"Name": "ClusterName", "Value": CLUSTER}]
        assert isinstance(datum["Value"], float) and math.isfinite(datum["Value"])
        assert datum["Unit"] in {"None", "Count", "Count/Second"}


def test_batches_hold_at_most_1000_metrics():
    sizes = [len(b) for b in cloudwatch.batches([{"n": i} for i in range(2500)])]
    assert sizes == [1000, 1000, 500]
    assert cloudwatch.batches([]) == []


def test_the_aws_command_line():
    assert cloudwatch.put_metric_data_argv("aws", "us-east-2", "TrainiumCpt", "/tmp/p.json") == [
        "aws",
        "cloudwatch",
        "put-metric-data",
        "--region",
        "us-east-2",
        "--namespace",
        "TrainiumCpt",
        "--metric-data",
        "file:///tmp/p.json",
    ]


# --- NodesUp from sinfo ---


def test_nodes_up_from_the_sinfo_fixture():
    assert slurm.SINFO_ARGS == ["--noheader", "--Node", "--format=%N %T"]
    assert slurm.count_nodes_up((FIXTURES / "sinfo-node-state.txt").read_text()) == 12


@pytest.mark.parametrize(
    "state, usable",
    [
        ("idle", True),
        ("allocated", True),
        ("mixed", True),
        ("completing", True),
        ("allocated+", True),
        ("mixed-", True),
        ("planned", True),
        ("idle~", False),
        ("idle#", False),
        ("allocated#", False),
        ("idle%", False),
        ("idle!", False),
        ("idle*", False),
        ("down", False),
        ("down*", False),
        ("drained", False),
        ("draining", False),
        ("drained~", False),
        ("fail", False),
        ("failing", False),
        ("maint", False),
        ("reboot^", False),
        ("idle@", False),
        ("future", False),
        ("unknown", False),
        ("inval", False),
        ("n/a", False),
    ],
)
def test_which_sinfo_states_are_usable(state, usable):
    assert slurm.node_usable(state) is usable


def test_a_node_in_two_partitions_is_counted_once_and_an_idle_cluster_has_none_up():
    text = "trn-dy-trn132-1 allocated\ntrn-dy-trn132-1 allocated\ndebug-st-t3-1 idle\n"
    assert slurm.count_nodes_up(text) == 2
    idle_cluster = "".join(f"trn-dy-trn132-{i} idle~\n" for i in range(1, 17))
    assert slurm.count_nodes_up(idle_cluster) == 0
    assert slurm.count_nodes_up("") == 0


# --- Jobs and failures ---


def test_scontrol_lines_of_a_chain_are_read_and_other_jobs_ignored():
    text = chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": "RUNNING"}, start=T0)
    text += scontrol_line(99, "interactive", "RUNNING", start=T0, nodes=1) + "\n"
    text += scontrol_line(98, "cpt-bad-stage-foo", "FAILED", start=T0, end=T0 + 5, nodes=1) + "\n"
    jobs = slurm.parse_scontrol_jobs(text)
    assert [(j.job_id, j.run, j.stage, j.state) for j in jobs] == [
        ("101", "pubmed-v1", "prepare", "COMPLETED"),
        ("102", "pubmed-v1", "compile", "COMPLETED"),
        ("103", "pubmed-v1", "train", "RUNNING"),
        ("104", "pubmed-v1", "export", "PENDING"),
        ("105", "pubmed-v1", "evaluate", "PENDING"),
    ]
    train = jobs[2]
    assert train.start_time == T0 and train.end_time is None and train.restarts == 0
    assert slurm.parse_scontrol_jobs("No jobs in the system\n") == []


def test_a_run_name_ending_like_a_stage_is_read_right():
    jobs = slurm.parse_scontrol_jobs(scontrol_line(7, "cpt-law-train-train", "RUNNING", start=T0, run="law-train"))
    assert (jobs[0].run, jobs[0].stage) == ("law-train", "train")


def failures(text, runs_dir, counted, since, now):
    return run_files.new_failures(
        slurm.parse_scontrol_jobs(text), run_files.status_file_failures(str(runs_dir)), counted, since, now
    )


@pytest.mark.parametrize("state", sorted(run_files.FAILED_STATES))
def test_every_failed_state_counts(tmp_path, state):
    text = chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": state}, start=T0)
    found = failures(text, tmp_path, {}, since=T0, now=T0 + 120)
    assert [(key, description) for key, _, description in found] == [("103:0", f"cpt-pubmed-v1-train job 103 {state}")]


@pytest.mark.parametrize(
    "state", ["CANCELLED", "COMPLETED", "PREEMPTED", "RUNNING", "PENDING", "REQUEUED", "COMPLETING", "SUSPENDED"]
)
def test_other_states_do_not_count(tmp_path, state):
    text = chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": state}, start=T0)
    assert failures(text, tmp_path, {}, since=T0, now=T0 + 120) == []


def write_status(runs_dir, run, stage, job_id, state, when, restart=0, code=1):
    directory = runs_dir / run / "status"
    directory.mkdir(parents=True, exist_ok=True)
    # stage-lib.sh write_status's line.
    (directory / f"{stage}.json").write_text(
        f'{{"stage":"{stage}","jobId":"{job_id}","restart":{restart},"state":"{state}","exitCode":{code},'
        f'"nodes":"trn-dy-trn132-1","time":"{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))}"}}\n'
    )


def test_a_failure_seen_by_slurm_and_in_the_status_file_counts_once(tmp_path):
    text = chain(101, {"prepare": "FAILED"}, start=T0)
    write_status(tmp_path, "pubmed-v1", "prepare", 101, "FAILED", T0 + 60)
    found = failures(text, tmp_path, {}, since=T0, now=T0 + 120)
    assert [key for key, _, _ in found] == ["101:0"]


def test_a_status_file_failure_counts_when_slurm_has_forgotten_the_job(tmp_path):
    write_status(tmp_path, "pubmed-v1", "export", 104, "FAILED", T0 + 60)
    write_status(tmp_path, "pubmed-v1", "train", 103, "TERMINATED", T0 + 50, code=143)  # cancel/requeue/time limit
    write_status(tmp_path, "pubmed-v1", "compile", 102, "COMPLETED", T0 + 40, code=0)
    found = failures("No jobs in the system\n", tmp_path, {}, since=T0, now=T0 + 900)
    assert [(key, description) for key, _, description in found] == [
        ("104:0", "cpt-pubmed-v1-export job 104 FAILED (status file)")
    ]


def test_counted_and_old_failures_do_not_count_again(tmp_path):
    write_status(tmp_path, "pubmed-v1", "export", 104, "FAILED", T0 + 60)
    assert failures("", tmp_path, {"104:0": T0 + 60}, since=T0, now=T0 + 120) == []
    assert failures("", tmp_path, {}, since=T0 + 61, now=T0 + 120) == []


def test_a_requeued_train_job_failing_again_is_a_new_failure(tmp_path):
    first = chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": "NODE_FAIL"}, start=T0)
    counted = {key: when for key, when, _ in failures(first, tmp_path, {}, since=T0, now=T0 + 120)}
    assert list(counted) == ["103:0"]
    again = chain(101, {"prepare": "COMPLETED", "compile": "COMPLETED", "train": "FAILED"}, start=T0 + 600, restarts=1)
    assert [key for key, _, _ in failures(again, tmp_path, counted, since=T0, now=T0 + 900)] == ["103:1"]
