"""install-agent.sh, run for real with bash in a sandbox: CPT_ROOT in front of every path it writes, a recorder in
place of systemctl on PATH. Also: shellcheck finds nothing in it."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from metrics_sandbox import AGENT, INSTALLER, MODULES, REPO

SHELLCHECK = REPO / ".venv" / "bin" / "shellcheck"
UNIT = "etc/systemd/system/trainium-cpt-metrics.service"
INSTALLED = "opt/trainium-cpt/metrics-agent/cpt_metrics_agent.py"
INSTALLED_MODULES = [f"opt/trainium-cpt/metrics-agent/metrics_agent/{module.name}" for module in MODULES]

SYSTEMCTL = r"""#!@PYTHON@
import json, os, sys
with open(os.environ["CPT_TEST_RECORD"], "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\n")
if os.environ.get("CPT_TEST_SYSTEMCTL_FAIL") in sys.argv[1:]:
    print("Failed to restart trainium-cpt-metrics.service: Unit not found.", file=sys.stderr)
    sys.exit(5)
"""


class Install:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "root"
        self.bin = tmp / "bin"
        self.record = tmp / "systemctl.jsonl"
        self.root.mkdir()
        self.bin.mkdir()
        fake = self.bin / "systemctl"
        fake.write_text(SYSTEMCTL.replace("@PYTHON@", sys.executable))
        fake.chmod(0o755)

    def run(self, *args: str, **env) -> subprocess.CompletedProcess:
        environment = {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.tmp),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.tmp),
            "CPT_ROOT": str(self.root),
            "CPT_PYTHON": sys.executable,
            "CPT_TEST_RECORD": str(self.record),
            **env,
        }
        return subprocess.run(
            ["bash", str(INSTALLER), *args], env=environment, capture_output=True, text=True, timeout=60
        )

    def systemctl(self) -> list:
        calls = [json.loads(line) for line in self.record.read_text().splitlines()] if self.record.exists() else []
        self.record.unlink(missing_ok=True)
        return calls

    def unit(self) -> str:
        return (self.root / UNIT).read_text()

    def written(self) -> list:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


@pytest.fixture()
def install(tmp_path):
    return Install(tmp_path)


def expected_unit(args: str) -> str:
    return f"""# Written by install-agent.sh of trainium-cpt: run it again to change this file.
[Unit]
Description=trainium-cpt metrics agent: training and Slurm metrics of cluster pcluster-cpt to CloudWatch
Wants=network-online.target
After=network-online.target remote-fs.target

[Service]
Type=simple
ExecStart={sys.executable} /opt/trainium-cpt/metrics-agent/cpt_metrics_agent.py {args}
Environment=PYTHONUNBUFFERED=1
StateDirectory=trainium-cpt-metrics
Restart=always
RestartSec=10
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full

[Install]
WantedBy=multi-user.target
"""


def test_installs_the_agent_and_the_unit_and_starts_it(install):
    result = install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2")
    assert result.returncode == 0, result.stderr
    assert install.written() == sorted([INSTALLED, *INSTALLED_MODULES, UNIT])
    agent = install.root / INSTALLED
    assert agent.read_bytes() == AGENT.read_bytes() and oct(agent.stat().st_mode & 0o777) == "0o755"
    for module, installed in zip(MODULES, INSTALLED_MODULES):
        copy = install.root / installed
        assert copy.read_bytes() == module.read_bytes() and oct(copy.stat().st_mode & 0o777) == "0o644"
    assert oct((install.root / UNIT).stat().st_mode & 0o777) == "0o644"
    assert install.unit() == expected_unit(
        "--cluster-name pcluster-cpt --region us-east-2 --namespace TrainiumCpt --interval 60 "
        "--runs-dir /fsx/trainium-cpt/runs --state-file /var/lib/trainium-cpt-metrics/state.json"
    )
    assert install.systemctl() == [
        ["daemon-reload"],
        ["enable", "trainium-cpt-metrics.service"],
        ["restart", "trainium-cpt-metrics.service"],
    ]
    assert "arguments OK" in result.stdout


def test_every_value_reaches_the_unit(install):
    result = install.run(
        "--region",
        "eu-central-1",
        "--cluster-name",
        "pcluster-cpt",
        "--namespace",
        "TrainiumCpt/Dev",
        "--interval",
        "120",
        "--runs-dir",
        "/fsx/cpt/runs/",
    )
    assert result.returncode == 0, result.stderr
    assert install.unit() == expected_unit(
        "--cluster-name pcluster-cpt --region eu-central-1 --namespace TrainiumCpt/Dev --interval 120 "
        "--runs-dir /fsx/cpt/runs --state-file /var/lib/trainium-cpt-metrics/state.json"
    )


def test_the_unit_command_line_is_one_the_agent_accepts(install):
    assert install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2", "--interval", "090").returncode == 0
    line = next(text for text in install.unit().splitlines() if text.startswith("ExecStart="))
    argv = shlex.split(line[len("ExecStart=") :])
    assert argv[2:] == [
        "--cluster-name",
        "pcluster-cpt",
        "--region",
        "us-east-2",
        "--namespace",
        "TrainiumCpt",
        "--interval",
        "90",
        "--runs-dir",
        "/fsx/trainium-cpt/runs",
        "--state-file",
        "/var/lib/trainium-cpt-metrics/state.json",
    ]
    argv[1] = str(install.root / INSTALLED)
    checked = subprocess.run([*argv, "--check"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_a_second_run_changes_nothing_and_does_not_restart_the_agent(install):
    args = ("--cluster-name", "pcluster-cpt", "--region", "us-east-2")
    assert install.run(*args).returncode == 0
    install.systemctl()
    before = {p: (install.root / p).stat() for p in install.written()}
    again = install.run(*args)
    assert again.returncode == 0, again.stderr
    after = {p: (install.root / p).stat() for p in install.written()}
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in before.items()} == {
        p: (s.st_ino, s.st_mtime_ns) for p, s in after.items()
    }
    assert install.systemctl() == [
        ["daemon-reload"],
        ["enable", "trainium-cpt-metrics.service"],
        ["start", "trainium-cpt-metrics.service"],
    ]
    assert "unchanged" in again.stdout
    # Nothing but the agent, its modules and the unit: no temporary file left behind.
    assert install.written() == sorted([INSTALLED, *INSTALLED_MODULES, UNIT])


def test_a_changed_value_rewrites_the_unit_and_restarts(install):
    assert install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2").returncode == 0
    install.systemctl()
    inode = (install.root / UNIT).stat().st_ino
    assert install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2", "--interval", "300").returncode == 0
    assert "--interval 300" in install.unit()
    assert (install.root / UNIT).stat().st_ino != inode  # a new file renamed into place, not written over
    assert install.systemctl()[-1] == ["restart", "trainium-cpt-metrics.service"]


def test_a_module_the_agent_no_longer_has_is_removed_and_the_agent_restarted(install):
    args = ("--cluster-name", "pcluster-cpt", "--region", "us-east-2")
    assert install.run(*args).returncode == 0
    install.systemctl()
    stale = install.root / "opt/trainium-cpt/metrics-agent/metrics_agent/old_module.py"
    stale.write_text("raise ImportError('an earlier agent')\n")
    again = install.run(*args)
    assert again.returncode == 0, again.stderr
    assert not stale.exists() and f"{stale}: removed" in again.stdout
    assert install.written() == sorted([INSTALLED, *INSTALLED_MODULES, UNIT])
    assert install.systemctl()[-1] == ["restart", "trainium-cpt-metrics.service"]


HOSTILE = [
    ("--cluster-name", "x; rm -rf /"),
    ("--cluster-name", "$(reboot)"),
    ("--cluster-name", "a b"),
    ("--cluster-name", "1cluster"),
    ("--cluster-name", "c" * 61),
    ("--cluster-name", "pcluster\nExecStartPre=/bin/sh -c id"),
    ("--region", "us-east-2; curl x"),
    ("--region", "us-east-2 --namespace X"),
    ("--region", "US-EAST-2"),
    ("--region", "us-east-2\n"),
    ("--namespace", "AWS/EC2"),
    ("--namespace", "Trainium%h"),
    ("--namespace", "Trainium$HOME"),
    ("--namespace", "a b"),
    ("--namespace", "'quoted'"),
    ("--interval", "5"),
    ("--interval", "3601"),
    ("--interval", "60; reboot"),
    ("--interval", "-1"),
    ("--interval", "1e3"),
    ("--runs-dir", "relative/runs"),
    ("--runs-dir", "/fsx/../etc"),
    ("--runs-dir", "/fsx/./runs"),
    ("--runs-dir", "/fsx/my runs"),
    ("--runs-dir", "/fsx/%h"),
    ("--runs-dir", "/fsx/runs;id"),
]


@pytest.mark.parametrize("option, value", HOSTILE)
def test_hostile_values_are_refused_before_anything_is_written(install, option, value):
    args = {"--cluster-name": "pcluster-cpt", "--region": "us-east-2", option: value}
    result = install.run(*[item for pair in args.items() for item in pair])
    assert result.returncode == 2, result
    assert f"install-agent: {option} " in result.stderr and "usage: install-agent.sh" in result.stderr
    assert install.written() == [] and install.systemctl() == []


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "--cluster-name is required"),
        (["--cluster-name", "pcluster-cpt"], "--region is required"),
        (["--cluster-name", "pcluster-cpt", "--region"], "--region needs a value"),
        (
            ["--cluster-name", "pcluster-cpt", "--region", "us-east-2", "--cluster-name", "other"],
            "--cluster-name given twice",
        ),
        (["--cluster-name", "pcluster-cpt", "--region", "us-east-2", "--verbose"], "unknown argument '--verbose'"),
        (["pcluster-cpt", "us-east-2"], "unknown argument 'pcluster-cpt'"),
    ],
)
def test_bad_command_lines_are_refused(install, args, message):
    result = install.run(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert install.written() == [] and install.systemctl() == []


def test_a_python_older_than_3_10_is_refused(install, tmp_path):
    old = tmp_path / "python3.8"
    old.write_text("#!/bin/sh\nexit 1\n")
    old.chmod(0o755)
    result = install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2", CPT_PYTHON=str(old))
    assert result.returncode == 1 and "older than Python 3.10" in result.stderr
    assert install.written() == []


def test_a_systemctl_failure_fails_the_install_and_names_the_step(install):
    result = install.run("--cluster-name", "pcluster-cpt", "--region", "us-east-2", CPT_TEST_SYSTEMCTL_FAIL="restart")
    assert result.returncode == 1
    assert "step 'enable and start the service' failed" in result.stderr


def test_without_cpt_root_it_must_run_as_root(install):
    fake_id = install.bin / "id"
    fake_id.write_text("#!/bin/sh\necho 1000\n")  # `id -u` of a normal user
    fake_id.chmod(0o755)
    # CPT_PYTHON is missing too: had the check gone, the script would stop there, before writing to the real /etc.
    result = install.run(
        "--cluster-name", "pcluster-cpt", "--region", "us-east-2", CPT_ROOT="", CPT_PYTHON="/nonexistent/python3"
    )
    assert result.returncode == 1 and "must run as root" in result.stderr, result.stderr
    assert install.systemctl() == []


def test_the_installer_is_shellcheck_clean_strict_and_executable():
    assert SHELLCHECK.is_file(), f"{SHELLCHECK} is missing: run scripts/python-env.sh (requirements-dev.txt)"
    result = subprocess.run(
        [str(SHELLCHECK), "-x", str(INSTALLER)], capture_output=True, text=True, cwd=INSTALLER.parent
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    text = INSTALLER.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert os.access(INSTALLER, os.X_OK) and os.access(AGENT, os.X_OK)
    assert AGENT.read_text().startswith("#!/usr/bin/env python3\n")
