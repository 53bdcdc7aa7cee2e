"""node-setup.sh head RELEASE: the shared Python environment, run for real with bash in a sandbox."""

from pathlib import Path

from node_setup_sandbox import LLAMA_REQUIREMENTS, RELEASE, apt_subcommand
from node_setup_sandbox import sandbox, pins  # noqa: F401  (fixtures)

NEURON_INDEX = "https://pip.repos.neuron.amazonaws.com"
NXD_REPO = "https://github.com/aws-neuron/neuronx-distributed.git"


def pinned_requirements(pins: dict) -> list:
    return [
        f"torch=={pins['TORCH_VERSION']}",
        f"torch-neuronx=={pins['TORCH_NEURONX_VERSION']}",
        f"neuronx-cc=={pins['NEURONX_CC_VERSION']}",
        f"neuronx-distributed=={pins['NEURONX_DISTRIBUTED_VERSION']}",
    ]


def run_ok(sandbox, **env):
    result = sandbox.run("head", RELEASE, CPT_TEST_WATCH=sandbox.target, **env)
    assert result.returncode == 0, result.stderr + sandbox.log_text()
    return result


def build_dir(sandbox) -> Path:
    """The directory the environment was built in: the one `git clone` wrote to."""
    [clone] = sandbox.calls("git")
    return Path(clone[-1]).parent


def pip_installs(sandbox) -> list:
    """(pip path, arguments after 'install') of every pip call."""
    out = []
    for record in sandbox.records():
        if record["cmd"] == "pip":
            args = record["args"]
            out.append((record["argv0"], args[args.index("install") + 1 :]))
    return out


def test_builds_the_environment_next_to_its_place_on_shared_storage(sandbox):
    run_ok(sandbox)
    build = build_dir(sandbox)
    assert build.parent == sandbox.shared / "trainium-cpt"
    assert build.name.startswith(f"neuron-{RELEASE}.")
    assert sandbox.calls("python3") == [["-m", "venv", str(build / "venv")]]


def test_checks_out_neuronx_distributed_at_the_release_tag(sandbox, pins):
    run_ok(sandbox)
    build = build_dir(sandbox)
    assert sandbox.calls("git") == [
        [
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            pins["NXD_GIT_TAG"],
            NXD_REPO,
            str(build / "neuronx-distributed"),
        ]
    ]
    assert (sandbox.target / "neuronx-distributed" / LLAMA_REQUIREMENTS).is_file()


def test_installs_the_pinned_packages_from_the_neuron_index(sandbox, pins):
    run_ok(sandbox)
    build = build_dir(sandbox)
    (pip, packages), (pip_again, example) = pip_installs(sandbox)
    assert pip == pip_again == str(build / "venv" / "bin" / "pip")
    assert packages == ["--extra-index-url", NEURON_INDEX, *pinned_requirements(pins)]
    # Then the Llama example's requirements, with the pins as constraints so that nothing moves them.
    assert example == [
        "--extra-index-url",
        NEURON_INDEX,
        "-c",
        str(build / "constraints.txt"),
        "-r",
        str(build / "neuronx-distributed" / LLAMA_REQUIREMENTS),
    ]
    assert (build / "constraints.txt").read_text().splitlines() == pinned_requirements(pins)


def test_installs_python3_venv_and_git_first(sandbox):
    run_ok(sandbox)
    assert [apt_subcommand(a) for a in sandbox.calls("apt-get")] == [
        ["update"],
        ["install", "-y", "python3-venv", "git"],
    ]
    assert [r["cmd"] for r in sandbox.records()][:3] == ["apt-get", "apt-get", "git"]


def test_puts_the_environment_in_place_with_one_rename_at_the_end(sandbox, pins):
    run_ok(sandbox)
    build = build_dir(sandbox)
    # While anything was being installed, the target did not exist: no one can use a half-built environment.
    assert [r["watch_exists"] for r in sandbox.records()] == [False] * len(sandbox.records())
    # Then it appeared: a relative link to the finished build (relative, so it resolves wherever FSx is mounted).
    assert sandbox.target.is_symlink()
    assert Path(sandbox.target.readlink()) == Path(build.name)
    assert (sandbox.target / "venv" / "bin" / "pip").exists()
    assert sorted(p.name for p in sandbox.target.parent.iterdir()) == sorted(
        [build.name, sandbox.target.name, sandbox.state_file.name]
    )
    marker = sandbox.target / "installed.env"
    assert marker.read_text().splitlines() == [
        f"NEURON_RELEASE={RELEASE}",
        f"TORCH_VERSION={pins['TORCH_VERSION']}",
        f"TORCH_NEURONX_VERSION={pins['TORCH_NEURONX_VERSION']}",
        f"NEURONX_CC_VERSION={pins['NEURONX_CC_VERSION']}",
        f"NEURONX_DISTRIBUTED_VERSION={pins['NEURONX_DISTRIBUTED_VERSION']}",
        f"NXD_GIT_TAG={pins['NXD_GIT_TAG']}",
    ]


def test_installers_do_not_inherit_the_console(sandbox):
    run_ok(sandbox)
    assert {r["cmd"] for r in sandbox.records()} == {"apt-get", "git", "python3", "pip"}
    assert all(r["inherited_fds"] == [] for r in sandbox.records())


def test_a_second_run_is_a_no_op(sandbox):
    run_ok(sandbox)
    target_before = sandbox.target.readlink()
    listing_before = sorted(p.name for p in sandbox.target.parent.iterdir())
    sandbox.forget()

    result = run_ok(sandbox)

    assert sandbox.records() == []  # not one command: no apt-get, git, venv or pip
    assert "in place already" in result.stdout
    assert sandbox.target.readlink() == target_before
    assert sorted(p.name for p in sandbox.target.parent.iterdir()) == listing_before
    assert result.seconds < 10


def test_a_failed_build_leaves_no_environment_and_the_next_run_cleans_up(sandbox):
    result = sandbox.run("head", RELEASE, CPT_TEST_FAIL="pip:torch-neuronx", CPT_TEST_FAIL_CODE=2)
    message = "node-setup: step 'install torch-neuronx, neuronx-cc and neuronx-distributed' failed (exit 2)"
    assert result.returncode == 2
    assert message in result.stderr and message in sandbox.log_text()
    assert not sandbox.target.exists() and not sandbox.target.is_symlink()
    [unfinished] = [p for p in sandbox.target.parent.iterdir() if p != sandbox.state_file]
    sandbox.forget()

    run_ok(sandbox)

    assert not unfinished.exists()
    assert sorted(p.name for p in sandbox.target.parent.iterdir()) == sorted(
        [build_dir(sandbox).name, sandbox.target.name, sandbox.state_file.name]
    )


def test_a_failure_in_the_example_requirements_names_that_step(sandbox):
    result = sandbox.run("head", RELEASE, CPT_TEST_FAIL=f"pip:{LLAMA_REQUIREMENTS}")
    assert result.returncode == 1
    assert "node-setup: step 'install the requirements of the Llama training example' failed (exit 1)" in result.stderr
    assert not sandbox.target.exists()


def test_a_failed_checkout_names_its_step(sandbox, pins):
    result = sandbox.run("head", RELEASE, CPT_TEST_FAIL="git")
    assert result.returncode == 1
    assert f"node-setup: step 'check out neuronx-distributed {pins['NXD_GIT_TAG']}' failed (exit 1)" in result.stderr
    assert not sandbox.calls("pip")


def test_a_missing_shared_file_system_fails_before_installing(sandbox):
    result = sandbox.run("head", RELEASE, CPT_SHARED=sandbox.tmp / "not-mounted")
    assert result.returncode == 1
    assert "node-setup: step 'check the shared file system' failed (exit 1)" in result.stderr
    assert "is not mounted" in sandbox.log_text()
    assert sandbox.records() == []


def test_other_pins_under_the_same_release_build_anew_and_swap_the_link(sandbox):
    run_ok(sandbox)
    first = sandbox.target.resolve()
    marker = first / "installed.env"
    marker.write_text(marker.read_text().replace("NEURONX_CC_VERSION=", "NEURONX_CC_VERSION=0."))
    sandbox.forget()

    result = sandbox.run("head", RELEASE)

    assert result.returncode == 0, result.stderr
    second = sandbox.target.resolve()
    assert second != first and second.parent == first.parent
    # The finished build the link pointed to stays: jobs may still be running from it.
    assert first.is_dir()
    assert len(sandbox.calls("pip")) == 2
