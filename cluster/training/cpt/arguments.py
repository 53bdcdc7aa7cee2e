"""The training script's arguments, for the compile run and the training run, and the compile cache's key."""

from __future__ import annotations

import hashlib
import json

from .files import read_json, write_json_atomically
from .paths import MODEL_CONFIG_DIR, checkpoint_dir, fsx_path, patched_script, run_dir


def _format_number(value) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def training_arguments(request: dict, mode: str, nxd_dir: str, run_directory: str, loading_step: int = -1) -> list[str]:
    """The arguments after `torchrun <launcher options>`, for the compile run and the training run alike; they
    differ only in --steps_this_run (compileSteps for neuron_parallel_compile, steps for training), --loading_step
    (always -1 for compile) and --checkpoint_at_end (training only).

    The script is the run's patched copy, RUN_DIR/patched/tp_zero1_llama_hf_pretrain.py, which the prepare stage
    writes by applying nxd-pretrain.patch to the example. Argument names are those of
    examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py at tag v2.28.0 of
    github.com/aws-neuron/neuronx-distributed (its argparse block), and the reference values
    those of tp_zero1_llama2_7B_hf_pretrain.sh next to it (mixed precision, ZeRO-1, sequence parallel, selective
    activation checkpointing). The numbers derived from the run's settings come with the request (`derived`,
    computed once in TypeScript):
      --grad_accum_usteps derived.gradientAccumulation: globalBatch / (data-parallel degree x microBatch)
      --max_steps         derived.scheduleSteps: the script (v2.28.0) schedules the learning rate with
                          transformers' get_linear_schedule_with_warmup(num_warmup_steps=--warmup_steps,
                          num_training_steps=--max_steps), a linear warm-up, then a linear decay that reaches 0 at
                          --max_steps, with no minimum learning rate; so --max_steps lies past the last step, where
                          the decay line reaches 0, such that at step `steps` (where --steps_this_run stops
                          training) the learning rate is minLearningRate
      --logging_interval  derived.loggingInterval: steps between two step lines (the stall alarm's figure too)
    and the others:
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
    derived = request["derived"]
    steps_this_run = request["compileSteps"] if mode == "compile" else request["steps"]
    options = (
        ("--model_path", f"{nxd_dir}/{MODEL_CONFIG_DIR}"),
        ("--data_dir", fsx_path(request["trainPath"])),
        ("--output_dir", f"{run_directory}/output"),
        ("--metrics_file", f"{run_directory}/output/results.json"),
        ("--tensor_parallel_size", request["tensorParallel"]),
        ("--seq_len", request["sequenceLength"]),
        ("--batch_size", request["microBatch"]),
        ("--grad_accum_usteps", derived["gradientAccumulation"]),
        ("--max_steps", derived["scheduleSteps"]),
        ("--steps_this_run", steps_this_run),
        ("--warmup_steps", request["warmupSteps"]),
        ("--lr", _format_number(request["learningRate"])),
        ("--use_mix_precision",),
        ("--use_zero_1",),
        ("--sequence_parallel_enabled",),
        ("--selective_checkpoint_enabled",),
        ("--fuse_qkv", 1),
        ("--logging_interval", derived["loggingInterval"]),
        ("--checkpoint_dir", checkpoint_dir(request["run"])),
        ("--checkpoint_freq", request["checkpointEvery"]),
        ("--num_kept_checkpoint", request["checkpointsKept"]),
        ("--loading_step", loading_step),
        ("--pretrained_weight",),
        *([("--checkpoint_at_end",)] if mode == "train" else []),
    )
    # An option and its value, if it takes one: the argv words in this order (the compile key hashes them).
    return [patched_script(run_directory), *(str(word) for option in options for word in option)]


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


def cmd_train_args(mode: str, request_file: str, nxd_dir: str, loading_step: str = "-1") -> None:
    request = read_json(request_file)
    for argument in training_arguments(request, mode, nxd_dir, run_dir(request["run"]), int(loading_step)):
        if "\n" in argument:
            raise ValueError(f"argument with a newline: {argument!r}")
        print(argument)


def cmd_compile_key(request_file: str, nxd_dir: str, cc_flags: str, script: str, output: str) -> None:
    """Writes compile_key's material to `output` (the compile cache's marker, once the compile succeeded); prints
    the key."""
    request = read_json(request_file)
    with open(script, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    key = compile_key(request, nxd_dir, run_dir(request["run"]), cc_flags, digest)
    write_json_atomically(output, key)
    print(key["key"])
