"""A sandbox to run the real cluster/node-setup.sh with bash: a temporary CPT_ROOT, CPT_SHARED and CPT_LOG, and a
PATH whose first directory holds recorders in place of apt-get, apt-mark, curl, gpg, modprobe, sysctl, git,
python3, pip and uname. Each recorder appends {"cmd", "argv0", "args", ...} as one JSON line to a record file and
does the least the script needs (curl answers the instance metadata and writes a key, git clone makes the checkout,
python3 -m venv makes a venv whose bin/pip is a recorder too).

Knobs, as environment variables of a run:
  CPT_TEST_FAIL       comma-separated rules "cmd" or "cmd:text": the recorder of cmd exits non-zero when its
                      arguments, joined by spaces, contain text
  CPT_TEST_FAIL_CODE  that exit status (default 1)
  CPT_TEST_HANG       one rule "cmd:text": that recorder sleeps a minute (after writing RECORD.hanging)
  CPT_TEST_WATCH      a path: every record says whether it existed then ("watch_exists")
  CPT_TEST_WATCH_STATE  a JSON file (the head's state file): every record holds its content then ("state_seen",
                      None when it did not exist)
  CPT_TEST_IP, CPT_TEST_HOSTNAME, CPT_TEST_KERNEL  what the instance metadata and uname answer
  CPT_TEST_SQUEUE     what the fake squeue prints (its lines: "<job id> <reason> <comment>")

Slurm: by default CPT_SLURM_BIN is a folder that does not exist (no Slurm on the node); `sandbox.slurm_env()` gives
a folder with recorders of squeue and scontrol instead.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLUSTER = Path(__file__).resolve().parent.parent
ROOT = CLUSTER.parent
SCRIPT = CLUSTER / "node-setup.sh"
PINS_DIR = CLUSTER / "neuron"
RELEASE = "2.28.1"

HOSTNAME = "trn-dy-trn1n-32xlarge-1"
INSTANCE_IP = "10.1.2.3"
KERNEL = "5.15.0-1070-aws"
FAKE_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nnot a real key\n-----END PGP PUBLIC KEY BLOCK-----\n"
LLAMA_REQUIREMENTS = "examples/training/llama/requirements.txt"
FAKED = ["apt-get", "apt-mark", "curl", "gpg", "modprobe", "sysctl", "git", "python3", "pip", "uname"]
SLURM_FAKED = ["squeue", "scontrol"]
# Commands that install or download something: a second run must run none of them.
INSTALLING = {"apt-get", "apt-mark", "gpg", "git", "python3", "pip"}

RECORDER = r"""#!@PYTHON@
import json, os, sys
from pathlib import Path

# Descriptors above 2 inherited from the script (listed before this process opens any file of its own).
inherited = [fd for fd in range(3, 10) if os.path.exists(f"/proc/self/fd/{fd}")]
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
record = {"cmd": name, "argv0": sys.argv[0], "args": args, "inherited_fds": inherited}
if name == "apt-get":
    record["DEBIAN_FRONTEND"] = os.environ.get("DEBIAN_FRONTEND")
watch = os.environ.get("CPT_TEST_WATCH")
if watch:
    record["watch_exists"] = os.path.lexists(watch)
watch_state = os.environ.get("CPT_TEST_WATCH_STATE")
if watch_state:
    record["state_seen"] = json.loads(Path(watch_state).read_text()) if os.path.exists(watch_state) else None
with open(os.environ["CPT_TEST_RECORD"], "a", encoding="utf-8") as out:
    out.write(json.dumps(record) + "\n")

hang = os.environ.get("CPT_TEST_HANG", "")
if hang:
    cmd, _, text = hang.partition(":")
    if cmd == name and text in " ".join(args):
        Path(os.environ["CPT_TEST_RECORD"] + ".hanging").write_text(str(os.getpid()))
        __import__("time").sleep(60)

for rule in filter(None, os.environ.get("CPT_TEST_FAIL", "").split(",")):
    cmd, _, text = rule.partition(":")
    if cmd == name and text in " ".join(args):
        print(f"{name}: simulated failure", file=sys.stderr)
        sys.exit(int(os.environ.get("CPT_TEST_FAIL_CODE", "1")))

def value_of(flag):
    return args[args.index(flag) + 1]

if name == "squeue":
    print(os.environ.get("CPT_TEST_SQUEUE", ""), end="")
elif name == "curl":
    url = args[-1]
    if url.endswith("/latest/api/token"):
        print("TOKEN-123")
    elif url.endswith("/latest/meta-data/local-ipv4"):
        print(os.environ.get("CPT_TEST_IP", "@IP@"), end="")
    elif "-o" in args:
        Path(value_of("-o")).write_text(@KEY@)
elif name == "gpg":
    Path(value_of("--output")).write_text("dearmored:" + Path(args[-1]).read_text())
elif name == "uname":
    if "-r" in args:
        print(os.environ.get("CPT_TEST_KERNEL", "@KERNEL@"))
    elif "-n" in args:
        print(os.environ.get("CPT_TEST_HOSTNAME", "@HOSTNAME@"))
elif name == "git" and args[:1] == ["clone"]:
    requirements = Path(args[-1]) / "@LLAMA@"
    requirements.parent.mkdir(parents=True)
    requirements.write_text("transformers==4.48.0\ndatasets<=3.6.0\n")
elif name == "python3" and args[:2] == ["-m", "venv"]:
    bin_dir = Path(args[-1]) / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pip").symlink_to(os.path.realpath(sys.argv[0]))
    (bin_dir / "activate").write_text(f"VIRTUAL_ENV={args[-1]}\n")
    (Path(args[-1]) / "pyvenv.cfg").write_text("home = /usr/bin\n")
"""


def read_pins(path: Path = PINS_DIR / f"{RELEASE}.env") -> dict:
    """KEY=VALUE (or KEY='VALUE') assignments of a pins file, comments and blank lines left out."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(?:([^\s'\"]+)|'([^\s']+)')", line)
        assert match, f"{path.name}: not a plain assignment: {line!r}"
        pins[match.group(1)] = match.group(2) or match.group(3)
    return pins


def bundled_script(release: str = RELEASE) -> str:
    """The copy the CDK app uploads, made by the app's own code (lib/cluster/node-setup-script.ts, bundledScript)."""
    root = SCRIPT.parent.parent
    result = subprocess.run(
        [
            str(root / "node_modules" / ".bin" / "ts-node"),
            "--transpile-only",
            "-e",
            "process.stdout.write(require('./lib/cluster/node-setup-script').bundledScript(process.env.CPT_RELEASE))",
        ],
        cwd=root,
        env={**os.environ, "CPT_RELEASE": release},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def sandbox_env(bin_dir: Path, tmp: Path, values: dict) -> dict:
    """The whole environment of a script run in a sandbox `tmp` (shared with the training sandbox): its fakes in
    `bin_dir` first on PATH, HOME and TMPDIR inside the sandbox, a UTF-8 locale, then `values` as strings."""
    base = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp / "home"),
        "TMPDIR": str(tmp / "tmp"),
        "LANG": "C.UTF-8",
    }
    return {**base, **{key: str(value) for key, value in values.items()}}


def apt_subcommand(args: list) -> list:
    """apt-get's arguments without its global options (-q, -o NAME=VALUE)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-q":
            out.append(arg)
    return out


class Sandbox:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "root"
        self.shared = tmp / "shared"
        self.log = tmp / "log" / "node-setup.log"
        self.record = tmp / "record.jsonl"
        self.bin = tmp / "bin"
        for d in (self.root / "etc", self.shared, self.bin, tmp / "home", tmp / "tmp"):
            d.mkdir(parents=True, exist_ok=True)
        self.set_os("jammy")
        self.hosts.write_text("127.0.0.1 localhost\n")
        recorder = self.bin / "recorder.py"
        text = RECORDER.replace("@PYTHON@", sys.executable).replace("@IP@", INSTANCE_IP)
        text = text.replace("@KERNEL@", KERNEL).replace("@HOSTNAME@", HOSTNAME).replace("@LLAMA@", LLAMA_REQUIREMENTS)
        recorder.write_text(text.replace("@KEY@", repr(FAKE_KEY)))
        recorder.chmod(0o755)
        for name in FAKED:
            (self.bin / name).symlink_to(recorder)
        self.slurm_bin = tmp / "slurm-bin"
        self.slurm_bin.mkdir()
        for name in SLURM_FAKED:
            (self.slurm_bin / name).symlink_to(recorder)

    @property
    def hosts(self) -> Path:
        return self.root / "etc" / "hosts"

    @property
    def target(self) -> Path:
        return self.shared / "trainium-cpt" / f"neuron-{RELEASE}"

    @property
    def state_file(self) -> Path:
        """The head's record of the build, for the training chain."""
        return self.shared / "trainium-cpt" / f"neuron-{RELEASE}.state.json"

    def state(self) -> dict | None:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else None

    def slurm_env(self, squeue: str = "") -> dict:
        """The environment of a run on a node with Slurm: recorders of squeue (printing `squeue`) and scontrol."""
        return {"CPT_SLURM_BIN": self.slurm_bin, "CPT_TEST_SQUEUE": squeue}

    def set_os(self, codename: str) -> None:
        (self.root / "etc" / "os-release").write_text(
            f'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME={codename}\nID=ubuntu\n'
        )

    def env(self, **extra) -> dict:
        values = {
            "CPT_ROOT": self.root,
            "CPT_SHARED": self.shared,
            "CPT_LOG": self.log,
            "CPT_TEST_RECORD": self.record,
            "CPT_SLURM_BIN": self.tmp / "no-slurm",
        }
        return sandbox_env(self.bin, self.tmp, {**values, **extra})

    def run(self, *args: str, script: Path = SCRIPT, **extra) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = subprocess.run(
            ["bash", str(script), *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.tmp,
        )
        result.seconds = time.monotonic() - started
        return result

    def records(self) -> list:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines()]

    def calls(self, cmd: str) -> list:
        return [r["args"] for r in self.records() if r["cmd"] == cmd]

    def forget(self) -> None:
        """Start a new record (between two runs)."""
        self.record.unlink(missing_ok=True)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""


# Fixtures, imported by the test modules. (No conftest.py here: glue/tests imports its own as `conftest`, and a
# second module of that name on sys.path would shadow it when pytest runs both folders.)
@pytest.fixture()
def sandbox(tmp_path) -> Sandbox:
    return Sandbox(tmp_path)


@pytest.fixture(scope="session")
def pins() -> dict:
    return read_pins()
