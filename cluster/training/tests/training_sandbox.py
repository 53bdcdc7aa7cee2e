"""A sandbox to run cluster/training/cpt-run.sh and its stage scripts for real, with real Slurm daemons on loopback
(scripts/slurm-env.sh), and the Neuron tools replaced by fakes that record what they were given.

Layout of one sandbox (a temporary directory):
  fsx/                                   CPT_FSX: /fsx of the scripts
    trainium-cpt/neuron-2.28.1           the Neuron environment at its default place, laid out as node-setup.sh
                                         builds it: a link to neuron-2.28.1.<time>.<pid>/ with installed.env,
    trainium-cpt/neuron-2.28.1/venv/bin/ python3, torchrun and neuron_parallel_compile (fakes),
    trainium-cpt/neuron-2.28.1/neuronx-distributed/examples/training/llama/   and the files the scripts name: the
                                         example's training script is a stand-in made of the preimage of
                                         nxd-pretrain.patch (its hunks' context and removed lines), which the
                                         patch applies to; the fake torchrun (fake_torchrun.py) runs the patched copy
    trainium-cpt/neuron-2.28.1.state.json  node-setup.sh's record of the build (none by default: an environment
                                         built before builds were recorded; see set_neuron)
    datasets/pubmed/attempt-1/{train,eval_domain,eval_general}               load_from_disk-shaped folders
  bin/aws                                a fake AWS CLI (Secrets Manager answers a token; s3 cp copies into s3/,
                                         reading past --exclude and --content-type and their values)
  bin/neuron-ls, bin/nccom-test          fakes of aws-neuronx-tools (CPT_NEURON_TOOLS): neuron-ls --json-output lists
                                         the 16 devices of a trn1.32xlarge; nccom-test prints a result table
  s3/<bucket>/<key>                      what the fake `aws s3 cp` uploaded
  record.jsonl                           one JSON line per fake call: tool, argv, cwd, environment, findings

The Neuron environment's knob: Sandbox(..., neuron=STATE) or sandbox.set_neuron(STATE) with STATE ready (the
link in place), building or failed (no link, and the record node-setup.sh writes then) or not-started (neither);
sandbox.finish_neuron_build() puts the link in place and runs the real node-setup.sh head, which finds the
environment in place, records it ready and releases the jobs held for it on the sandbox's Slurm.

Knobs, as environment variables of a submission (Slurm hands the submitter's environment to the jobs):
  CPT_FAKE_FAIL             comma-separated fake names (torchrun, neuron_parallel_compile, convert_checkpoints.py,
                            hf_checkpoint.py, evaluate_perplexity.py, aws, nccom-test) that exit 1; NAME@STAGE only
                            in that stage's job (its job name cpt-<run>-<stage>), NAME@STAGE.R only on its attempt
                            with SLURM_RESTART_COUNT R (unset counts as 0), NAME@STAGE.R.N only on the N-th call of
                            NAME in that attempt (from 1). neuron-ls "fails" by listing 15 devices.
  CPT_FAKE_TRAIN_SLEEP      seconds the fake torchrun sleeps after writing each checkpoint, first attempt only
  CPT_FAKE_HF_TOKEN         what the fake Secrets Manager answers
"""

import base64
import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TRAINING = TESTS.parent
REPO = TRAINING.parent.parent
CPT_RUN = TRAINING / "cpt-run.sh"
SLURM_ENV = REPO / "scripts" / "slurm-env.sh"
NODE_SETUP = REPO / "cluster" / "node-setup.sh"
sys.path.insert(0, str(REPO / "cluster" / "tests"))
from node_setup_sandbox import read_pins, sandbox_env  # noqa: E402  (the node set-up tests' pins parser and env)

RELEASE = "2.28.1"
# What the TypeScript side generates (npm run request-schema): probes of the request's JSON Schema, the first valid
# submit request among them the default (seed) one.
PROBES = TESTS / "fixtures" / "request-probes.json"
# Also the TypeScript side's: `derived` (lib/run/derive.ts requestDerived) for many valid shapes, derive()'s check.
DERIVED_SHAPES = TESTS / "fixtures" / "derived-shapes.json"
TORCH_STEP = "install torch-neuronx, neuronx-cc and neuronx-distributed"
# What node-setup.sh head writes to the build's installed.env (head_marker_content): the keys of its pins.
MARKER_KEYS = (
    "NEURON_RELEASE",
    "TORCH_VERSION",
    "TORCH_NEURONX_VERSION",
    "NEURONX_CC_VERSION",
    "NEURONX_DISTRIBUTED_VERSION",
    "NXD_GIT_TAG",
)
# Commands node-setup.sh would build with: the sandbox's run of it must find the environment in place and run none.
BUILD_COMMANDS = ("apt-get", "apt-mark", "curl", "gpg", "git", "python3", "pip", "modprobe", "sysctl")
SLURM_BIN = "/usr/bin"
# The user the jobs run as (cpt-run.sh CPT_JOB_USER; ubuntu on the cluster): an unprivileged one of every Debian and
# Ubuntu system. What it runs must be readable by it: the sandboxes live in folders it may enter (world_enterable)
# and the fakes run with the system's Python, not this virtual environment's (which may sit in root's home).
JOB_USER = "nobody"
JOB_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
TERMINAL = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
    "STOPPED_FOR_BLOCK_END",  # cpt's own: a train job that stopped for stopBy (cpt/slurm.py)
}
STAGES = ("prepare", "compile", "train", "export", "evaluate")

# examples/training/llama/tp_zero1_llama_hf_pretrain/7B_config_llama2/config.json at tag v2.28.0 of
# aws-neuron/neuronx-distributed (the shape keys; the prepare stage compares the downloaded config with it).
NXD_7B_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 4096,
    "initializer_range": 0.02,
    "intermediate_size": 11008,
    "max_position_embeddings": 2048,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "pad_token_id": 0,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.31.0",
    "use_cache": True,
    "vocab_size": 32000,
    "sequence_parallel_enabled": False,
    "selective_checkpoint_enabled": False,
}
# The Hub's meta-llama/Llama-2-7b-hf config.json (what the fake download writes).
HUB_7B_CONFIG = {
    **NXD_7B_CONFIG,
    "max_position_embeddings": 4096,
    "torch_dtype": "float16",
    "transformers_version": "4.32.0.dev0",
}

FAKE = r'''#!@PYTHON@
"""Fake of a Neuron tool (by the name it is called with): records, then does the least the stage scripts need."""
import functools, json, os, re, shutil, sys, time
from pathlib import Path

name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
FAKED_SCRIPTS = ("convert_checkpoints.py", "hf_checkpoint.py", "evaluate_perplexity.py")
if name.startswith("python"):
    if not args or os.path.basename(args[0]) not in FAKED_SCRIPTS:
        os.execv(@REAL_PYTHON@, [@REAL_PYTHON@, *args])
    name, args = os.path.basename(args[0]), args[1:]
record = {"tool": name, "argv": args, "cwd": os.getcwd(), "env": dict(os.environ), "time": time.time(),
          "uid": os.getuid()}

def value(flag, default=None):
    return args[args.index(flag) + 1] if flag in args else default

def emit(**extra):
    with open(os.environ["CPT_TEST_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps({**record, **extra}) + "\n")

def completed(directory):
    steps = []
    if os.path.isdir(directory):
        for entry in os.listdir(directory):
            m = re.fullmatch(r"step_(\d+)", entry)
            if m and os.path.isfile(os.path.join(directory, entry, "done")):
                steps.append(int(m.group(1)))
    return sorted(steps)

@functools.cache  # one answer a call: the call's number counts the records made before it
def fails(tool):
    """CPT_FAKE_FAIL names `tool` for this job: NAME, NAME@STAGE, NAME@STAGE.RESTART or NAME@STAGE.RESTART.CALL
    (see training_sandbox.py)."""
    stage = os.environ.get("SLURM_JOB_NAME", "").rsplit("-", 1)[-1]
    restart = os.environ.get("SLURM_RESTART_COUNT") or "0"
    entries = os.environ.get("CPT_FAKE_FAIL", "").split(",")
    if any(entry in {tool, f"{tool}@{stage}", f"{tool}@{stage}.{restart}"} for entry in entries):
        return True
    prefix = f"{tool}@{stage}.{restart}."
    if not any(entry.startswith(prefix) for entry in entries):
        return False
    # This call's number in the attempt: the calls recorded before it (each records one start or fail), plus one.
    job = os.environ.get("SLURM_JOB_ID")
    path = Path(os.environ["CPT_TEST_RECORD"])
    earlier = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    call = 1 + sum(1 for r in earlier if r["tool"] == tool and r.get("event") in ("start", "fail")
                   and r["env"].get("SLURM_JOB_ID") == job and (r["env"].get("SLURM_RESTART_COUNT") or "0") == restart)
    return f"{prefix}{call}" in entries

if name == "torchrun":
    import runpy
    runpy.run_path(@FAKE_TORCHRUN@, init_globals={"args": args, "record": record, "emit": emit, "fails": fails,
                                                  "completed": completed}, run_name="__main__")
    sys.exit(0)
if fails(name) and name != "neuron-ls":
    emit(event="fail")
    print(f"{name}: simulated failure", file=sys.stderr)
    sys.exit(1)
emit(event="start")

if name == "neuron_parallel_compile":
    os.environ["NEURON_EXTRACT_GRAPHS_ONLY"] = "1"
    os.execvp(args[0], args)
elif name == "neuron-ls":
    # neuron-ls --json-output on a trn1.32xlarge: 16 devices of 2 NeuronCores (tools/neuron-sys-tools/neuron-ls.rst,
    # aws-neuron-sdk v2.28.1, shows the fields on a trn2); a failing node lists one device fewer.
    assert args == ["--json-output"], args
    count = 15 if fails(name) else 16
    devices = [{"neuron_device": d, "bdf": f"{0x10 + d:02x}:1e.0", "connected_to": [(d + 15) % 16, (d + 1) % 16],
                "nc_count": 2, "memory_size": 34359738368, "neuroncore_ids": [2 * d, 2 * d + 1],
                "neuron_processes": []} for d in range(count)]
    print(json.dumps(devices, indent=4))
elif name == "nccom-test":
    ranks = int(value("-r"))
    print("     size(B)    count(elems)     type    time(us)    algbw(GB/s)    busbw(GB/s)")
    print(f"    33554432        33554432    uint8         768          40.69          40.69   ({ranks} ranks)")
    print("Avg bus bandwidth:      40.6901GB/s")
elif name == "convert_checkpoints.py":
    # Replays the real converter's recordings (fake_converter.py, fixtures/nxd-*.json); exits as it does.
    os.execv(@REAL_PYTHON@, [@REAL_PYTHON@, @FAKE_CONVERTER@, *args])
elif name == "hf_checkpoint.py":
    command = args[0]
    if command == "download":
        dest = Path(value("--dest"))
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "config.json").write_text(os.environ["CPT_FAKE_HUB_CONFIG"])
        (dest / "tokenizer.json").write_text("{}")
        (dest / "model-00001-of-00002.safetensors").write_text("weights")
    elif command == "full-state":
        Path(value("--out")).write_text(f"state dict of {value('--model-dir')}\n")
    elif command == "to-hf":
        out = Path(value("--out"))
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(Path(value("--base-dir"), "config.json").read_text())
        (out / "model.safetensors").write_text(Path(value("--full")).read_text())
elif name == "evaluate_perplexity.py":
    model = value("--model-dir")
    step = int(re.search(r"step_(\d+)", model).group(1)) if "step_" in model else 0
    sets = {}
    for i, arg in enumerate(args):
        if arg == "--eval":
            set_name, _, path = args[i + 1].partition("=")
            ppl = 8.0 - step / 10 if set_name == "domain" else 6.0 + step / 100
            sets[set_name] = {"path": path, "rows": int(value("--max-rows")), "tokens": 4095 * int(value("--max-rows")),
                              "meanNll": __import__("math").log(ppl), "perplexity": ppl, "seconds": 0.1}
    Path(value("--output")).write_text(json.dumps({"model": model, "device": "cpu", "dtype": "bfloat16", "sets": sets}))
elif name == "aws":
    if args[:2] == ["secretsmanager", "get-secret-value"]:
        print(os.environ.get("CPT_FAKE_HF_TOKEN", "hf_faketoken"))
    elif args[:2] == ["s3", "cp"]:
        positional, rest = [], iter(args[2:])
        for arg in rest:
            if arg in ("--exclude", "--content-type"):
                next(rest)
            elif not arg.startswith("--"):
                positional.append(arg)
        source, target = positional
        assert target.startswith("s3://"), target
        dest = Path(os.environ["CPT_TEST_S3"]) / target[len("s3://"):]
        if "--recursive" in args:
            for path in Path(source).rglob("*"):
                if path.is_file() and path.name != ".complete":
                    (dest / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, dest / path.relative_to(source))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, dest)
'''


OFFLINE_SLURM = r'''#!@PYTHON@
"""Recorder of a Slurm command (no daemon): sbatch answers job ids 101, 102, ... (fails at the
CPT_TEST_SBATCH_FAIL_AT-th call when set); `scontrol show job -o ID` says PENDING, held (JobHeldUser) if it was
submitted with --hold and not released since."""
import json, os, sys
from pathlib import Path

name = os.path.basename(sys.argv[0])
record = Path(os.environ["CPT_TEST_SLURM_RECORD"])
with record.open("a") as f:
    f.write(json.dumps([name, *sys.argv[1:]]) + "\n")
if name == "scontrol" and sys.argv[1:3] == ["show", "job"]:
    job = sys.argv[-1]
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    submitted = [c for c in calls if c[0] == "sbatch"]
    held = any(str(100 + i) == job and "--hold" in c for i, c in enumerate(submitted, 1)) and not any(
        c[:2] == ["scontrol", "release"] and job in c[2:] for c in calls)
    print(f"JobId={job} JobName=x JobState=PENDING Reason={'JobHeldUser' if held else 'None'} Dependency=(null)")
if name == "sbatch":
    count = sum(1 for line in record.read_text().splitlines() if json.loads(line)[0] == "sbatch")
    if str(count) == os.environ.get("CPT_TEST_SBATCH_FAIL_AT"):
        print("sbatch: error: Batch job submission failed: Invalid partition name specified", file=sys.stderr)
        sys.exit(1)
    print(f"{100 + count};loopback" if os.environ.get("CPT_TEST_SBATCH_CLUSTER") else 100 + count)
'''


def seed_request() -> dict:
    """The default (seed) submit request of the probes file: valid, every field there, `derived` included."""
    probes = json.loads(PROBES.read_text())
    return next(probe["request"] for probe in probes if probe["action"] == "submit" and probe["valid"])


def derive(request: dict) -> dict:
    """`derived` for the shape of `request`, as lib/run/derive.ts (TypeScript) derives it: the tests' runs are far
    smaller than the seed's. The constants (NeuronCores and devices per node, the logging interval) are the seed's.
    The tests' oracle only: test_training_request.py holds it to the seed's own `derived` and to TypeScript's on
    every shape of DERIVED_SHAPES (those the tests submit among them)."""
    constants = seed_request()["derived"]
    data_parallel = request["nodes"] * constants["coresPerNode"] // request["tensorParallel"]
    steps, warmup = request["steps"], request["warmupSteps"]
    ratio = request["minLearningRate"] / request["learningRate"]
    decay = steps - warmup
    schedule = steps if ratio == 0 or decay == 0 else warmup + max(decay, round(decay / (1 - ratio)))
    return {
        **constants,
        "dataParallel": data_parallel,
        "gradientAccumulation": request["globalBatch"] // (data_parallel * request["microBatch"]),
        "scheduleSteps": schedule,
        "tokensPerStep": request["globalBatch"] * request["sequenceLength"],
    }


def with_derived(request: dict, **overrides) -> dict:
    """`request` with `overrides`, and `derived` computed for the result unless an override gives it (or, when an
    override makes that impossible, such as nodes 0, for `request`)."""
    changed = {**request, **overrides}
    if "derived" not in overrides:
        try:
            changed["derived"] = derive(changed)
        except (TypeError, ArithmeticError):
            changed["derived"] = derive(request)
    return changed


def submit_request(run: str, fields: dict, overrides: dict) -> dict:
    """A submit request of the current version for `run`: `fields`, then `overrides` (any field, run and version
    too), with `derived` (with_derived)."""
    return with_derived({"version": seed_request()["version"], "run": run, **fields}, **overrides)


def run_request(run: str) -> dict:
    """A status or cancel request."""
    return {"version": seed_request()["version"], "run": run}


def report_uploads(report_dir: Path, run: str) -> list:
    """The evaluate stage's uploads of the run's report (argv of `aws s3 cp`): the JSON, then the page as text/html."""
    copy, target = ["s3", "cp", "--only-show-errors"], f"s3://ckpt-bucket/reports/{run}"
    return [
        [*copy, f"{report_dir}/perplexity.json", f"{target}/perplexity.json"],
        [*copy, "--content-type", "text/html", f"{report_dir}/report.html", f"{target}/report.html"],
    ]


def patch_preimage(patch: Path) -> str:
    """What a unified diff applies to, as far as it shows it: the context and removed lines of each hunk, in order,
    one filler line between hunks (patch finds a hunk at an offset from the line its header names). Never the real
    example's text beyond what the patch quotes."""
    lines, in_hunk = [], False
    for text in patch.read_text().splitlines():
        if text.startswith("@@"):
            if in_hunk:
                lines.append("# (stand-in: the lines between two hunks of nxd-pretrain.patch)")
            in_hunk = True
        elif in_hunk and text[:1] in (" ", "-"):
            lines.append(text[1:])
        elif in_hunk and text == "":
            lines.append("")
    return "\n".join(lines) + "\n"


class Result:
    def __init__(self, completed: subprocess.CompletedProcess):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        lines = completed.stdout.splitlines()
        self.lines = lines
        self.json = json.loads(lines[0]) if len(lines) == 1 else None

    def __repr__(self):
        return f"Result(rc={self.returncode}, stdout={self.stdout!r}, stderr={self.stderr[-3000:]!r})"


def encode(request) -> str:
    text = request if isinstance(request, str) else json.dumps(request)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Sandbox:
    def __init__(self, tmp: Path, slurm_conf: str | None, neuron: str = "ready"):
        self.tmp = tmp
        self.slurm_conf = slurm_conf
        self.fsx = tmp / "fsx"
        self.bin = tmp / "bin"
        self.s3 = tmp / "s3"
        self.record = tmp / "record.jsonl"
        self.neuron = self.fsx / "trainium-cpt" / f"neuron-{RELEASE}"
        self.neuron_build = self.fsx / "trainium-cpt" / f"neuron-{RELEASE}.20260101T000000Z.4242"
        self.neuron_state_file = self.fsx / "trainium-cpt" / f"neuron-{RELEASE}.state.json"
        self.node_setup_log = tmp / "node-setup.log"
        self.venv = self.neuron / "venv"
        self.llama = self.neuron / "neuronx-distributed" / "examples" / "training" / "llama"
        build_llama = self.neuron_build / "neuronx-distributed" / "examples" / "training" / "llama"
        for d in (self.bin, self.neuron_build / "venv" / "bin", self.s3, tmp / "tmp", tmp / "home"):
            d.mkdir(parents=True, exist_ok=True)
        # What the fakes write as the jobs' user: the record, the fake S3, the temporary and home folders.
        self.record.touch()
        self.record.chmod(0o666)
        for d in (self.s3, tmp / "tmp", tmp / "home"):
            d.chmod(0o1777)
        fake = self.bin / "fake.py"
        fake.write_text(
            FAKE.replace("@PYTHON@", JOB_PYTHON)
            .replace("@REAL_PYTHON@", repr(JOB_PYTHON))
            .replace("@FAKE_TORCHRUN@", repr(str(TESTS / "fake_torchrun.py")))
            .replace("@FAKE_CONVERTER@", repr(str(TESTS / "fake_converter.py")))
        )
        fake.chmod(0o755)
        (self.bin / "aws").symlink_to(fake)
        self.neuron_tools = tmp / "neuron-tools"
        self.neuron_tools.mkdir()
        for name in ("neuron-ls", "nccom-test"):
            (self.neuron_tools / name).symlink_to(fake)
        for name in ("python3", "torchrun", "neuron_parallel_compile"):
            (self.neuron_build / "venv" / "bin" / name).symlink_to(fake)
        example = build_llama / "tp_zero1_llama_hf_pretrain"
        (example / "7B_config_llama2").mkdir(parents=True)
        (example / "7B_config_llama2" / "config.json").write_text(json.dumps(NXD_7B_CONFIG, indent=2))
        (example / "tp_zero1_llama_hf_pretrain.py").write_text(patch_preimage(TRAINING / "nxd-pretrain.patch"))
        # The modules the example imports (the fake torchrun looks for them through PYTHONPATH).
        (example / "logger.py").write_text("# stand-in\n")
        for module in ("modeling_llama_nxd.py", "training_utils.py"):
            (build_llama / module).write_text("# stand-in\n")
        (build_llama / "convert_checkpoints.py").write_text("# stand-in: the fake python3 never runs it\n")
        pins = read_pins()
        (self.neuron_build / "installed.env").write_text("\n".join(f"{k}={pins[k]}" for k in MARKER_KEYS) + "\n")
        for name in ("train", "eval_domain", "eval_general"):
            self.make_dataset(self.fsx / "datasets" / "pubmed" / "attempt-1" / name)
        self.set_neuron(neuron)

    def set_neuron(self, state: str, step: str = TORCH_STEP, exit_code: int = 2, started: str | None = None) -> None:
        """The Neuron environment as node-setup.sh leaves it: ready (the link; no record, as an environment built
        before builds were recorded), building or failed at `step` (no link; its record), not-started (neither)."""
        if state not in ("ready", "building", "failed", "not-started"):
            raise ValueError(f"unknown Neuron environment state {state!r}")
        self.neuron.unlink(missing_ok=True)
        self.neuron_state_file.unlink(missing_ok=True)
        if state == "ready":
            self.neuron.symlink_to(self.neuron_build.name)
        elif state != "not-started":
            # A build under way started minutes ago (cpt/neuron.py reports one older than the service allows as failed).
            if started is None:
                started = (
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 300))
                    if state == "building"
                    else "2026-01-01T11:58:00Z"
                )
            record = {
                "release": RELEASE,
                "state": state,
                "step": step,
                "since": "2026-01-01T12:03:00Z",
                "started": started,
                "log": "/var/log/trainium-cpt/node-setup.log",
                "exitCode": exit_code if state == "failed" else None,
                "message": f"node-setup: step '{step}' failed (exit {exit_code})" if state == "failed" else None,
            }
            self.neuron_state_file.write_text(json.dumps(record) + "\n")

    def finish_neuron_build(self) -> subprocess.CompletedProcess:
        """The end of node-setup.sh head's build: the link in place, then the real script, which finds it there,
        records it ready and releases the jobs held for it (with the sandbox's Slurm commands)."""
        self.neuron.unlink(missing_ok=True)
        self.neuron.symlink_to(self.neuron_build.name)
        return self.run_node_setup()

    def run_node_setup(self) -> subprocess.CompletedProcess:
        argv, env = self.node_setup_invocation()
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=self.tmp)

    def node_setup_invocation(self) -> tuple[list, dict]:
        """argv and environment of the real `node-setup.sh head RELEASE` on this sandbox: its FSx, its Slurm, a log
        of its own, and in front of PATH commands that fail loudly if the script tries to build after all."""
        guard = self.tmp / "guard-bin"
        if not guard.exists():
            guard.mkdir()
            for name in BUILD_COMMANDS:
                (guard / name).write_text(
                    f"#!/bin/sh\necho 'node-setup.sh ran {name}: it should have found the "
                    "environment in place (does MARKER_KEYS match head_marker_content?)' >&2\n"
                    "exit 97\n"
                )
                (guard / name).chmod(0o755)
        env = {
            "PATH": f"{guard}:/usr/bin:/bin",
            "HOME": str(self.tmp / "home"),
            "LANG": "C.UTF-8",
            "CPT_ROOT": str(self.tmp / "root"),
            "CPT_SHARED": str(self.fsx),
            "CPT_LOG": str(self.node_setup_log),
            "CPT_SLURM_BIN": SLURM_BIN,
        }
        if self.slurm_conf:
            env["SLURM_CONF"] = self.slurm_conf
        return ["bash", str(NODE_SETUP), "head", RELEASE], env

    @staticmethod
    def copy_scripts(run_dir: Path) -> None:
        """RUN_DIR/scripts/ as cpt-run.sh writes it: the bundle's files and Python packages (for stages run without
        Slurm)."""
        (run_dir / "scripts").mkdir(parents=True)
        for path in TRAINING.iterdir():
            if path.is_file():
                shutil.copy(path, run_dir / "scripts" / path.name)
            elif (path / "__init__.py").is_file():  # the Python packages: cpt, report_page
                shutil.copytree(path, run_dir / "scripts" / path.name, ignore=shutil.ignore_patterns("__pycache__"))

    @staticmethod
    def make_dataset(directory: Path, rows: int = 64) -> None:
        """A save_to_disk-shaped folder of `rows` rows: the row count is where datasets' DatasetInfo keeps it
        (splits.train.num_examples), where the fake torchrun reads it."""
        directory.mkdir(parents=True)
        (directory / "data-00000-of-00001.arrow").write_bytes(b"rows")
        (directory / "dataset_info.json").write_text(
            json.dumps({"splits": {"train": {"name": "train", "num_examples": rows, "dataset_name": None}}})
        )
        (directory / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))

    def request(self, run: str, **overrides) -> dict:
        """The sandbox's small run: 1 node, global batch 16, 6 steps on its pubmed dataset."""
        small = {
            "nodes": 1,
            "tensorParallel": 8,
            "sequenceLength": 4096,
            "globalBatch": 16,
            "microBatch": 1,
            "steps": 6,
            "warmupSteps": 1,
            "learningRate": 0.00015,
            "minLearningRate": 0.000015,
            "checkpointEvery": 2,
            "checkpointsKept": 2,
            "compileSteps": 1,
            "trainPath": "/fsx/datasets/pubmed/attempt-1/train",
            "evalPaths": {
                "domain": "/fsx/datasets/pubmed/attempt-1/eval_domain",
                "general": "/fsx/datasets/pubmed/attempt-1/eval_general",
            },
            "baseModel": "meta-llama/Llama-2-7b-hf",
            "hfTokenSecretArn": "arn:aws:secretsmanager:us-east-2:123456789012:secret:trainium-cpt-hf-AbCdEf",
            "exportS3Uri": f"s3://ckpt-bucket/exports/{run}/",
            "reportS3Uri": f"s3://ckpt-bucket/reports/{run}/",
            "neuronRelease": RELEASE,
            "partition": "trn",
            "maxTrainRestarts": 2,
            "timeLimits": {"prepare": 30, "compile": 60, "train": 600, "export": 60, "evaluate": 30},
            "resume": False,
        }
        return submit_request(run, small, overrides)

    def env(self, **extra) -> dict:
        values = {
            "CPT_FSX": self.fsx,
            "CPT_SLURM_BIN": SLURM_BIN,
            "CPT_NEURON_TOOLS": self.neuron_tools,
            "CPT_TEST_RECORD": self.record,
            "CPT_TEST_S3": self.s3,
            "CPT_FAKE_HUB_CONFIG": json.dumps(HUB_7B_CONFIG),
            "CPT_EVAL_MAX_ROWS": "4",
            # The jobs' locked-memory limit: the loopback slurmd's, this process's (it cannot raise it to unlimited).
            "CPT_LOCKED_MEMORY": locked_memory_limit(),
            "CPT_JOB_USER": JOB_USER,
        }
        if self.slurm_conf:
            values["SLURM_CONF"] = self.slurm_conf
        return sandbox_env(self.bin, self.tmp, {**values, **extra})

    def cpt(self, action: str, request, *extra_args: str, raw: bool = False, timeout: float = 60, **env) -> Result:
        payload = request if raw or request is None else encode(request)
        argv = (
            ["bash", str(CPT_RUN), action, payload, *extra_args]
            if payload is not None
            else ["bash", str(CPT_RUN), action]
        )
        return Result(
            subprocess.run(argv, env=self.env(**env), capture_output=True, text=True, timeout=timeout, cwd=self.tmp)
        )

    def submit(self, request: dict, **env) -> dict:
        result = self.cpt("submit", request, **env)
        assert result.returncode == 0 and result.json, result
        return result.json

    def status(self, run: str) -> dict:
        result = self.cpt("status", run_request(run))
        assert result.returncode == 0 and result.json, result
        return result.json

    def states(self, run: str) -> dict:
        return {stage: job["state"] for stage, job in self.status(run)["jobs"].items()}

    def wait_for(self, run: str, done, timeout: float = 40, poll: float = 0.25, on_change=None) -> dict:
        """Polls `status` until done(states) is true; returns the last status. Fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            status = self.status(run)
            states = {stage: (job["state"], job["reason"]) for stage, job in status["jobs"].items()}
            if states != last and on_change:
                on_change(status)
            last = states
            if done({stage: state for stage, (state, _) in states.items()}):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run} not done after {timeout}s: {status}\n{self.logs(run)}")
            time.sleep(poll)

    def wait_all_ended(self, run: str, **kwargs) -> dict:
        return self.wait_for(run, lambda states: all(s in TERMINAL for s in states.values()), **kwargs)

    def run_dir(self, run: str) -> Path:
        return self.fsx / "trainium-cpt" / "runs" / run

    def logs(self, run: str) -> str:
        logs = self.run_dir(run) / "logs"
        if not logs.is_dir():
            return "(no logs)"
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(logs.iterdir()))

    def records(self, tool: str | None = None, event: str | None = "start") -> list:
        if not self.record.exists():
            return []
        out = [json.loads(line) for line in self.record.read_text().splitlines()]
        return [r for r in out if (tool is None or r["tool"] == tool) and (event is None or r.get("event") == event)]


def scontrol_fields(job_id: str, slurm_conf: str) -> dict:
    result = subprocess.run(
        [f"{SLURM_BIN}/scontrol", "show", "job", "-o", job_id],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": slurm_conf},
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    fields = {}
    for token in result.stdout.split():
        key, _, val = token.partition("=")
        fields.setdefault(key, val)
    return fields


def scontrol(slurm_conf: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [f"{SLURM_BIN}/scontrol", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": slurm_conf},
        timeout=30,
    )


def cancel_everything(slurm_conf: str) -> None:
    env = {**os.environ, "SLURM_CONF": slurm_conf}
    ids = subprocess.run(
        [f"{SLURM_BIN}/squeue", "-h", "-o", "%A"], capture_output=True, text=True, env=env, timeout=30
    ).stdout.split()
    if ids:
        subprocess.run([f"{SLURM_BIN}/scancel", *ids], env=env, timeout=30, check=False)
        deadline = time.monotonic() + 15
        while (
            time.monotonic() < deadline
            and subprocess.run(
                [f"{SLURM_BIN}/squeue", "-h", "-o", "%A"], capture_output=True, text=True, env=env, timeout=30
            ).stdout.split()
        ):
            time.sleep(0.2)
    # A test whose stage drained the node (stage-lib.sh restart_or_fail) and ended before resuming it.
    if node_state(slurm_conf).startswith("drain"):
        scontrol(slurm_conf, "update", "NodeName=localhost", "State=RESUME")


def node_state(slurm_conf: str) -> str:
    """sinfo's state of the sandbox's one node (idle, mix, alloc, drain, drng, ...) and its reason."""
    result = subprocess.run(
        [f"{SLURM_BIN}/sinfo", "-h", "-N", "-n", "localhost", "-o", "%t %E"],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": slurm_conf},
        timeout=30,
    )
    return result.stdout.strip()


def locked_memory_limit() -> str:
    """This process's soft locked-memory limit as `ulimit -l` prints it (KiB, or unlimited)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft // 1024)


def give_to_job_user(path: Path) -> None:
    """Makes `path` and everything in it JOB_USER's, as the jobs leave what they write (cpt-run.sh refuses a
    checkpoint folder of another user's)."""
    job_user = pwd.getpwnam(JOB_USER)
    for item in (path, *path.rglob("*")):
        os.lchown(item, job_user.pw_uid, job_user.pw_gid)


# Fixtures, imported by the test modules (no conftest.py: see cluster/tests/node_setup_sandbox.py).
def world_enterable(prefix: str) -> Path:
    """A new empty folder that JOB_USER may enter (pytest's own are root's alone); the fixture that asks for it
    removes it."""
    path = Path(tempfile.mkdtemp(prefix=f"cpt-{prefix}-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def slurm():
    """SLURM_CONF of a throwaway one-node Slurm on loopback, started once for the session and stopped after it."""
    top = world_enterable("slurm")
    directory = top / "cluster"
    started = subprocess.run(
        ["bash", str(SLURM_ENV), "start", str(directory)], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        subprocess.run(["bash", str(SLURM_ENV), "stop", str(directory)], capture_output=True, timeout=60)
        pytest.fail(f"scripts/slurm-env.sh start failed:\n{started.stderr}")
    conf = str(directory / "slurm.conf")
    try:
        yield conf
    finally:
        stopped = subprocess.run(
            ["bash", str(SLURM_ENV), "stop", str(directory)], capture_output=True, text=True, timeout=120
        )
        assert stopped.returncode == 0, stopped.stderr
        shutil.rmtree(top)


@pytest.fixture()
def cluster(slurm):
    """A sandbox on the session's Slurm; every job left at the end of the test is cancelled."""
    sandbox = Sandbox(world_enterable("sandbox"), slurm)
    try:
        yield sandbox
    finally:
        cancel_everything(slurm)
        shutil.rmtree(sandbox.tmp)


@pytest.fixture()
def offline():
    """A sandbox whose Slurm commands are recorders (no daemon): for requests that must be refused before
    anything reaches Slurm."""
    tmp_path = world_enterable("offline")
    sandbox = Sandbox(tmp_path, None)
    slurm_bin = tmp_path / "slurm-bin"
    slurm_bin.mkdir()
    recorder = slurm_bin / "recorder.py"
    recorder.write_text(OFFLINE_SLURM.replace("@PYTHON@", JOB_PYTHON))
    recorder.chmod(0o755)
    for name in ("sbatch", "scontrol", "squeue", "scancel", "sacct", "srun"):
        (slurm_bin / name).symlink_to(recorder)
    sandbox.slurm_record = tmp_path / "slurm-record.jsonl"
    sandbox.slurm_record.touch()
    sandbox.slurm_record.chmod(0o666)  # sbatch runs as JOB_USER
    original_env = sandbox.env

    def env(**extra):
        return original_env(CPT_SLURM_BIN=str(slurm_bin), CPT_TEST_SLURM_RECORD=str(sandbox.slurm_record), **extra)

    sandbox.env = env
    sandbox.slurm_calls = lambda: (
        [json.loads(line) for line in sandbox.slurm_record.read_text().splitlines()]
        if sandbox.slurm_record.exists()
        else []
    )
    try:
        yield sandbox
    finally:
        shutil.rmtree(tmp_path)
