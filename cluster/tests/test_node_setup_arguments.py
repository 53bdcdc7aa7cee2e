"""node-setup.sh's arguments and pins: bad ones fail with a usage message before anything is done; the copy the
CDK app uploads (pins written into the script) works on its own."""

import shutil
import subprocess
from pathlib import Path

import pytest

from node_setup_sandbox import PINS_DIR, RELEASE, SCRIPT, apt_subcommand, bundled_script, read_pins
from node_setup_sandbox import sandbox  # noqa: F401  (fixtures)

SHELLCHECK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "shellcheck"


def assert_nothing_done(sandbox, result):
    assert result.returncode == 2
    assert "usage: node-setup.sh ROLE RELEASE" in result.stderr
    assert result.stdout == ""
    assert sandbox.records() == []
    assert not sandbox.log.exists()
    assert not (sandbox.root / "var").exists()
    assert not (sandbox.shared / "trainium-cpt").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "expected 2 arguments (ROLE RELEASE), got 0"),
        (("compute",), "expected 2 arguments (ROLE RELEASE), got 1"),
        (("compute", RELEASE, "extra"), "expected 2 arguments (ROLE RELEASE), got 3"),
        (("login", RELEASE), "unknown role 'login': expected head or compute"),
        (("", RELEASE), "unknown role '': expected head or compute"),
        (("compute", "2.27.0"), "no tested pins for Neuron release 2.27.0"),
        (("head", "2.29.0"), "no tested pins for Neuron release 2.29.0"),
        (("compute", "../../etc/passwd"), "release '../../etc/passwd' is not a Neuron SDK version"),
        (("compute", "2.28"), "release '2.28' is not a Neuron SDK version"),
    ],
)
def test_bad_arguments_fail_with_usage_before_doing_anything(sandbox, args, message):
    result = sandbox.run(*args)
    assert f"node-setup: {message}" in result.stderr
    assert_nothing_done(sandbox, result)


def test_an_unknown_release_lists_the_tested_ones(sandbox):
    result = sandbox.run("compute", "2.27.0")
    tested = " ".join(sorted(p.stem for p in PINS_DIR.glob("*.env")))
    assert f"tested releases: {tested}\n" in result.stderr


def test_pins_missing_a_version_are_refused(sandbox, tmp_path):
    pins_dir = tmp_path / "pins"
    pins_dir.mkdir()
    text = (PINS_DIR / f"{RELEASE}.env").read_text()
    (pins_dir / f"{RELEASE}.env").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("NEURON_DKMS_VERSION="))
    )
    result = sandbox.run("compute", RELEASE, CPT_PINS_DIR=pins_dir, NEURON_DKMS_VERSION="9.9.9")
    assert "node-setup: the pins of Neuron release 2.28.1 lack NEURON_DKMS_VERSION" in result.stderr
    assert_nothing_done(sandbox, result)


def test_pins_of_another_release_are_refused(sandbox, tmp_path):
    pins_dir = tmp_path / "pins"
    pins_dir.mkdir()
    shutil.copy(PINS_DIR / f"{RELEASE}.env", pins_dir / "2.28.9.env")
    result = sandbox.run("compute", "2.28.9", CPT_PINS_DIR=pins_dir)
    assert "the pins of release 2.28.9 say NEURON_RELEASE=2.28.1" in result.stderr
    assert_nothing_done(sandbox, result)


@pytest.fixture()
def uploaded_copy(tmp_path) -> Path:
    """The script as the CDK app uploads it, alone in a folder (no neuron/ beside it)."""
    folder = tmp_path / "s3-download"
    folder.mkdir()
    copy = folder / "node-setup.sh"
    copy.write_text(bundled_script(RELEASE))
    return copy


def test_the_script_has_exactly_one_pins_line():
    lines = [line for line in SCRIPT.read_text().splitlines() if line.startswith("# @pins@")]
    assert len(lines) == 1


def test_the_uploaded_copy_installs_its_inlined_pins_without_the_pins_file(sandbox, uploaded_copy):
    pins = read_pins()
    result = sandbox.run("compute", RELEASE, script=uploaded_copy)
    assert result.returncode == 0, result.stderr
    [install] = [apt_subcommand(a) for a in sandbox.calls("apt-get") if "--allow-change-held-packages" in a]
    assert f"aws-neuronx-dkms={pins['NEURON_DKMS_VERSION']}" in install
    sandbox.forget()
    result = sandbox.run("head", RELEASE, script=uploaded_copy)
    assert result.returncode == 0, result.stderr
    assert f"torch-neuronx=={pins['TORCH_NEURONX_VERSION']}" in sandbox.calls("pip")[0]


def test_the_uploaded_copy_refuses_another_release(sandbox, uploaded_copy):
    result = sandbox.run("compute", "2.27.0", script=uploaded_copy)
    assert (
        "node-setup: this copy of node-setup.sh carries the pins of Neuron release 2.28.1, not 2.27.0" in result.stderr
    )
    assert_nothing_done(sandbox, result)


def test_the_uploaded_copy_is_shellcheck_clean(uploaded_copy):
    result = subprocess.run([str(SHELLCHECK), str(uploaded_copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
