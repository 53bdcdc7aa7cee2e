"""The request's stopBy (a Capacity Block's end less a checkpoint save and a margin): when the train job's watcher
stops the training (cpt/stop_by.py), the train job's time limit cut to it, and the requests cpt-run.sh refuses or
rewrites for it (Slurm's commands only record here; test_training_chain.py runs a stop on a real Slurm)."""

import json
import math
import os
import shutil
import sys
import threading
import time

import pytest

from test_training_submit_offline import assert_nothing_happened, assert_refused, lay_out_checkpoints
from training_sandbox import TRAINING
from training_sandbox import offline  # noqa: F401  (fixture)

sys.path.insert(0, str(TRAINING))
from cpt import stop_by  # noqa: E402

STOP_BY = "2026-06-01T12:00:00Z"
DEADLINE = stop_by.parse_stop_by(STOP_BY)


def utc(seconds_from_now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def test_stop_by_is_read_as_utc():
    assert stop_by.parse_stop_by("1970-01-02T00:00:01Z") == 86401


@pytest.mark.parametrize("text", ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "x"])
def test_a_stop_by_that_is_no_real_time_is_named(text):
    assert stop_by.stop_by_problem(text) == f"stopBy: {text!r} is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ"


def test_the_interval_is_measured_between_the_last_two_checkpoints_per_step():
    # every 100 steps: step 200 took 600 s after step 100; the last step's checkpoint (250) 50 steps after 200.
    saves = [(100, 1000.0), (200, 1600.0)]
    assert stop_by.checkpoint_interval(saves, 0, 0.0, 100) == 600
    assert stop_by.checkpoint_interval([*saves, (250, 1900.0)], 0, 0.0, 100) == 600
    # After the attempt's first one: from the training's start (a resume from step 100 at t=0), load included.
    assert stop_by.checkpoint_interval([(200, 700.0)], 100, 0.0, 100) == 700
    assert stop_by.checkpoint_interval([(100, 700.0)], -1, 0.0, 100) == 700
    assert stop_by.checkpoint_interval([], -1, 0.0, 100) is None


@pytest.mark.parametrize(
    "now, saves, expected",
    [
        # The next checkpoint (600 s after step 200) completes before stopBy: go on.
        (DEADLINE - 700, [(100, DEADLINE - 1300), (200, DEADLINE - 700)], None),
        # It would complete 100 s after stopBy: stop right after this one.
        (DEADLINE - 500, [(100, DEADLINE - 1100), (200, DEADLINE - 500)], "checkpoint"),
        # No checkpoint yet in this attempt: nothing to measure, the training goes on until stopBy.
        (DEADLINE - 1, [], None),
        (DEADLINE, [], "stopBy"),
        # stopBy comes before the next checkpoint whatever was measured.
        (DEADLINE + 5, [(100, DEADLINE - 3000), (200, DEADLINE - 2000)], "stopBy"),
        # The run's last step saved: the training ends by itself.
        (DEADLINE + 5, [(500, DEADLINE - 100), (600, DEADLINE - 10)], None),
    ],
    ids=["fits", "would-not-fit", "nothing-measured", "at-stop-by", "past-stop-by", "last-step-saved"],
)
def test_the_watcher_stops_after_the_last_checkpoint_that_fits_and_at_stop_by(now, saves, expected):
    assert stop_by.stop_decision(now, DEADLINE, saves, -1, DEADLINE - 5000, 100, 600) == expected


@pytest.mark.parametrize(
    "last, expected",
    [
        # The next checkpoint is the run's last, 50 steps on: half an interval (300 s), 100 s after stopBy.
        (550, "checkpoint"),
        # 10 steps on: 60 s, before stopBy; a full interval would have come after it.
        (510, None),
    ],
)
def test_a_last_checkpoint_sooner_than_an_interval_is_predicted_sooner(last, expected):
    saves = [(400, DEADLINE - 800), (500, DEADLINE - 200)]
    assert stop_by.stop_decision(DEADLINE - 200, DEADLINE, saves, -1, DEADLINE - 5000, 100, last) == expected


def save(ckpt, step, begun_ago, done_ago=None):
    """A checkpoint folder as neuronx-distributed writes it: "checkpoint" first, "done" last (none: a save under way)."""
    folder = ckpt / f"step_{step}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, ago in (("checkpoint", begun_ago), ("done", done_ago)):
        if ago is not None:
            (folder / name).write_text("1")
            os.utime(folder / name, (time.time() - ago, time.time() - ago))


def test_one_save_is_the_longest_the_run_measured_or_ten_minutes_before_any(tmp_path, monkeypatch):
    monkeypatch.delenv("CPT_SAVE_SECONDS", raising=False)
    assert stop_by.save_allowance(str(tmp_path)) == 600
    save(tmp_path, 2, begun_ago=100, done_ago=70)
    save(tmp_path, 4, begun_ago=50, done_ago=5)
    save(tmp_path, 6, begun_ago=2)  # under way: not measured
    assert round(stop_by.save_allowance(str(tmp_path))) == 45


def test_at_stop_by_the_watcher_waits_for_the_save_under_way_and_the_pruning(tmp_path, monkeypatch):
    monkeypatch.setenv("CPT_STOP_POLL", "0.1")
    monkeypatch.setenv("CPT_SAVE_SECONDS", "20")
    save(tmp_path, 2, begun_ago=30, done_ago=29)
    save(tmp_path, 4, begun_ago=1)
    stop_file = tmp_path / "stop.json"

    def complete_and_prune():
        time.sleep(1)
        (tmp_path / "step_4" / "done").write_text("1")
        time.sleep(1)
        shutil.rmtree(tmp_path / "step_2")  # checkpointsKept 1

    helper = threading.Thread(target=complete_and_prune)
    helper.start()
    begun = time.time()
    stop_by.cmd_stop_watch(str(tmp_path), utc(-1), "2", "8", "1", "-1", str(begun - 40), str(stop_file))
    helper.join()
    assert 2 <= time.time() - begun < 10
    stop = json.loads(stop_file.read_text())
    assert (stop["why"], stop["checkpoint"]) == ("stopBy", "step_4")


def test_the_wait_for_a_save_lasts_one_save_at_most(tmp_path, monkeypatch):
    monkeypatch.setenv("CPT_STOP_POLL", "0.1")
    monkeypatch.setenv("CPT_SAVE_SECONDS", "1.5")
    save(tmp_path, 2, begun_ago=30, done_ago=29)
    save(tmp_path, 4, begun_ago=1)  # never completes
    begun = time.time()
    stop_by.cmd_stop_watch(str(tmp_path), utc(-1), "2", "8", "3", "-1", str(begun - 40), str(tmp_path / "stop.json"))
    assert 1.5 <= time.time() - begun < 5
    assert json.loads((tmp_path / "stop.json").read_text())["checkpoint"] == "step_2"


@pytest.mark.parametrize(
    "text, minutes", [("00:01:00", 1), ("10:00:00", 600), ("2-01:30:30", 2970.5), ("UNLIMITED", math.inf)]
)
def test_slurms_time_limits_are_read_in_minutes(text, minutes):
    assert stop_by.slurm_minutes(text) == minutes


def test_an_attempt_lowers_its_time_limit_to_stop_by_and_one_save(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CPT_SAVE_SECONDS", "120")
    started = time.time()
    stop_by.cmd_lowered_time_limit(utc(30 * 60 + 30), str(tmp_path), str(started), "10:00:00")
    assert capsys.readouterr().out == "32\n"  # 30.5 + 2 min, whole
    stop_by.cmd_lowered_time_limit(utc(30 * 60 + 30), str(tmp_path), str(started), "00:20:00")
    assert capsys.readouterr().out == ""  # the limit is lower already: never raised


def test_the_watcher_writes_its_decision_and_the_message_says_how_to_resume(tmp_path, monkeypatch):
    ckpt = tmp_path / "ckpt"
    for step, age in ((2, 40.0), (4, 2.0)):
        (ckpt / f"step_{step}").mkdir(parents=True)
        done = ckpt / f"step_{step}" / "done"
        done.write_text("1")
        moment = time.time() - age
        os.utime(done, (moment, moment))
    stop_file = tmp_path / "stop.json"
    # step_4 came 38 s after step_2; stopBy is 20 s away: the next one would not make it.
    started = time.time() - 60
    stop_by.cmd_stop_watch(str(ckpt), utc(20), "2", "6", "3", "-1", str(started), str(stop_file))
    stop = json.loads(stop_file.read_text())
    assert (stop["why"], stop["checkpoint"], round(stop["interval"])) == ("checkpoint", "step_4", 38)
    assert stop_by.stop_message(stop, "pubmed") == (
        "run pubmed stopped at step_4 before the Capacity Block's end: its next checkpoint would not have completed "
        f"by stopBy {stop['stopBy']} (a checkpoint interval takes about 0.6 min); resume it on a new Capacity "
        "Block with `npm run submit -- --run pubmed --resume`"
    )
    at_stop_by = {**stop, "why": "stopBy", "checkpoint": None}
    assert stop_by.stop_message(at_stop_by, "pubmed").startswith(
        f"run pubmed stopped at stopBy {stop['stopBy']}, before the Capacity Block's end: it has no checkpoint yet; "
    )


def test_the_train_jobs_time_limit_ends_by_stop_by(offline):
    request = offline.request("r1", stopBy=utc(10 * 60 + 30))
    result = offline.cpt("submit", request)
    assert result.returncode == 0, result
    limits = {c[c.index("--job-name") + 1]: c[c.index("--time") + 1] for c in offline.slurm_calls()}
    # 10.5 min left and one save (10 min before the run measured one): 20 whole minutes, less than the request's
    # 600; the other stages keep theirs.
    assert limits == {"cpt-r1-prepare": "30", "cpt-r1-compile": "60", "cpt-r1-train": "20", "cpt-r1-export": "60"} | {
        "cpt-r1-evaluate": "30"
    }
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    assert json.loads((run_dir / "request.json").read_text())["stopBy"] == request["stopBy"]


@pytest.mark.parametrize("seconds, fragment", [(-3600, "is past"), (30, "s away")])
def test_a_stop_by_less_than_a_minute_away_is_refused(offline, seconds, fragment):
    result = offline.cpt("submit", offline.request("r1", stopBy=utc(seconds)))
    assert_refused(result, "stopBy: ", fragment, "submit the run on a later block")
    assert offline.slurm_calls() == []


def test_a_stop_by_that_is_no_real_time_is_refused_before_anything_happens(offline):
    result = offline.cpt("submit", offline.request("r1", stopBy="2026-02-30T00:00:00Z"))
    assert_refused(result, "stopBy: '2026-02-30T00:00:00Z' is not a UTC time")
    assert_nothing_happened(offline)


def test_a_resumed_run_takes_the_new_blocks_stop_by_and_keeps_the_rest(offline):
    lay_out_checkpoints(offline, "r1", "step_2", stored=offline.request("r1", stopBy=utc(-86400)))  # the block before
    stored = offline.fsx / "checkpoints" / "r1" / "request.json"
    new_block = utc(3 * 3600)
    result = offline.cpt("submit", offline.request("r1", resume=True, stopBy=new_block, learningRate=0.0003))
    assert result.returncode == 0, result
    assert f"differs from {stored} in learningRate: the run keeps its stored request" in result.stderr
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    expected = offline.request("r1", resume=True, stopBy=new_block)
    assert json.loads((run_dir / "request.json").read_text()) == expected
    # A resume on demand capacity (no stopBy) drops the stored one: nothing stops that run.
    offline.slurm_record.write_text("")
    (run_dir / "jobs.json").unlink()
    result = offline.cpt("submit", offline.request("r1", resume=True))
    assert result.returncode == 0, result
    assert "stopBy" not in json.loads((run_dir / "request.json").read_text())
    assert [c[c.index("--time") + 1] for c in offline.slurm_calls() if "cpt-r1-train" in c] == ["600"]
