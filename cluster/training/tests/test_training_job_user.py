"""The jobs run as an unprivileged user (cpt-run.sh CPT_JOB_USER; here `nobody`) who owns the folders they write:
cpt-run.sh (root) makes each of them once and never opens, writes, chowns or chmods anything inside one, so links
the user plants there give it nothing (Slurm's commands only record here)."""

import json
import os
import pwd
import subprocess
import sys

import pytest

from test_training_submit_offline import assert_refused, lay_out_checkpoints
from training_sandbox import JOB_USER, TRAINING, give_to_job_user
from training_sandbox import offline  # noqa: F401  (fixture)

sys.path.insert(0, str(TRAINING))
from cpt import slurm  # noqa: E402

NOBODY = pwd.getpwnam(JOB_USER)


def plant_link(link, target):
    """A symbolic link the jobs' user made."""
    link.symlink_to(target)
    os.lchown(link, NOBODY.pw_uid, NOBODY.pw_gid)


def facts(path):
    """What an attack would change: owner, mode and content of `path` and of what is in it."""
    paths = [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]
    return [(str(p), p.lstat().st_uid, p.lstat().st_mode, p.read_bytes() if p.is_file() else None) for p in paths]


def test_links_planted_in_the_jobs_folders_do_not_reach_roots_files(offline):
    first = offline.cpt("submit", offline.request("r1", stopBy="2099-01-01T00:00:00Z"))
    assert first.returncode == 0, first
    ckpt = offline.fsx / "checkpoints" / "r1"
    run_dir = offline.fsx / "trainium-cpt" / "runs" / "r1"
    assert ckpt.stat().st_uid == NOBODY.pw_uid and (ckpt / "request.json").stat().st_uid == NOBODY.pw_uid

    # Root's files the user would like to own or overwrite.
    victim = offline.tmp / "victim"
    victim.write_text("root's secret\n")
    victim.chmod(0o600)
    victim_dir = offline.tmp / "victim-dir"
    (victim_dir / "inner").mkdir(parents=True)
    (victim_dir / "inner" / "shadow").write_text("root's\n")
    before = facts(victim) + facts(victim_dir)

    # The jobs' user, whose folders these are, plants links: the temporary copy of the request, a checkpoint, a
    # folder of the run and one of the compile cache point at root's files.
    lay_out_checkpoints(offline, "r1", "step_2")
    plant_link(ckpt / "request.json.tmp", victim)
    plant_link(ckpt / "step_4", victim_dir)
    plant_link(run_dir / "logs" / "old", victim_dir)
    plant_link(run_dir / "status" / "train.json", victim)
    plant_link(offline.fsx / "trainium-cpt" / "compile-cache" / "cache", victim_dir)

    # The chain ended; a resume on a new block (another stopBy: the request next to the checkpoints is written again).
    (run_dir / "jobs.json").unlink()
    resumed = offline.request("r1", resume=True, stopBy="2099-02-01T00:00:00Z")
    result = offline.cpt("submit", resumed)
    assert result.returncode == 0, result
    assert json.loads((ckpt / "request.json").read_text())["stopBy"] == "2099-02-01T00:00:00Z"
    assert (ckpt / "request.json").stat().st_uid == NOBODY.pw_uid
    assert facts(victim) + facts(victim_dir) == before


def test_a_checkpoint_folder_an_earlier_version_made_as_root_is_refused_and_left_alone(offline):
    ckpt = offline.fsx / "checkpoints" / "r1"
    (ckpt / "step_2").mkdir(parents=True)
    (ckpt / "step_2" / "done").write_text("1")
    (ckpt / "request.json").write_text(json.dumps(offline.request("r1")))
    before = facts(ckpt)
    result = offline.cpt("submit", offline.request("r1", resume=True))
    assert_refused(
        result,
        status=1,
        error=(
            f"{ckpt} belongs to root, not to the jobs' user {JOB_USER} (CPT_JOB_USER): an earlier version of "
            "trainium-cpt made it and ran its jobs as root. Submit the run under a new run name, or give the folder "
            f"to {JOB_USER} by hand (sudo chown -R {JOB_USER}: {ckpt}) and submit again"
        ),
    )
    assert offline.slurm_calls() == []
    assert facts(ckpt) == before


def test_a_folder_above_the_jobs_folders_that_the_user_could_change_is_refused(offline):
    # fsx/checkpoints a link (to a folder of the user's): root would make the run's folder wherever it points.
    elsewhere = offline.tmp / "elsewhere"
    elsewhere.mkdir()
    give_to_job_user(elsewhere)
    (offline.fsx).mkdir(exist_ok=True)
    (offline.fsx / "checkpoints").symlink_to(elsewhere)
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(result, f"{offline.fsx}/checkpoints, above the jobs' folder", "must be a folder of root's", status=1)
    assert list(elsewhere.iterdir()) == [] and offline.slurm_calls() == []

    # A folder of the user's above the run directory.
    (offline.fsx / "checkpoints").unlink()
    runs = offline.fsx / "trainium-cpt" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    os.lchown(runs, NOBODY.pw_uid, NOBODY.pw_gid)
    result = offline.cpt("submit", offline.request("r1"))
    assert_refused(result, f"{runs}, above the jobs' folder", f"(it is directory of {JOB_USER})", status=1)
    assert offline.slurm_calls() == []


@pytest.mark.parametrize("planted", ["link", "fifo"])
def test_status_reads_no_link_or_fifo_planted_in_place_of_a_status_file(tmp_path, planted):
    # cpt-run.sh status runs as root and reads RUN_DIR/status/, the jobs' user's folder.
    (tmp_path / "status").mkdir()
    victim = tmp_path / "victim.json"
    victim.write_text(json.dumps({"jobId": "7", "state": "FAILED", "reason": "root's secret"}))
    status_file = tmp_path / "status" / "train.json"
    if planted == "link":
        status_file.symlink_to(victim)
    else:
        os.mkfifo(status_file)
    assert slurm.status_record(str(tmp_path), "train", "7") is None
    status_file.unlink()
    status_file.write_text(victim.read_text())
    assert slurm.status_record(str(tmp_path), "train", "7")["reason"] == "root's secret"


@pytest.mark.parametrize("wanted, passes", [(None, False), ("64", True)])
def test_the_preflight_wants_unlimited_locked_memory(wanted, passes):
    # A job of a user that is not root is held to its locked-memory limit, which EFA needs unlimited.
    env = {k: v for k, v in os.environ.items() if k != "CPT_LOCKED_MEMORY"}
    if wanted:
        env["CPT_LOCKED_MEMORY"] = wanted
    result = subprocess.run(
        ["bash", "-c", 'ulimit -Sl 64 && . "$1/stage-lib.sh" && check_locked_memory node-3', "-", str(TRAINING)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert (result.returncode == 0) == passes, result
    message = (
        "the locked-memory limit (ulimit -l) of this job on node-3 is 64 KiB, not unlimited: EFA needs it unlimited; "
        "the jobs take slurmd's limits (sbatch --propagate=NONE), so give slurmd LimitMEMLOCK=infinity"
    )
    assert (message in result.stdout + result.stderr) != passes, result
