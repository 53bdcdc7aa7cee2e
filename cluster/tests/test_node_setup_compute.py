"""node-setup.sh compute RELEASE, run for real with bash in a sandbox (node_setup_sandbox.Sandbox)."""

import os
import subprocess

import pytest

from node_setup_sandbox import HOSTNAME, INSTALLING, INSTANCE_IP, KERNEL, RELEASE, SCRIPT, apt_subcommand
from node_setup_sandbox import sandbox, pins  # noqa: F401  (fixtures)

NEURON_PACKAGES = ["aws-neuronx-dkms", "aws-neuronx-collectives", "aws-neuronx-runtime-lib", "aws-neuronx-tools"]
PIN_OF = {
    "aws-neuronx-dkms": "NEURON_DKMS_VERSION",
    "aws-neuronx-collectives": "NEURON_COLLECTIVES_VERSION",
    "aws-neuronx-runtime-lib": "NEURON_RUNTIME_LIB_VERSION",
    "aws-neuronx-tools": "NEURON_TOOLS_VERSION",
}
KEYRING = "/usr/share/keyrings/aws-neuron-archive-keyring.gpg"
KEY_URL = "https://apt.repos.neuron.amazonaws.com/GPG-PUB-KEY-AMAZON-AWS-NEURON.PUB"


def run_ok(sandbox, *args, **env):
    result = sandbox.run("compute", RELEASE, *args, **env)
    assert result.returncode == 0, result.stderr + sandbox.log_text()
    return result


def test_installs_exactly_the_pinned_neuron_packages(sandbox, pins):
    run_ok(sandbox)
    apt = [apt_subcommand(args) for args in sandbox.calls("apt-get")]
    assert apt == [
        ["update"],
        ["install", "-y", f"linux-headers-{KERNEL}"],
        ["install", "-y", "--allow-change-held-packages"]
        + [f"{name}={pins[PIN_OF[name]]}" for name in NEURON_PACKAGES],
    ]
    # Non-interactive, and waiting for a dpkg lock that something else at boot may hold.
    for record in (r for r in sandbox.records() if r["cmd"] == "apt-get"):
        assert record["DEBIAN_FRONTEND"] == "noninteractive"
        assert "DPkg::Lock::Timeout=600" in record["args"]


def test_adds_the_signed_neuron_repository_for_jammy(sandbox):
    run_ok(sandbox)
    sources = sandbox.root / "etc/apt/sources.list.d/neuron.list"
    assert sources.read_text() == f"deb [signed-by={KEYRING}] https://apt.repos.neuron.amazonaws.com jammy main\n"
    keyring = sandbox.root / KEYRING.lstrip("/")
    assert keyring.read_text().startswith("dearmored:-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert oct(keyring.stat().st_mode & 0o777) == "0o644"  # apt reads it as the _apt user
    [download] = [args for args in sandbox.calls("curl") if KEY_URL in args]
    assert "-f" in download[0] and "--retry" in download
    [dearmor] = sandbox.calls("gpg")
    assert "--dearmor" in dearmor and dearmor[dearmor.index("--output") + 1] == str(keyring)


def test_steps_run_in_order_repository_packages_hold_driver_ports(sandbox):
    run_ok(sandbox)
    order = [
        r["cmd"] + (" " + apt_subcommand(r["args"])[0] if r["cmd"] == "apt-get" else "")
        for r in sandbox.records()
        if r["cmd"] != "uname"
    ]
    assert order[:8] == [
        "curl",
        "gpg",
        "apt-get update",
        "apt-get install",
        "apt-get install",
        "apt-mark",
        "modprobe",
        "sysctl",
    ]


def test_holds_the_four_packages_and_loads_the_driver(sandbox):
    run_ok(sandbox)
    assert sandbox.calls("apt-mark") == [["hold", *NEURON_PACKAGES]]
    assert sandbox.calls("modprobe") == [["neuron"]]


def test_installers_do_not_inherit_the_console(sandbox):
    """A daemon left running by a package's install script must not hold the script's console open (ParallelCluster
    waits for the end of its output): apt-get, apt-mark, gpg and modprobe get no descriptor beyond 0-2."""
    run_ok(sandbox)
    fds = {(r["cmd"], tuple(r["inherited_fds"])) for r in sandbox.records() if r["cmd"] in INSTALLING | {"modprobe"}}
    assert {cmd for cmd, _ in fds} == {"apt-get", "apt-mark", "gpg", "modprobe"}
    assert {inherited for _, inherited in fds} == {()}


def test_reserves_the_launcher_ports_with_a_sysctl_file(sandbox):
    run_ok(sandbox)
    conf = sandbox.root / "etc/sysctl.d/99-trainium-cpt.conf"
    lines = [line for line in conf.read_text().splitlines() if not line.startswith("#")]
    assert lines == ["net.ipv4.ip_local_reserved_ports = 44000,48620"]
    assert sandbox.calls("sysctl") == [["-q", "-p", str(conf)]]


def test_records_the_installed_versions_in_a_marker(sandbox, pins):
    run_ok(sandbox)
    marker = sandbox.root / "var/lib/trainium-cpt/neuron-installed.env"
    assert marker.read_text().splitlines() == [f"NEURON_RELEASE={RELEASE}"] + [
        f"{PIN_OF[name]}={pins[PIN_OF[name]]}" for name in NEURON_PACKAGES
    ]


def test_names_every_step_on_the_console_and_in_the_log(sandbox):
    result = run_ok(sandbox)
    steps = [
        "check the operating system",
        "add the Neuron apt repository",
        "update the apt package lists",
        "install the kernel headers",
        "install the Neuron driver, runtime and tools",
        "hold the Neuron packages",
        "load the Neuron driver",
        "reserve the ports of the training launcher",
        "fix this node's entry in /etc/hosts",
    ]
    for name in steps:
        assert f"step: {name}" in result.stdout
        assert f"step: {name}" in sandbox.log_text()
    assert result.stdout.rstrip().endswith("done")


def test_a_second_run_installs_nothing_and_changes_nothing(sandbox):
    sandbox.hosts.write_text(f"127.0.0.1 localhost\n10.9.9.9 {HOSTNAME}\n")
    run_ok(sandbox)
    watched = [
        sandbox.hosts,
        sandbox.root / "etc/sysctl.d/99-trainium-cpt.conf",
        sandbox.root / "etc/apt/sources.list.d/neuron.list",
        sandbox.root / KEYRING.lstrip("/"),
        sandbox.root / "var/lib/trainium-cpt/neuron-installed.env",
    ]
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in watched}
    sandbox.forget()

    result = run_ok(sandbox)

    commands = {r["cmd"] for r in sandbox.records()}
    assert not commands & INSTALLING, commands
    assert not [args for args in sandbox.calls("curl") if KEY_URL in args]
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in watched} == before
    assert "installed already" in result.stdout
    assert result.seconds < 10


def test_installs_again_when_the_marker_names_other_versions(sandbox):
    run_ok(sandbox)
    marker = sandbox.root / "var/lib/trainium-cpt/neuron-installed.env"
    marker.write_text(marker.read_text().replace("NEURON_DKMS_VERSION=", "NEURON_DKMS_VERSION=0."))
    sandbox.forget()
    run_ok(sandbox)
    assert [apt_subcommand(a)[0] for a in sandbox.calls("apt-get")] == ["update", "install", "install"]


STALE = f"""127.0.0.1 localhost
# {HOSTNAME} used to be 10.0.0.99
10.0.0.99 {HOSTNAME}.cpt.pcluster {HOSTNAME}
10.0.0.7 trn-dy-trn1n-32xlarge-10.cpt.pcluster trn-dy-trn1n-32xlarge-10
10.0.0.8 head-node.cpt.pcluster head-node

::1 ip6-localhost ip6-loopback
"""


@pytest.mark.parametrize(
    "hosts, expected",
    [
        pytest.param(
            STALE,
            STALE.replace(f"10.0.0.99 {HOSTNAME}.cpt.pcluster {HOSTNAME}\n", "")
            + f"{INSTANCE_IP} {HOSTNAME}.cpt.pcluster {HOSTNAME}\n",
            id="stale entry replaced, its FQDN kept, a node whose name starts the same left alone",
        ),
        pytest.param(
            f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n10.0.0.99\t{HOSTNAME}.cpt.pcluster {HOSTNAME} # old\n",
            f"127.0.0.1 localhost\n{INSTANCE_IP} {HOSTNAME}.cpt.pcluster {HOSTNAME}\n",
            id="several entries become one",
        ),
        pytest.param(
            "127.0.0.1 localhost\n",
            f"127.0.0.1 localhost\n{INSTANCE_IP} {HOSTNAME}\n",
            id="no entry: one is added",
        ),
    ],
)
def test_puts_this_nodes_hosts_entry_right(sandbox, hosts, expected):
    sandbox.hosts.write_text(hosts)
    run_ok(sandbox)
    assert sandbox.hosts.read_text() == expected
    # The address comes from the instance metadata, with an IMDSv2 token.
    token_call, address_call = [args for args in sandbox.calls("curl") if "169.254.169.254" in args[-1]]
    assert token_call[-1].endswith("/latest/api/token") and "PUT" in token_call
    assert "X-aws-ec2-metadata-token: TOKEN-123" in address_call


def test_a_correct_hosts_file_is_not_rewritten(sandbox):
    sandbox.hosts.write_text(f"127.0.0.1 localhost\n{INSTANCE_IP} {HOSTNAME}.cpt.pcluster {HOSTNAME}\n")
    os.utime(sandbox.hosts, ns=(1_000_000_000, 1_000_000_000))
    run_ok(sandbox)
    assert sandbox.hosts.stat().st_mtime_ns == 1_000_000_000
    assert "maps trn-dy-trn1n-32xlarge-1 to 10.1.2.3 already" in sandbox.log_text()


def test_a_node_named_with_its_domain_is_matched_by_its_short_name(sandbox):
    sandbox.hosts.write_text(f"10.0.0.99 {HOSTNAME}.cpt.pcluster {HOSTNAME}\n")
    run_ok(sandbox, CPT_TEST_HOSTNAME=f"{HOSTNAME}.cpt.pcluster")
    assert sandbox.hosts.read_text() == f"{INSTANCE_IP} {HOSTNAME}.cpt.pcluster {HOSTNAME}\n"


@pytest.mark.parametrize(
    "fail, step",
    [
        ("curl:GPG-PUB-KEY", "add the Neuron apt repository"),
        ("apt-get", "update the apt package lists"),
        ("apt-get:linux-headers", "install the kernel headers"),
        ("apt-get:aws-neuronx-dkms", "install the Neuron driver, runtime and tools"),
        ("apt-mark", "hold the Neuron packages"),
        ("modprobe", "load the Neuron driver"),
        ("sysctl", "reserve the ports of the training launcher"),
        ("curl:local-ipv4", "fix this node's entry in /etc/hosts"),
    ],
)
def test_a_failing_command_fails_the_script_naming_its_step(sandbox, fail, step):
    result = sandbox.run("compute", RELEASE, CPT_TEST_FAIL=fail, CPT_TEST_FAIL_CODE=100)
    message = f"node-setup: step '{step}' failed (exit 100)"
    assert result.returncode == 100
    assert message in result.stderr
    assert message in sandbox.log_text()
    # The failing command's own output is in the log, and its last lines are repeated on stderr.
    assert "simulated failure" in sandbox.log_text()
    assert "simulated failure" in result.stderr


def test_after_a_failed_installation_the_next_run_installs(sandbox):
    failed = sandbox.run("compute", RELEASE, CPT_TEST_FAIL="apt-get:aws-neuronx-dkms")
    assert failed.returncode == 1
    assert not (sandbox.root / "var/lib/trainium-cpt/neuron-installed.env").exists()
    assert not sandbox.calls("apt-mark")
    sandbox.forget()
    run_ok(sandbox)
    assert [apt_subcommand(a)[0] for a in sandbox.calls("apt-get")] == ["update", "install", "install"]
    assert sandbox.calls("apt-mark")


def test_refuses_an_ubuntu_other_than_22_04_before_installing(sandbox):
    sandbox.set_os("noble")
    result = sandbox.run("compute", RELEASE)
    assert result.returncode == 1
    assert "node-setup: step 'check the operating system' failed (exit 1)" in result.stderr
    assert "Ubuntu 22.04 (jammy); this node runs 'noble'" in sandbox.log_text()
    assert sandbox.records() == []


def test_the_default_log_is_under_var_log_of_the_root(sandbox):
    env = sandbox.env()
    del env["CPT_LOG"]
    result = subprocess.run(["bash", str(SCRIPT), "compute", RELEASE], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    log = sandbox.root / "var/log/trainium-cpt/node-setup.log"
    assert "step: load the Neuron driver" in log.read_text()
