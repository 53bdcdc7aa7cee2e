"""scripts/slurm-env.sh: its daemons listen on 127.0.0.1 only, and stop (or the end of `run`) leaves none of them."""

import os
import re
import subprocess

from training_sandbox import SLURM_ENV, slurm  # noqa: F401  (fixture)


def listening_sockets() -> list:
    """(address, port) of every listening TCP socket, from /proc/net/tcp and tcp6."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(name):
            continue
        for line in open(name).read().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A":  # LISTEN
                address, port = local.split(":")
                out.append((address, int(port, 16)))
    return out


def conf_ports(conf: str) -> set:
    text = open(conf).read()
    return {int(re.search(rf"^{key}=(\d+)$", text, re.M).group(1)) for key in ("SlurmctldPort", "SlurmdPort")}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_daemons_listen_on_loopback_only(slurm):
    ports = conf_ports(slurm)
    bound = [(address, port) for address, port in listening_sockets() if port in ports]
    assert sorted(port for _, port in bound) == sorted(ports)
    assert {address for address, _ in bound} == {"0100007F"}  # 127.0.0.1, never 0.0.0.0 or ::
    text = open(slurm).read()
    assert "ProctrackType=proctrack/linuxproc" in text and "TaskPlugin=task/none" in text
    assert "JobCompType=jobcomp/filetxt" in text and "PartitionName=trn " in text


def test_run_starts_a_cluster_for_one_command_and_stops_it(tmp_path):
    script = tmp_path / "probe.sh"
    script.write_text(
        "set -e\n"
        'echo "conf=$SLURM_CONF"\n'
        'sed -n \'s/^\\([0-9]*\\) .*/\\1/p\' "$(dirname "$SLURM_CONF")/pids"\n'
        "sinfo -h -o '%P %t %c'\n"
        "exit 3\n"
    )
    result = subprocess.run(
        ["bash", str(SLURM_ENV), "run", "bash", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 3, result.stderr  # the command's own status
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"conf={tmp_path}/slurm-env.")
    pids = [int(line) for line in lines[1:-1]]
    assert len(pids) == 3  # munged, slurmctld, slurmd
    assert lines[-1] == "trn* idle 8"
    assert not any(alive(pid) for pid in pids)
    assert not any(p.name.startswith("slurm-env.") for p in tmp_path.iterdir())  # its directory is gone too
