"""The pins files, cluster/neuron/<release>.env: complete, well-formed, sourced, and safe to write into the script."""

import re
import subprocess

import pytest

from node_setup_sandbox import PINS_DIR, read_pins

PIN_VARS = [
    "NEURON_RELEASE",
    "NEURON_DKMS_VERSION",
    "NEURON_COLLECTIVES_VERSION",
    "NEURON_RUNTIME_LIB_VERSION",
    "NEURON_TOOLS_VERSION",
    "TORCH_NEURONX_VERSION",
    "NEURONX_CC_VERSION",
    "NEURONX_DISTRIBUTED_VERSION",
    "TORCH_VERSION",
    "NXD_GIT_TAG",
]
APT_PINS = {  # the variable of each Debian package node-setup.sh installs as name=version
    "aws-neuronx-dkms": "NEURON_DKMS_VERSION",
    "aws-neuronx-collectives": "NEURON_COLLECTIVES_VERSION",
    "aws-neuronx-runtime-lib": "NEURON_RUNTIME_LIB_VERSION",
    "aws-neuronx-tools": "NEURON_TOOLS_VERSION",
}
# The rule of the pins file: the exact repository string, upstream version and build revision, where an Amazon source
# shows it; otherwise Neuron's own form, the whole four-part upstream version and apt's prefix `*`. Never a plain
# upstream version (apt misses it once the repository's version has a revision) nor a shorter prefix (`2.26.10*` also
# takes 2.26.100.0).
APT_PIN = re.compile(r"(?P<upstream>2\.\d+\.\d+\.\d+)(?P<exact>-[0-9a-f]+)?(?P<prefix>\*)?")
COMMIT_URL = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+")
RELEASE_FILES = sorted(PINS_DIR.glob("*.env"))


def test_there_is_one_tested_release():
    assert [p.name for p in RELEASE_FILES] == ["2.28.1.env"]


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
def test_every_pin_is_there_and_well_formed(path):
    pins = read_pins(path)
    assert sorted(pins) == sorted(PIN_VARS)
    assert pins["NEURON_RELEASE"] == path.stem
    for var in APT_PINS.values():
        match = APT_PIN.fullmatch(pins[var])
        assert match and bool(match["exact"]) != bool(match["prefix"]), f"{var}={pins[var]}: no rule form"
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


def comments_above(path, var):
    """The comment lines above the run of assignments that includes var's."""
    block, above, after_comment = [], {}, False
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            block = block + [line] if after_comment else [line]
            after_comment = True
        elif line.strip():
            above[line.split("=", 1)[0]] = block
            after_comment = False
    return above[var]


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("package", APT_PINS)
def test_each_apt_pin_quotes_what_neuron_pins_and_its_source(path, package):
    """Its comments quote the `name=X.Y.Z.W*` Neuron's own install-command generator prints for the release, next to a
    source at a commit; an exact pin also quotes its exact string, as the source at a commit writes it."""
    value = read_pins(path)[APT_PINS[package]]
    upstream = APT_PIN.fullmatch(value)["upstream"]
    comments = "\n".join(comments_above(path, APT_PINS[package]))
    assert f"`{package}={upstream}*`" in comments
    assert COMMIT_URL.search(comments)
    if not value.endswith("*"):
        assert f"={value}" in comments
    text = path.read_text()
    assert re.search(
        r"https://github\.com/aws-neuron/aws-neuron-sdk/blob/[0-9a-f]{40}/src/helperscripts/n2-helper\.py", text
    )
    assert re.search(r"https://github\.com/Debian/apt/blob/[0-9a-f]{40}/apt-pkg/versionmatch\.cc", text)


def test_a_wildcard_value_is_single_quoted_in_the_file():
    """shellcheck (SC2125) flags a bare glob in an assignment, and the uploaded script carries these lines."""
    for path in RELEASE_FILES:
        for line in path.read_text().splitlines():
            if "*" in line and not line.startswith("#"):
                assert re.fullmatch(r"[A-Z_]+='[^'*]+\*'", line), line


@pytest.mark.parametrize("path", RELEASE_FILES, ids=lambda p: p.name)
def test_apt_get_takes_each_pin_as_the_rule_says(path, tmp_path):
    """apt-get install --simulate against a local repository: `X.Y.Z.W*` takes X.Y.Z.W with or without a revision and
    no other version; an exact pin takes just its string; a plain X.Y.Z.W misses a revised build."""

    def decoys(upstream):  # a version a shorter prefix would match, and a higher one
        a, b, c, _ = upstream.split(".")
        return [f"{a}.{b}.{c}0.0", f"{a}.{int(b) + 1}.0.0"]

    repo = {}  # package -> versions
    expect = {}  # name=pin -> version apt must choose (None: must refuse)
    for package, var in APT_PINS.items():
        pin = read_pins(path)[var]
        upstream = APT_PIN.fullmatch(pin)["upstream"]
        if pin.endswith("*"):
            repo[f"{package}-plain"] = [upstream, *decoys(upstream)]
            repo[f"{package}-revised"] = [f"{upstream}-0a1b2c3d4", *decoys(upstream)]
            expect[f"{package}-plain={pin}"] = upstream
            expect[f"{package}-revised={pin}"] = f"{upstream}-0a1b2c3d4"
            expect[f"{package}-revised={upstream}"] = None
        else:
            repo[package] = [pin, f"{upstream}-fffffffff", upstream, *decoys(upstream)]
            expect[f"{package}={pin}"] = pin
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "Packages").write_text(
        "".join(
            f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: t <t@example.com>\n"
            f"Filename: ./{name}_{version}_all.deb\nSize: 1\nDescription: test\n\n"
            for name, versions in repo.items()
            for version in versions
        )
    )
    (tmp_path / "sources.list").write_text(f"deb [trusted=yes] file:{tmp_path / 'repo'} ./\n")
    (tmp_path / "status").write_text("")
    for sub in ["lists/partial", "cache/archives/partial"]:
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "apt.conf").write_text(
        "".join(
            f'{key} "{value}";\n'
            for key, value in {
                "Dir::Etc::sourcelist": tmp_path / "sources.list",
                "Dir::Etc::sourceparts": "-",
                "Dir::Etc::preferencesparts": "-",
                "Dir::State::Lists": tmp_path / "lists",
                "Dir::State::status": tmp_path / "status",
                "Dir::Cache": tmp_path / "cache",
                "Debug::NoLocking": "1",
            }.items()
        )
    )
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "APT_CONFIG": str(tmp_path / "apt.conf"), "LC_ALL": "C"}
    subprocess.run(["apt-get", "-q", "update"], env=env, capture_output=True, text=True, check=True)
    for spec, version in expect.items():
        out = subprocess.run(["apt-get", "-q", "-s", "install", spec], env=env, capture_output=True, text=True)
        chosen = re.findall(r"^Inst (\S+) \((\S+) ", out.stdout, re.M)
        assert chosen == ([(spec.split("=")[0], version)] if version else []), (spec, out.stdout, out.stderr)
        assert (out.returncode == 0) == (version is not None), (spec, out.stderr)
