"""The pins files, cluster/neuron/<release>.env: complete, well-formed, sourced, and safe to write into the script."""
import re
import subprocess

import pytest

from node_setup_sandbox import PINS_DIR, read_pins

PIN_VARS = [
    "NEURON_RELEASE", "NEURON_DKMS_VERSION", "NEURON_COLLECTIVES_VERSION", "NEURON_RUNTIME_LIB_VERSION",
    "NEURON_TOOLS_VERSION", "TORCH_NEURONX_VERSION", "NEURONX_CC_VERSION", "NEURONX_DISTRIBUTED_VERSION",
    "TORCH_VERSION", "NXD_GIT_TAG",
]
DEBIAN_VERSION = r"2\.\d+\.\d+\.\d+(-[0-9a-f]+)?"  # upstream version, then the repository's build revision if any
RELEASE_FILES = sorted(PINS_DIR.glob("*.env"))


def test_there_is_one_tested_release():
    assert [p.name for p in RELEASE_FILES] == ["2.28.1.env"]


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
def test_every_pin_is_there_and_well_formed(path):
    pins = read_pins(path)
    assert sorted(pins) == sorted(PIN_VARS)
    assert pins["NEURON_RELEASE"] == path.stem
    for var in ["NEURON_DKMS_VERSION", "NEURON_COLLECTIVES_VERSION", "NEURON_RUNTIME_LIB_VERSION", "NEURON_TOOLS_VERSION"]:
        assert re.fullmatch(DEBIAN_VERSION, pins[var]), var
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+\.\d+\.\d+", pins["TORCH_NEURONX_VERSION"])
    # torch-neuronx A.B.C.x is built for torch A.B.C
    assert pins["TORCH_NEURONX_VERSION"].startswith(pins["TORCH_VERSION"] + ".")
    assert re.fullmatch(r"2\.\d+\.\d+\.\d+", pins["NEURONX_CC_VERSION"])
    assert re.fullmatch(r"0\.\d+\.\d+", pins["NEURONX_DISTRIBUTED_VERSION"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", pins["NXD_GIT_TAG"])


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
def test_bash_reads_the_same_values(path):
    script = f'set -eu; . "{path}"; ' + "; ".join(f'printf "%s=%s\\n" {v} "${v}"' for v in PIN_VARS)
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, env={}).stdout
    assert dict(line.split("=", 1) for line in out.splitlines()) == read_pins(path)


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
def test_every_version_says_where_it_comes_from(path):
    """Each block of assignments follows comments that give at least one https source."""
    block_comments, sources_seen = [], True
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            block_comments.append(line)
        elif line.strip():
            if block_comments:
                sources_seen = any("https://" in c for c in block_comments)
                block_comments = []
            assert sources_seen, f"{path.name}: {line} has no source URL in the comments above it"
