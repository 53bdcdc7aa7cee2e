#!/usr/bin/env python3
"""The Python half of cpt-run.sh and of the stage scripts: request validation, the training arguments, the run's
files (jobs.json, status files) and Slurm's answers. Standard library only, Python 3.10 or later (the head and
compute nodes' system python3 on Ubuntu 22.04), so that it runs without the Neuron environment.

Used as `python3 cpt_lib.py <command> ...` (see main()); every value comes in as an argument or from a JSON file
and goes out as JSON or as one value a line, so that no request value is ever part of shell code.

Paths: a request names files on FSx as /fsx/...; CPT_FSX (default /fsx) is where /fsx really is (the tests run
everything under a temporary directory), and fsx_path() maps one to the other.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("prepare", "compile", "train", "export", "evaluate")
CORES_PER_NODE = 32  # NeuronCores of a trn1.32xlarge / trn1n.32xlarge: torchrun --nproc_per_node
TENSOR_PARALLEL = (1, 2, 4, 8, 16, 32)
MAX_SEQUENCE_LENGTH = 4096  # Llama 2's context
MAX_REQUEST_BYTES = 16384

RUN_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
S3_URI_RE = re.compile(r"^s3://[a-z0-9.-]{3,63}/[A-Za-z0-9!_.*'()/-]*$")
# Characters allowed in a path of the request: what dataset folders and run names use, and nothing a shell,
# Slurm or a glob would read as syntax.
PATH_RE = re.compile(r"^/fsx(/[A-Za-z0-9._+=@-]+)+/?$")
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SECRET_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(-[a-z]+)+-\d):\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$"
)
RELEASE_RE = re.compile(r"^\d+\.\d+\.\d+$")
PARTITION_RE = re.compile(r"^[a-z][a-z0-9-]{0,24}$")  # ParallelCluster queue names

SUBMIT_FIELDS = (
    "version",
    "run",
    "nodes",
    "tensorParallel",
    "sequenceLength",
    "globalBatch",
    "microBatch",
    "steps",
    "warmupSteps",
    "learningRate",
    "minLearningRate",
    "checkpointEvery",
    "checkpointsKept",
    "compileSteps",
    "trainPath",
    "evalPaths",
    "baseModel",
    "hfTokenSecretArn",
    "exportS3Uri",
    "reportS3Uri",
    "neuronRelease",
    "partition",
    "maxTrainRestarts",
    "timeLimits",
    "resume",
)
RUN_FIELDS = ("version", "run")
MAX_TRAIN_RESTARTS = 10  # lib/config/fields.ts MAX_TRAIN_RESTARTS
# Fields that came with the fused q/k/v layout (--fuse_qkv 1): a stored request without them was written by an
# earlier version, whose checkpoints this version cannot load.
EARLIER_VERSION_FIELDS = ("maxTrainRestarts", "timeLimits", "resume")
MAX_TIME_LIMIT_MINUTES = 43200  # 30 days: lib/training/contract.ts MAX_TIME_LIMIT_MINUTES
DEVICES_PER_NODE = 16  # Trainium chips of a trn1.32xlarge / trn1n.32xlarge, 2 NeuronCores each

# The Neuron Python environment on FSx, which cluster/node-setup.sh head builds after the cluster is created (a
# systemd service on the head node) and describes in FSX/trainium-cpt/neuron-<release>.state.json.
NEURON_STATES = ("ready", "building", "failed", "not-started")
NEURON_SERVICE = "trainium-cpt-neuron-environment"  # lib/cluster/neuron-environment.ts names the unit so
LLAMA_SCRIPT = "examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py"
# systemd stops a build after 2 hours (RuntimeMaxSec of the unit, lib/cluster/neuron-environment.ts), and the script
# then records it failed. A record still "building" well after that belongs to a build that stopped without a trace
# (the head node lost power, the process was killed): it is reported failed, not waited on forever.
NEURON_BUILD_LIMIT_SECONDS = 2 * 3600
NEURON_STALE_AFTER_SECONDS = NEURON_BUILD_LIMIT_SECONDS + 600


class RequestError(Exception):
    """A request that cannot be used; the message names every problem and its field."""


# --- Request decoding and validation ---


def _reject_constant(name: str):
    raise RequestError(f"request: {name} is not a JSON number")


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise RequestError(f"request: field {key!r} appears twice")
        seen[key] = value
    return seen


def decode(encoded: str) -> dict:
    """The JSON object in `encoded`: base64 (standard alphabet, padded, no newlines) of UTF-8 JSON."""
    if not encoded:
        raise RequestError("request: empty (expected base64 of a JSON object)")
    if len(encoded) > MAX_REQUEST_BYTES:
        raise RequestError(f"request: {len(encoded)} characters, more than the {MAX_REQUEST_BYTES} accepted")
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise RequestError("request: not base64 (standard alphabet, with padding, no newlines)") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("request: the decoded bytes are not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise RequestError(f"request: not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, dict):
        raise RequestError("request: not a JSON object")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _show(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_path(value, field: str, problems: list, under: str = "/fsx/") -> None:
    if not isinstance(value, str):
        problems.append(f"{field}: must be a path under {under} (got {_show(value)})")
        return
    parts = value.split("/")
    if ".." in parts or "." in parts:
        problems.append(f"{field}: must not contain '.' or '..' components (got {_show(value)})")
    elif not PATH_RE.match(value) or not value.startswith(under) or value.rstrip("/") == under.rstrip("/"):
        problems.append(
            f"{field}: must be a path under {under} of letters, digits and . _ + = @ - (got {_show(value)})"
        )


def validate(request: dict, action: str) -> dict:
    """The request, checked for `action` (submit, status or cancel); raises RequestError naming every problem."""
    problems: list[str] = []
    allowed = SUBMIT_FIELDS if action == "submit" else RUN_FIELDS
    unknown = sorted(set(request) - set(allowed))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)} (a {action} request has {', '.join(allowed)})")
    missing = [name for name in allowed if name not in request]
    if missing:
        problems.append(f"missing field(s) {', '.join(missing)}")

    def present(name):
        return name in request

    if present("version") and not (_is_int(request["version"]) and request["version"] == 1):
        problems.append(f"version: must be 1 (got {_show(request['version'])})")
    if present("run") and not (isinstance(request["run"], str) and RUN_RE.match(request["run"])):
        problems.append(
            f"run: must be 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit "
            f"(got {_show(request['run'])})"
        )
    if action != "submit":
        if problems:
            raise RequestError("invalid request: " + "; ".join(problems))
        return request

    def integer(name, minimum=None, maximum=None, choices=None):
        if not present(name):
            return None
        value = request[name]
        ok = _is_int(value)
        if ok and choices is not None:
            ok = value in choices
            if not ok:
                problems.append(f"{name}: must be one of {', '.join(map(str, choices))} (got {_show(value)})")
                return None
        if ok and minimum is not None and value < minimum or ok and maximum is not None and value > maximum:
            ok = False
        if not ok:
            if minimum is not None and maximum is not None:
                accepted = f"an integer from {minimum} to {maximum}"
            elif minimum is not None:
                accepted = f"an integer of at least {minimum}"
            else:
                accepted = "an integer"
            problems.append(f"{name}: must be {accepted} (got {_show(value)})")
            return None
        return value

    nodes = integer("nodes", 1)
    tp = integer("tensorParallel", choices=TENSOR_PARALLEL)
    seq = integer("sequenceLength", 1, MAX_SEQUENCE_LENGTH)
    global_batch = integer("globalBatch", 1)
    micro_batch = integer("microBatch", 1)
    steps = integer("steps", 1)
    warmup = integer("warmupSteps", 0)
    every = integer("checkpointEvery", 1)
    integer("checkpointsKept", 1)
    compile_steps = integer("compileSteps", 1)

    lr = min_lr = None
    if present("learningRate"):
        lr = request["learningRate"]
        if not (_is_number(lr) and lr > 0):
            problems.append(f"learningRate: must be a number above 0 (got {_show(lr)})")
            lr = None
    if present("minLearningRate"):
        min_lr = request["minLearningRate"]
        if not (_is_number(min_lr) and min_lr >= 0):
            problems.append(f"minLearningRate: must be a number of at least 0 (got {_show(min_lr)})")
            min_lr = None
    if lr is not None and min_lr is not None and min_lr >= lr:
        problems.append(
            f"minLearningRate: must be below learningRate {lr}: the learning rate decays linearly from "
            f"learningRate to minLearningRate (got {_show(min_lr)})"
        )

    if present("trainPath"):
        check_path(request["trainPath"], "trainPath", problems, under="/fsx/datasets/")
    if present("evalPaths"):
        evals = request["evalPaths"]
        if not isinstance(evals, dict):
            problems.append(f"evalPaths: must be an object with domain and general (got {_show(evals)})")
        else:
            extra = sorted(set(evals) - {"domain", "general"})
            if extra:
                problems.append(f"evalPaths: unknown field(s) {', '.join(extra)} (it has domain and general)")
            if "domain" not in evals or "general" not in evals:
                problems.append("evalPaths: must have both domain and general (general may be null)")
            if "domain" in evals:
                check_path(evals["domain"], "evalPaths.domain", problems)
            if evals.get("general") is not None:
                check_path(evals["general"], "evalPaths.general", problems)
    if present("baseModel") and not (isinstance(request["baseModel"], str) and MODEL_ID_RE.match(request["baseModel"])):
        problems.append(f"baseModel: must be a Hugging Face model ID owner/name (got {_show(request['baseModel'])})")
    if present("hfTokenSecretArn") and not (
        isinstance(request["hfTokenSecretArn"], str) and SECRET_ARN_RE.match(request["hfTokenSecretArn"])
    ):
        problems.append(
            f"hfTokenSecretArn: must be the ARN of a Secrets Manager secret (got {_show(request['hfTokenSecretArn'])})"
        )
    for name in ("exportS3Uri", "reportS3Uri"):
        if present(name) and not (isinstance(request[name], str) and S3_URI_RE.match(request[name])):
            problems.append(f"{name}: must be an S3 URI s3://<bucket>/<prefix> (got {_show(request[name])})")
    if present("neuronRelease") and not (
        isinstance(request["neuronRelease"], str) and RELEASE_RE.match(request["neuronRelease"])
    ):
        problems.append(
            f"neuronRelease: must be a Neuron SDK release such as 2.28.1 (got {_show(request['neuronRelease'])})"
        )
    if present("partition") and not (
        isinstance(request["partition"], str) and PARTITION_RE.match(request["partition"])
    ):
        problems.append(
            f"partition: must be a Slurm partition name of lowercase letters, digits and hyphens "
            f"(got {_show(request['partition'])})"
        )
    integer("maxTrainRestarts", 0, MAX_TRAIN_RESTARTS)
    if present("timeLimits"):
        limits = request["timeLimits"]
        if not isinstance(limits, dict):
            problems.append(f"timeLimits: must be an object with {', '.join(STAGES)} (got {_show(limits)})")
        else:
            extra = [name for name in limits if name not in STAGES]
            if extra:
                problems.append(f"timeLimits: unknown field(s) {', '.join(extra)} (it has {', '.join(STAGES)})")
            absent = [stage for stage in STAGES if stage not in limits]
            if absent:
                problems.append(f"timeLimits: missing field(s) {', '.join(absent)}")
            for stage in STAGES:
                value = limits.get(stage)
                if stage in limits and not (_is_int(value) and 1 <= value <= MAX_TIME_LIMIT_MINUTES):
                    problems.append(
                        f"timeLimits.{stage}: must be whole minutes, an integer from 1 to {MAX_TIME_LIMIT_MINUTES} "
                        f"(got {_show(value)})"
                    )
    if present("resume") and not isinstance(request["resume"], bool):
        problems.append(f"resume: must be true or false (got {_show(request['resume'])})")

    # Rules between fields.
    if tp is not None and seq is not None and seq % tp:
        problems.append(
            f"sequenceLength: must be divisible by tensorParallel {tp} (sequence parallelism splits it) (got {seq})"
        )
    if nodes is not None and tp is not None and global_batch is not None and micro_batch is not None:
        dp = nodes * CORES_PER_NODE // tp
        if global_batch % (dp * micro_batch):
            problems.append(
                f"globalBatch: must be a multiple of data-parallel degree {dp} (nodes {nodes} x {CORES_PER_NODE} "
                f"NeuronCores / tensorParallel {tp}) x microBatch {micro_batch} = {dp * micro_batch} (got {global_batch})"
            )
    if steps is not None and warmup is not None and warmup > steps:
        problems.append(f"warmupSteps: must be at most steps {steps} (got {warmup})")
    if compile_steps is not None and steps is not None and compile_steps > steps:
        problems.append(f"compileSteps: must be at most steps {steps} (got {compile_steps})")
    if compile_steps is not None and every is not None and compile_steps >= every:
        problems.append(
            f"compileSteps: must be below checkpointEvery {every}, so that the compile run (graph extraction, whose "
            f"outputs are invalid) never writes a checkpoint that training would resume from (got {compile_steps})"
        )
    if problems:
        raise RequestError("invalid request: " + "; ".join(problems))
    return request


# --- Paths and derived values ---


def fsx_root() -> str:
    return os.environ.get("CPT_FSX", "/fsx").rstrip("/") or "/"


def fsx_path(path: str) -> str:
    """Where the /fsx/... path of a request is on this machine."""
    assert path == "/fsx" or path.startswith("/fsx/"), path
    return fsx_root() + path[len("/fsx") :].rstrip("/")


def run_dir(run: str) -> str:
    return f"{fsx_root()}/trainium-cpt/runs/{run}"


def checkpoint_dir(run: str) -> str:
    return f"{fsx_root()}/checkpoints/{run}"


def data_parallel(request: dict) -> int:
    return request["nodes"] * CORES_PER_NODE // request["tensorParallel"]


def gradient_accumulation(request: dict) -> int:
    return request["globalBatch"] // (data_parallel(request) * request["microBatch"])


def schedule_steps(request: dict) -> int:
    """The training script's --max_steps.

    tp_zero1_llama_hf_pretrain.py (v2.28.0) schedules the learning rate with transformers'
    get_linear_schedule_with_warmup(num_warmup_steps=--warmup_steps, num_training_steps=--max_steps): a linear
    warm-up, then a linear decay that reaches 0 at --max_steps. It has no minimum learning rate. So --max_steps is
    set past the last step, where the decay line reaches 0, such that at step `steps` (where --steps_this_run stops
    training) the learning rate is minLearningRate: lr * (T - steps) / (T - warmup) = minLearningRate.
    """
    steps, warmup = request["steps"], request["warmupSteps"]
    ratio = request["minLearningRate"] / request["learningRate"]
    if ratio == 0 or steps == warmup:
        return steps
    return warmup + max(steps - warmup, round((steps - warmup) / (1 - ratio)))


def _format_number(value) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def training_arguments(request: dict, mode: str, nxd_dir: str, run_directory: str, loading_step: int = -1) -> list[str]:
    """The arguments after `torchrun <launcher options>`, for the compile run and the training run alike; they
    differ only in --steps_this_run (compileSteps for neuron_parallel_compile, steps for training), --loading_step
    (always -1 for compile) and --checkpoint_at_end (training only).

    The script is the run's patched copy, RUN_DIR/scripts/tp_zero1_llama_hf_pretrain.py, which the prepare stage
    writes by applying nxd-pretrain.patch to the example. Argument names are those of
    examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py at tag v2.28.0 of
    github.com/aws-neuron/neuronx-distributed (its argparse block), and the reference values
    those of tp_zero1_llama2_7B_hf_pretrain.sh next to it (mixed precision, ZeRO-1, sequence parallel, selective
    activation checkpointing):
      --model_path        a folder with the model's config.json: the example's 7B_config_llama2 (bfloat16; the
                          Hub's config says float16)
      --data_dir          the load_from_disk folder of the training set
      --pretrained_weight a flag: load the tag "pretrained_weight" of --checkpoint_dir (the converted base model,
                          linked there by the prepare stage) when --loading_step is -1 (the script's get_loading_tag)
      --loading_step N    training: N of step_N, the newest completed checkpoint (a requeued or resumed run), or -1
                          when there is none; the stage decides, having checked that step_N is not the last step
                          already (the script would train one step past it). Compile: always -1, since graph
                          extraction must never continue a checkpoint (its outputs are invalid)
      --checkpoint_at_end training only, added by nxd-pretrain.patch: save at --steps_this_run too, which the
                          reference saves only when it is a multiple of --checkpoint_freq
      --fuse_qkv 1        the script's default, stated: q/k/v fused into one ColumnParallelLinear qkv_proj whose
                          rank-r rows are [q_r; k_r; v_r] (modeling_llama_nxd.py, heads == KV heads as in Llama 2
                          7B); the layout convert_checkpoints.py writes with --coalesce_qkv True (stage-prepare.sh)
                          and merges back into q/k/v_proj (stage-export.sh). With --fuse_qkv 0 the model would load
                          separate q/k/v shards, but the export cannot merge them (KeyError 'q_proj.weight').
                          Recorded with neuronx-distributed's own code: scripts/nxd-roundtrip.sh,
                          tests/fixtures/nxd-*.json.
    """
    if mode not in ("compile", "train"):
        raise ValueError(f"mode must be compile or train, not {mode!r}")
    if mode == "compile" and loading_step != -1 or loading_step < -1:
        raise ValueError(f"loading_step {loading_step} for {mode}: compile loads none (-1); train -1 or a step")
    llama = f"{nxd_dir}/examples/training/llama"
    steps_this_run = request["compileSteps"] if mode == "compile" else request["steps"]
    return [
        patched_script(run_directory),
        "--model_path",
        f"{llama}/tp_zero1_llama_hf_pretrain/7B_config_llama2",
        "--data_dir",
        fsx_path(request["trainPath"]),
        "--output_dir",
        f"{run_directory}/output",
        "--metrics_file",
        f"{run_directory}/output/results.json",
        "--tensor_parallel_size",
        str(request["tensorParallel"]),
        "--seq_len",
        str(request["sequenceLength"]),
        "--batch_size",
        str(request["microBatch"]),
        "--grad_accum_usteps",
        str(gradient_accumulation(request)),
        "--max_steps",
        str(schedule_steps(request)),
        "--steps_this_run",
        str(steps_this_run),
        "--warmup_steps",
        str(request["warmupSteps"]),
        "--lr",
        _format_number(request["learningRate"]),
        "--use_mix_precision",
        "--use_zero_1",
        "--sequence_parallel_enabled",
        "--selective_checkpoint_enabled",
        "--fuse_qkv",
        "1",
        "--logging_interval",
        "10",
        "--checkpoint_dir",
        checkpoint_dir(request["run"]),
        "--checkpoint_freq",
        str(request["checkpointEvery"]),
        "--num_kept_checkpoint",
        str(request["checkpointsKept"]),
        "--loading_step",
        str(loading_step),
        "--pretrained_weight",
        *(["--checkpoint_at_end"] if mode == "train" else []),
    ]


def patched_script(run_directory: str) -> str:
    """The run's copy of the training script with nxd-pretrain.patch applied (the prepare stage writes it), next to
    resume_data.py, which it imports."""
    return f"{run_directory}/scripts/tp_zero1_llama_hf_pretrain.py"


def _checkpoint_folders(directory: str) -> list[Path]:
    """The step_N folders of `directory`, oldest step first."""
    root = Path(directory)
    if not root.is_dir():
        return []
    found = [
        (int(match.group(1)), entry.name, entry)
        for entry in root.iterdir()
        if (match := re.fullmatch(r"step_(\d+)", entry.name))
    ]
    return [entry for *_, entry in sorted(found)]


def completed_checkpoints(directory: str) -> list[str]:
    """Tags (step_N) of the completed checkpoints in `directory`, oldest step first. A checkpoint is complete when
    its `done` file exists: neuronx-distributed writes it last (trainer/checkpoint.py, v2.28.0), and its own
    "latest" looks only at such tags."""
    return [entry.name for entry in _checkpoint_folders(directory) if (entry / "done").is_file()]


def checkpoint_step(tag: str) -> int:
    return int(tag.split("_", 1)[1])


def any_checkpoints(directory: str) -> list[str]:
    """Tags (step_N) of every checkpoint folder in `directory`, completed or not, oldest step first."""
    return [entry.name for entry in _checkpoint_folders(directory)]


def compile_key(request: dict, nxd_dir: str, run_directory: str, cc_flags: str, script_sha256: str) -> dict:
    """What decides the graphs neuron_parallel_compile puts in the compile cache, and its hash (`key`): the Neuron
    release, the node count, the compile run's arguments with the paths of this run and of its data replaced by
    placeholders (another run of the same shape asks for the same graphs), NEURON_CC_FLAGS without its --cache_dir,
    and the patched training script's SHA-256 (a changed patch may change the graphs)."""
    argv = training_arguments(request, "compile", nxd_dir, run_directory)
    placeholders = (
        (run_directory, "<run>"),
        (checkpoint_dir(request["run"]), "<checkpoints>"),
        (fsx_path(request["trainPath"]), "<data>"),
    )
    normalized = []
    for argument in argv:
        for path, placeholder in placeholders:
            if argument == path or argument.startswith(path + "/"):
                argument = placeholder + argument[len(path) :]
                break
        normalized.append(argument)
    flags = " ".join(word for word in cc_flags.split() if not word.startswith("--cache_dir"))
    material = {
        "neuronRelease": request["neuronRelease"],
        "nodes": request["nodes"],
        "argv": normalized,
        "neuronCcFlags": flags,
        "scriptSha256": script_sha256,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()
    return {"key": digest[:32], **material}


# --- Files of a run ---


def read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_text_atomically(path: str, text: str) -> None:
    """Writes `text` to a temporary file next to `path`, then renames it over `path`: readers see the old file or
    the whole new one, never a part."""
    directory = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_json_atomically(path: str, value) -> None:
    write_text_atomically(path, json.dumps(value, indent=2) + "\n")


def line(value) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- The Neuron environment ---


def neuron_environment(release: str) -> dict:
    """The state of the Neuron `release` environment, for cpt-run.sh and for people: node-setup.sh's record when
    there is one, checked against what is on disk (the venv's python3 and the Llama example the jobs run). The venv
    and the checkout are where stage-lib.sh runs them from: CPT_NEURON_VENV and CPT_NXD_DIR, or their places on FSx."""
    if not RELEASE_RE.match(release):
        raise ValueError(f"release {release!r} is not a Neuron SDK release such as 2.28.1")
    base = f"{fsx_root()}/trainium-cpt/neuron-{release}"
    venv = os.environ.get("CPT_NEURON_VENV") or f"{base}/venv"
    nxd_dir = os.environ.get("CPT_NXD_DIR") or f"{base}/neuronx-distributed"
    state_file = f"{base}.state.json"
    out = {
        "release": release,
        "state": None,
        "step": None,
        "since": None,
        "started": None,
        "log": None,
        "exitCode": None,
        "message": None,
        "path": base,
        "stateFile": state_file,
        "service": NEURON_SERVICE,
    }
    missing = [
        path
        for path, present in (
            (f"{venv}/bin/python3", os.access(f"{venv}/bin/python3", os.X_OK)),
            (f"{nxd_dir}/{LLAMA_SCRIPT}", os.path.isfile(f"{nxd_dir}/{LLAMA_SCRIPT}")),
        )
        if not present
    ]
    try:
        record = read_json(state_file)
    except FileNotFoundError:
        record = None
    except (OSError, ValueError) as error:
        return {**out, "state": "failed", "message": f"{state_file} cannot be read ({error})"}
    if record is not None and not (isinstance(record, dict) and record.get("state") in ("building", "failed", "ready")):
        return {**out, "state": "failed", "message": f"{state_file} is not a record of node-setup.sh"}
    if record is not None:
        out.update({key: record.get(key) for key in ("step", "since", "started", "log", "exitCode", "message")})
    if record is None:
        # Built before builds were recorded (or by hand), or not started yet.
        if not missing:
            out["state"] = "ready"
        elif len(missing) == 2:
            out["state"] = "not-started"
        else:
            out.update(state="failed", message=f"the environment is incomplete: {missing[0]} is missing")
    elif record["state"] == "ready" and missing:
        out.update(state="failed", message=f"{state_file} says ready, but {missing[0]} is missing")
    elif record["state"] == "building" and build_age_seconds(record.get("started")) > NEURON_STALE_AFTER_SECONDS:
        out.update(
            state="failed",
            message=(
                f"{state_file} says building since {record.get('started')}, longer than the service allows "
                f"({NEURON_BUILD_LIMIT_SECONDS // 3600} hours): the build stopped without recording why (the head node "
                "restarted, or the process was killed)"
            ),
        )
    else:
        out["state"] = record["state"]
    return out


def build_age_seconds(started) -> float:
    """Seconds since node-setup.sh's `started` (2026-01-01T11:58:00Z, UTC); 0 when it is missing or unreadable."""
    try:
        return time.time() - calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return 0.0


def neuron_refusal(environment: dict) -> str:
    """Why a chain is not submitted: the environment failed (or is broken). Names the step, the log and the fix."""
    release = environment["release"]
    if environment.get("step") and environment.get("exitCode") is not None:
        what = (environment.get("message") or "").removeprefix(
            "node-setup: "
        ) or f"step '{environment['step']}' failed (exit {environment['exitCode']})"
        when = f" at {environment['since']}" if environment.get("since") else ""
        log = f"; its log is {environment['log']} on the head node" if environment.get("log") else ""
        return (
            f"the Neuron {release} environment failed to build: {what}{when}{log}. Build it again on the head node "
            f"(sudo systemctl start {NEURON_SERVICE}), then submit again"
        )
    return (
        f"the Neuron {release} environment cannot be used: {environment.get('message')}. Build it again on the "
        f"head node (sudo systemctl start {NEURON_SERVICE}), then submit again"
    )


def held_first_job(jobs: dict, fields: dict | None) -> dict | None:
    """{"stage", "id", "waitsFor"} when the chain's first job is still held for the Neuron environment (`fields`:
    scontrol's view of that job)."""
    held_for = jobs.get("heldFor")
    first = jobs["jobs"].get(STAGES[0])
    if not held_for or not first or not fields:
        return None
    if fields.get("JobState") == "PENDING" and fields.get("Reason", "").startswith("JobHeld"):
        return {"stage": STAGES[0], "id": first, "waitsFor": held_for}
    return None


# --- Slurm's view of a job ---


def slurm_bin(name: str) -> str:
    return os.path.join(os.environ.get("CPT_SLURM_BIN", "/opt/slurm/bin"), name)


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def scontrol_job(job_id: str) -> dict | None:
    """JobState, Reason and the other fields of `scontrol show job -o`, or None when Slurm does not know the job."""
    result = _run([slurm_bin("scontrol"), "show", "job", "-o", job_id])
    if result.returncode != 0:
        if "Invalid job id" in result.stderr:
            return None
        raise RuntimeError(f"scontrol show job {job_id} failed: {result.stderr.strip() or result.returncode}")
    fields = {}
    for token in result.stdout.split():
        key, sep, value = token.partition("=")
        if sep and key not in fields:
            fields[key] = value
    return fields if "JobState" in fields else None


def sacct_job(job_id: str) -> dict | None:
    """State and exit code from Slurm's accounting, or None (no accounting, or no record of the job)."""
    result = _run([slurm_bin("sacct"), "-j", job_id, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"])
    if result.returncode != 0:
        return None
    for row in result.stdout.splitlines():
        cells = row.split("|")
        if len(cells) >= 3 and cells[0] == job_id:
            return {"state": cells[1].split()[0] if cells[1] else "UNKNOWN", "exitCode": cells[2]}
    return None


def status_record(run_directory: str, stage: str, job_id: str) -> dict | None:
    """The stage's status file (stage-lib.sh write_status) when it belongs to job `job_id`."""
    try:
        recorded = read_json(os.path.join(run_directory, "status", f"{stage}.json"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and str(recorded.get("jobId")) == job_id else None


def stage_state(run_directory: str, stage: str, job_id: str, fields: dict | None = None) -> dict:
    """{"id", "state", "reason"} of one stage: Slurm's controller first, then its accounting, then the status file
    the stage script wrote (Slurm forgets finished jobs after MinJobAge, 300 s by default, and ParallelCluster
    clusters have no accounting unless a database is configured). The reason the stage itself gave for failing
    or requeueing (the status file's `reason`) is added to Slurm's."""
    if fields is None:
        fields = scontrol_job(job_id)
    recorded = status_record(run_directory, stage, job_id)
    own_reason = recorded.get("reason") if recorded and recorded.get("state") in ("FAILED", "REQUEUED") else None
    if fields is not None:
        reason = fields.get("Reason", "")
        if own_reason and fields["JobState"] in ("FAILED", "PENDING"):
            reason = f"{reason}: {own_reason}"
        return {"id": job_id, "state": fields["JobState"], "reason": reason}
    accounted = sacct_job(job_id)
    if accounted is not None:
        return {"id": job_id, "state": accounted["state"], "reason": f"from sacct (exit code {accounted['exitCode']})"}
    if recorded:
        status_file = os.path.join(run_directory, "status", f"{stage}.json")
        reason = f"from {status_file}"
        if recorded.get("exitCode") is not None:
            reason += f" (exit code {recorded['exitCode']})"
        if own_reason:
            reason += f": {own_reason}"
        state = recorded.get("state", "UNKNOWN")
        if state in ("RUNNING", "REQUEUED"):
            # Slurm no longer knows the job, so it is not running, nor pending: it ended without updating its file.
            state, reason = "UNKNOWN", reason + "; Slurm no longer knows the job, so it ended without a trace"
        return {"id": job_id, "state": state, "reason": reason}
    return {
        "id": job_id,
        "state": "UNKNOWN",
        "reason": "Slurm no longer knows this job and the stage left no status file",
    }


# Slurm's states of a job that has ended (squeue(1), JOB STATE CODES), and the status files' own TERMINATED and
# UNKNOWN (a job Slurm forgot): anything else is pending, running or about to run again.
ENDED_STATES = {
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "TIMEOUT",
    "REVOKED",
    "SPECIAL_EXIT",
    "TERMINATED",
    "UNKNOWN",
}


def chain_state(jobs: dict) -> dict:
    """{"active": a job of the chain may still run, "completed": every stage COMPLETED, "stage" and "state": the
    first stage, in chain order, that did not complete}."""
    states = {stage: stage_state(jobs["runDir"], stage, job_id) for stage, job_id in jobs["jobs"].items()}
    active = any(state["state"] not in ENDED_STATES for state in states.values())
    unfinished = [stage for stage in STAGES if stage in states and states[stage]["state"] != "COMPLETED"]
    first = unfinished[0] if unfinished else None
    return {
        "active": active,
        "completed": not unfinished and set(states) == set(STAGES),
        "stage": first,
        "state": states[first]["state"] if first else None,
    }


def restarts_file(run_directory: str, stage: str) -> str:
    return os.path.join(run_directory, "status", f"{stage}-restarts.json")


def read_restarts(path: str) -> list:
    try:
        history = read_json(path).get("history", [])
    except (OSError, ValueError, AttributeError):
        return []
    return history if isinstance(history, list) else []


def restart_entry(attempt: int, job_id: str, exit_code, reason: str, nodes, time_text: str | None = None) -> dict:
    """One failed attempt of a stage job: `attempt` counts from 1 (SLURM_RESTART_COUNT + 1)."""
    return {
        "attempt": attempt,
        "jobId": job_id,
        "exitCode": exit_code,
        "reason": reason,
        "drainedNodes": list(nodes),
        "time": time_text or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# --- Commands ---


def cmd_decode(action: str, encoded: str, output: str) -> None:
    request = validate(decode(encoded), action)
    ordered = {name: request[name] for name in (SUBMIT_FIELDS if action == "submit" else RUN_FIELDS)}
    write_json_atomically(output, ordered)


def cmd_get(path: str, field: str) -> None:
    """One field of a request, with derived values: runDir, checkpointDir, trainDir, evalDir.<name>,
    secretRegion, dataParallel, gradientAccumulation."""
    request = read_json(path)
    if field == "runDir":
        value = run_dir(request["run"])
    elif field == "checkpointDir":
        value = checkpoint_dir(request["run"])
    elif field == "trainDir":
        value = fsx_path(request["trainPath"])
    elif field.startswith("evalDir."):
        raw = request["evalPaths"][field.split(".", 1)[1]]
        value = "" if raw is None else fsx_path(raw)
    elif field == "secretRegion":
        value = SECRET_ARN_RE.match(request["hfTokenSecretArn"]).group(1)
    elif field == "dataParallel":
        value = data_parallel(request)
    elif field == "gradientAccumulation":
        value = gradient_accumulation(request)
    elif field.startswith("timeLimits."):
        value = request["timeLimits"][field.split(".", 1)[1]]
    else:
        value = request[field]
    print(json.dumps(value) if isinstance(value, bool) else value)


def cmd_jobs_json(output: str, run: str, run_directory: str, *pairs: str) -> None:
    """jobs.json from stage=jobid pairs, and heldFor=neuron-<release> when the first job was submitted held."""
    jobs, held_for = {}, None
    for pair in pairs:
        stage, _, job_id = pair.partition("=")
        if stage == "heldFor" and re.fullmatch(r"neuron-\d+\.\d+\.\d+", job_id):
            held_for = job_id
            continue
        if stage not in STAGES or not job_id.isdigit():
            raise ValueError(f"bad stage=jobid pair {pair!r}")
        jobs[stage] = job_id
    record = {"run": run, "jobs": jobs, "runDir": run_directory}
    if held_for:
        record["heldFor"] = held_for
    write_json_atomically(output, record)


def _scontrol_or_none(job_id: str) -> dict | None:
    try:
        return scontrol_job(job_id)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return None


def cmd_submit_output(
    jobs_file: str,
    created: str,
    neuron_file: str | None = None,
    resumed: str = "false",
    resume_from: str = "",
    message: str = "",
) -> None:
    """The answer of a submission: the jobs, the Neuron environment's state, the first job when it is held, whether
    this chain continues earlier work (`resumed`), the newest completed checkpoint when it was submitted
    (`resumeFrom`, null without one) and, when no chain was submitted, why (`message`)."""
    jobs = read_json(jobs_file)
    answer = {"run": jobs["run"], "created": created == "true", "jobs": jobs["jobs"], "runDir": jobs["runDir"]}
    if neuron_file:
        answer["neuronEnvironment"] = read_json(neuron_file)
    if jobs.get("heldFor"):
        held = held_first_job(jobs, _scontrol_or_none(jobs["jobs"][STAGES[0]]))
        if held:
            answer["heldJob"] = held
    answer["resumed"] = resumed == "true"
    answer["resumeFrom"] = resume_from or None
    if message:
        answer["message"] = message
    print(line(answer))


def cmd_job_ids(jobs_file: str) -> None:
    for stage in STAGES:
        job_id = read_json(jobs_file)["jobs"].get(stage)
        if job_id:
            print(job_id)


def cmd_status(jobs_file: str) -> None:
    """Each stage's job (the first one says what it waits for while it is held for the Neuron environment), the
    state of the run's Neuron environment and the train job's restarts when its request.json is there."""
    jobs = read_json(jobs_file)
    fields = {stage: scontrol_job(job_id) for stage, job_id in jobs["jobs"].items()}
    states = {
        stage: stage_state(jobs["runDir"], stage, job_id, fields[stage]) for stage, job_id in jobs["jobs"].items()
    }
    first = states.get(STAGES[0])
    if first and held_first_job(jobs, {"JobState": first["state"], "Reason": first["reason"]}):
        first["waitsFor"] = jobs["heldFor"]
    answer = {"run": jobs["run"], "jobs": states}
    request_file = os.path.join(jobs["runDir"], "request.json")
    if os.path.isfile(request_file):
        request = read_json(request_file)
        answer["neuronEnvironment"] = neuron_environment(request["neuronRelease"])
        train_id = jobs["jobs"].get("train")
        history = [
            entry for entry in read_restarts(restarts_file(jobs["runDir"], "train")) if entry.get("jobId") == train_id
        ]
        # Slurm counts a requeue at once; the history gets its entry when the stage requeues itself, or when the
        # next attempt starts after a requeue by Slurm (node failure) or by hand.
        slurm_count = fields.get("train") and fields["train"].get("Restarts", "0")
        count = max(len(history), int(slurm_count) if slurm_count and slurm_count.isdigit() else 0)
        answer["restarts"] = {"count": count, "max": request.get("maxTrainRestarts", 0), "history": history}
    print(line(answer))


def cmd_chain_state(jobs_file: str) -> None:
    """`active`, `completed`, or `ended STATE STAGE` (the first stage that did not complete): for cpt-run.sh."""
    state = chain_state(read_json(jobs_file))
    print(
        "active"
        if state["active"]
        else "completed"
        if state["completed"]
        else f"ended {state['state']} {state['stage']}"
    )


def cmd_validate_file(path: str, run: str = "") -> None:
    """A stored request.json (the run directory's, or its copy next to the checkpoints) is still a valid submit
    request of run `run` for this bundle (a resumed run submits it again)."""
    request = read_json(path)
    absent = [name for name in EARLIER_VERSION_FIELDS if isinstance(request, dict) and name not in request]
    if absent:
        raise RequestError(
            f"{path} was written by an earlier version of trainium-cpt (it has no {', '.join(absent)}), whose "
            f"checkpoints hold the separate q/k/v layout (--fuse_qkv 0) that this version cannot continue"
        )
    try:
        validate(request, "submit")
    except RequestError as error:
        raise RequestError(f"{path}: {error}") from None
    if run and request["run"] != run:
        raise RequestError(f"{path} is the request of run {request['run']}, not of run {run}")


def cmd_resumed_request(stored: str, new: str, output: str) -> None:
    """Writes the stored request with the new request's `resume` to `output` (atomically): the request of a run
    resumed from the copy next to its checkpoints."""
    request, resume = read_json(stored), read_json(new)["resume"]
    write_json_atomically(output, {name: resume if name == "resume" else request[name] for name in SUBMIT_FIELDS})


def cmd_request_differences(stored: str, new: str) -> None:
    """The fields (resume aside) in which a new request differs from the run's stored one, one a line."""
    old_request, new_request = read_json(stored), read_json(new)
    for name in SUBMIT_FIELDS:
        if name != "resume" and old_request.get(name) != new_request.get(name):
            print(name)


def cmd_any_checkpoints(directory: str) -> None:
    for tag in any_checkpoints(directory):
        print(tag)


def cmd_compile_key(request_file: str, nxd_dir: str, cc_flags: str, script: str, output: str) -> None:
    """Writes compile_key's material to `output` (the compile cache's marker, once the compile succeeded); prints
    the key."""
    request = read_json(request_file)
    with open(script, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    key = compile_key(request, nxd_dir, run_dir(request["run"]), cc_flags, digest)
    write_json_atomically(output, key)
    print(key["key"])


def cmd_status_file(
    path: str, stage: str, job_id: str, restart: str, state: str, code: str, nodes: str, reason: str = ""
) -> None:
    """The stage's status file, RUN_DIR/status/STAGE.json (stage-lib.sh write_status)."""
    record = {
        "stage": stage,
        "jobId": job_id,
        "restart": int(restart or 0),
        "state": state,
        "exitCode": int(code) if code.lstrip("-").isdigit() else None,
        "nodes": nodes,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if reason:
        record["reason"] = reason
    write_json_atomically(path, record)


def cmd_record_restart(path: str, job_id: str, attempt: str, exit_code: str, reason: str, *nodes: str) -> None:
    """Adds a failed attempt to RUN_DIR/status/STAGE-restarts.json (atomically)."""
    history = read_restarts(path)
    code = int(exit_code) if exit_code.lstrip("-").isdigit() else None
    history.append(restart_entry(int(attempt), job_id, code, reason, nodes))
    write_json_atomically(path, {"history": history})


def cmd_reconcile_restarts(path: str, status_path: str, job_id: str, restart_count: str) -> None:
    """At the start of attempt restart_count + 1: an entry for each earlier attempt of this job that has none, i.e.
    one that Slurm requeued (node failure) or someone did by hand (scontrol requeue): the stage records its own
    requeues before making them. Prints the attempts added."""
    history = read_restarts(path)
    seen = {entry.get("attempt") for entry in history if entry.get("jobId") == job_id}
    try:
        last = read_json(status_path)
    except (OSError, ValueError):
        last = {}
    added = []
    for attempt in range(1, int(restart_count or 0) + 1):
        if attempt in seen:
            continue
        # The status file the attempt left, when it could (a signal: TERMINATED, with the time it stopped).
        own = last if str(last.get("jobId")) == job_id and last.get("restart") == attempt - 1 else {}
        stopped = f" (the stage was stopped: {own['state']}, exit {own.get('exitCode')})" if own.get("state") else ""
        history.append(
            restart_entry(
                attempt,
                job_id,
                None,
                f"requeued by Slurm or by hand (a node failure, scontrol requeue), not by the stage{stopped}",
                [],
                own.get("time"),
            )
        )
        added.append(attempt)
    if added:
        history.sort(key=lambda entry: (str(entry.get("jobId")), entry.get("attempt", 0)))
        write_json_atomically(path, {"history": history})
    for attempt in added:
        print(attempt)


def cmd_failed_nodes(logs_dir: str, mode: str, job_id: str, which: str) -> None:
    """The nodes where a `mode` run failed (launch-training.sh leaves LOGS/MODE-JOB-nodeN.exit on each node):
    those whose launcher ended with a non-zero status of its own, not because it was signalled (srun
    --kill-on-bad-exit stops the others after the first failure): `which` first, the one that ended first (the
    node a failed training names); all, every one (the nodes a failed preflight drains). Prints "host<TAB>exit
    code" lines."""
    records = []
    for path in Path(logs_dir).glob(f"{mode}-{job_id}-node*.exit"):
        try:
            record = read_json(str(path))
        except (OSError, ValueError):
            continue
        if record.get("code") not in (0, None) and not record.get("signal"):
            records.append(record)
    records.sort(key=lambda record: record.get("time", 0))
    for record in records[:1] if which == "first" else records:
        print(f"{record['host']}\t{record['code']}")


def cmd_check_neuron_ls(path: str, host: str) -> None:
    """`neuron-ls --json-output` of one node (aws-neuronx-tools; the array of devices shown in
    tools/neuron-sys-tools/neuron-ls.rst of aws-neuron/aws-neuron-sdk at v2.28.1): DEVICES_PER_NODE devices and
    CORES_PER_NODE NeuronCores (a trn1.32xlarge or trn1n.32xlarge), none held by a process (a process left over
    from an earlier job keeps the runtime from taking the cores)."""
    try:
        devices = read_json(path)
    except ValueError as error:
        raise RuntimeError(f"{host}: neuron-ls --json-output printed no JSON ({error})") from None
    if not isinstance(devices, list) or not all(isinstance(device, dict) for device in devices):
        raise RuntimeError(f"{host}: neuron-ls --json-output printed no list of devices")
    cores = sum(int(device.get("nc_count") or 0) for device in devices)
    busy = sorted(
        {
            f"{process.get('pid')} ({process.get('command')})"
            for device in devices
            for process in device.get("neuron_processes") or []
        }
    )
    problems = []
    if len(devices) != DEVICES_PER_NODE or cores != CORES_PER_NODE:
        problems.append(
            f"{len(devices)} Neuron devices with {cores} NeuronCores, not {DEVICES_PER_NODE} with {CORES_PER_NODE}"
        )
    if busy:
        problems.append(f"the devices are in use by process(es) {', '.join(busy)}")
    if problems:
        raise RuntimeError(f"{host}: " + "; ".join(problems))
    print(f"{host}: {len(devices)} Neuron devices, {cores} NeuronCores, none in use")


def cmd_neuron_state(release: str, output: str) -> None:
    """Writes the environment's state (neuron_environment) to `output`; prints the state word for cpt-run.sh."""
    environment = neuron_environment(release)
    write_json_atomically(output, environment)
    print(environment["state"])


def cmd_neuron_refusal(neuron_file: str) -> None:
    print(neuron_refusal(read_json(neuron_file)))


def cmd_cancel_output(jobs_file: str) -> None:
    jobs = read_json(jobs_file)
    print(line({"run": jobs["run"], "cancelled": [jobs["jobs"][s] for s in STAGES if s in jobs["jobs"]]}))


def cmd_error(message: str) -> None:
    print(line({"error": message}))


def cmd_train_args(mode: str, request_file: str, nxd_dir: str, loading_step: str = "-1") -> None:
    request = read_json(request_file)
    for argument in training_arguments(request, mode, nxd_dir, run_dir(request["run"]), int(loading_step)):
        if "\n" in argument:
            raise ValueError(f"argument with a newline: {argument!r}")
        print(argument)


def cmd_checkpoints(directory: str) -> None:
    for tag in completed_checkpoints(directory):
        print(tag)


def cmd_check_dataset(directory: str) -> None:
    """A folder written by datasets' save_to_disk (or the Glue job, which writes the same layout)."""
    missing = [
        name for name in ("dataset_info.json", "state.json") if not os.path.isfile(os.path.join(directory, name))
    ]
    if missing:
        raise RuntimeError(f"{directory} is not a load_from_disk dataset folder: no {' and no '.join(missing)}")
    state = read_json(os.path.join(directory, "state.json"))
    files = [entry.get("filename") for entry in state.get("_data_files", [])]
    absent = [name for name in files if not name or not os.path.isfile(os.path.join(directory, name))]
    if not files or absent:
        raise RuntimeError(f"{directory}/state.json names no data file, or names missing ones: {absent}")
    print(f"{directory}: {len(files)} data file(s)")


MODEL_SHAPE_KEYS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)


def cmd_check_model(base_config: str, reference_config: str) -> None:
    """The downloaded model has the shape of the training script's model config (Llama 2 7B)."""
    base, reference = read_json(base_config), read_json(reference_config)
    differences = [
        f"{key} {base.get(key)} (the training config says {reference.get(key)})"
        for key in MODEL_SHAPE_KEYS
        if base.get(key, reference.get(key)) != reference.get(key)
    ]
    if differences:
        raise RuntimeError(f"{base_config} is not shaped like {reference_config}: " + "; ".join(differences))
    print(f"{base_config}: same shape as {reference_config}")


def cmd_exports_json(output: str, export_uri: str, export_directory: str, *tags: str) -> None:
    entries = [
        {
            "tag": tag,
            "step": int(tag.split("_", 1)[1]),
            "path": f"{export_directory}/{tag}/hf",
            "s3Uri": join_s3(export_uri, tag) + "/",
        }
        for tag in tags
    ]
    write_json_atomically(output, {"checkpoints": entries, "final": tags[-1] if tags else None})


def cmd_export_tags(exports_file: str) -> None:
    for entry in read_json(exports_file)["checkpoints"]:
        print(f"{entry['tag']}\t{entry['path']}")


def cmd_report(output: str, request_file: str, max_rows: str, *results: str) -> None:
    """The evaluation report: one entry per model (base, then each exported checkpoint), each the output of
    evaluate_perplexity.py; given as name=file pairs. Each model also gets `trainedTokens` (its step times
    `tokensPerStep`, the request's globalBatch x sequenceLength: the tokens of CPT it has seen), and the report the
    time of the evaluation (`evaluatedAt`, UTC); render_report.py draws the report from this file."""
    import time

    request = read_json(request_file)
    tokens_per_step = request["globalBatch"] * request["sequenceLength"]
    models = []
    for pair in results:
        name, _, path = pair.partition("=")
        result = read_json(path)
        step = 0 if name == "base" else int(name.split("_", 1)[1])
        models.append({"name": name, "step": step, "trainedTokens": step * tokens_per_step, **result})
    base = next((m for m in models if m["name"] == "base"), None)
    for model in models:
        if base is None or model is base:
            continue
        for set_name, values in model.get("sets", {}).items():
            base_value = base.get("sets", {}).get(set_name, {}).get("perplexity")
            if base_value:
                values["perplexityChangeVsBase"] = values["perplexity"] / base_value - 1
    write_json_atomically(
        output,
        {
            "run": request["run"],
            "baseModel": request["baseModel"],
            "evalPaths": request["evalPaths"],
            "maxRowsPerSet": int(max_rows),
            "tokensPerStep": tokens_per_step,
            "evaluatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "models": models,
        },
    )


def join_s3(prefix: str, *parts: str) -> str:
    return prefix.rstrip("/") + "/" + "/".join(parts)


def cmd_s3_join(prefix: str, *parts: str) -> None:
    print(join_s3(prefix, *parts))


COMMANDS = {
    "decode": cmd_decode,
    "get": cmd_get,
    "jobs-json": cmd_jobs_json,
    "submit-output": cmd_submit_output,
    "job-ids": cmd_job_ids,
    "status": cmd_status,
    "cancel-output": cmd_cancel_output,
    "error": cmd_error,
    "train-args": cmd_train_args,
    "checkpoints": cmd_checkpoints,
    "check-dataset": cmd_check_dataset,
    "check-model": cmd_check_model,
    "exports-json": cmd_exports_json,
    "export-tags": cmd_export_tags,
    "report": cmd_report,
    "s3-join": cmd_s3_join,
    "neuron-state": cmd_neuron_state,
    "neuron-refusal": cmd_neuron_refusal,
    "chain-state": cmd_chain_state,
    "validate-file": cmd_validate_file,
    "request-differences": cmd_request_differences,
    "resumed-request": cmd_resumed_request,
    "any-checkpoints": cmd_any_checkpoints,
    "compile-key": cmd_compile_key,
    "status-file": cmd_status_file,
    "record-restart": cmd_record_restart,
    "reconcile-restarts": cmd_reconcile_restarts,
    "failed-nodes": cmd_failed_nodes,
    "check-neuron-ls": cmd_check_neuron_ls,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: cpt_lib.py {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]](*argv[1:])
    except RequestError as error:
        print(str(error), file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, subprocess.TimeoutExpired) as error:
        print(f"cpt_lib {argv[0]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
