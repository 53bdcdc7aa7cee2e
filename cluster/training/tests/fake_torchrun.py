"""Fake of `torchrun ... RUN_DIR/scripts/tp_zero1_llama_hf_pretrain.py ...` (the sandbox's fake tool runs it with
runpy, giving it `args`, `record`, `emit`, `fails` and `completed`): it behaves as the patched training script
(nxd-pretrain.patch over examples/training/llama/tp_zero1_llama_hf_pretrain/ at tag v2.28.0 of
aws-neuron/neuronx-distributed) does with its data and its checkpoints, without a model.

- It checks that it was given the run's patched copy (resume_data.py next to it) and that PYTHONPATH finds the
  example's own modules (logger, modeling_llama_nxd, training_utils), and exits 2 otherwise.
- It starts where the script does (get_loading_tag and what follows): --loading_step -1 loads the tag
  pretrained_weight (--pretrained_weight), step 0; N loads step_N, which must be a completed checkpoint. Loading
  is strict, as the script's: the shards must hold the model of --fuse_qkv (fake_converter.load_error, from the
  recordings of the real model), and it saves that model's shards (fake_converter.model_keys, write_shards).
- It reads the data as the script does: each data-parallel rank has
  DataLoader(DistributedSampler(shuffle=False, drop_last=True), batch_size=--batch_size, drop_last=True)
  (training_utils.py create_llama_pretraining_dataset), imitated below with torch 2.9.0's index arithmetic, and the
  patched script calls the REAL resume_data.skip_consumed (imported from the run's scripts folder) on it.
- It runs train_loop_fn's loop: --grad_accum_usteps micro-batches an optimizer step, the micro-step count going
  on across passes, `while True` starting a new pass, stopping once global_step >= --steps_this_run (checked
  after a step only). Node 0 records the rows (dataset indices) of each optimizer step on every data-parallel
  rank: {"event": "step", "step", "epoch", "rows": [[rank 0 rows], ...]}.
- It saves where the patched script does: global_step % --checkpoint_freq == 0, or --checkpoint_at_end and
  global_step >= --steps_this_run; then prunes as nxd's _determine_remove_tags (trainer/checkpoint.py): of the
  tags with a "checkpoint" file, in the order of its modification time, the incomplete ones before the first
  complete one and the oldest complete ones beyond --num_kept_checkpoint.
- A pass that makes no optimizer step fails as the script does: train_loop_fn returns
  running_loss_reduced_detached, which only an optimizer step binds (UnboundLocalError). So does a pass end on
  node 0 before the attempt logged a step, unless the script is patched against it (logger.throughputs[-1]).
Under neuron_parallel_compile (NEURON_EXTRACT_GRAPHS_ONLY=1) it does the same, without sleeping; the compile
stage's arguments make it save nothing.

Knobs: CPT_FAKE_TRAIN_SLEEP, seconds to sleep after each checkpoint on the first attempt (SLURM_RESTART_COUNT
unset or 0); CPT_FAKE_SAVE_PAUSES, JSON {"<step>": {"during": seconds between the save's "checkpoint" and "done"
files, "after": seconds to sleep after it (instead of CPT_FAKE_TRAIN_SLEEP), "after_stop_by": sleep until the run's
stopBy (from request.json next to the checkpoints) plus this many seconds}}, on the first attempt too;
CPT_FAKE_FAIL (see training_sandbox.py).
"""

# ruff: noqa: F821  (args, record, emit, fails, completed come from the caller)
import calendar
import json
import os
import shutil
import sys
import time
from pathlib import Path

LAUNCHER_OPTIONS = ("--nproc_per_node", "--nnodes", "--node_rank", "--master_addr", "--master_port")
CORES_PER_NODE = 32

launcher, index = {}, 0
while index < len(args) and args[index] in LAUNCHER_OPTIONS:
    launcher[args[index]] = args[index + 1]
    index += 2
script, script_args = args[index], args[index + 1 :]


def option(name, default=None):
    return script_args[script_args.index(name) + 1] if name in script_args else default


extract = os.environ.get("NEURON_EXTRACT_GRAPHS_ONLY") == "1"
ckpt = Path(option("--checkpoint_dir"))
loading_step = option("--loading_step", "-1")
restart = int(os.environ.get("SLURM_RESTART_COUNT") or 0)
record.update(
    script=script,
    loading_step=loading_step,
    extract=extract,
    checkpoints_seen=completed(str(ckpt)),
    pretrained_weight=(ckpt / "pretrained_weight" / ".complete").is_file(),
)
if fails("torchrun"):
    emit(event="fail")
    print("torchrun: simulated failure", file=sys.stderr)
    sys.exit(1)
emit(event="start")


def stop(message, status=1):
    emit(event="error", error=message)
    print(f"fake torchrun: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


# The script must be the patched copy, with what it imports where Python looks.
text = Path(script).read_text() if Path(script).is_file() else ""
if "import resume_data" not in text or "checkpoint_at_end" not in text:
    stop(f"{script} is not the training script patched with nxd-pretrain.patch", 2)
if not (Path(script).parent / "resume_data.py").is_file():
    stop(f"resume_data.py is not next to {script}", 2)
path = [entry for entry in os.environ.get("PYTHONPATH", "").split(":") if entry]
for module in ("logger", "modeling_llama_nxd", "training_utils"):
    if not any((Path(entry) / f"{module}.py").is_file() for entry in path):
        stop(f"PYTHONPATH {path} does not find the example's module {module}", 2)

# get_loading_tag and what follows it (tp_zero1_llama_hf_pretrain.py, v2.28.0).
if loading_step == "-1":
    if "--pretrained_weight" not in script_args or not record["pretrained_weight"]:
        stop(f"--loading_step -1 without the pretrained weights in {ckpt}/pretrained_weight")
    global_step = 0
elif loading_step.isdigit():
    if int(loading_step) not in completed(str(ckpt)):
        stop(f"nxd.load_checkpoint: {ckpt}/step_{loading_step} is not a completed checkpoint")
    global_step = int(loading_step)
else:
    stop(f"--loading_step {loading_step}: the stages pass -1 or a step")

tp = int(option("--tensor_parallel_size"))
data_parallel = int(launcher["--nnodes"]) * CORES_PER_NODE // tp
batch_size, grad_accum = int(option("--batch_size")), int(option("--grad_accum_usteps"))
every, kept = int(option("--checkpoint_freq")), int(option("--num_kept_checkpoint"))
steps_this_run, at_end = int(option("--steps_this_run")), "--checkpoint_at_end" in script_args
logging_interval = int(option("--logging_interval", "1"))
# The script prints and records logger.throughputs[-1] at every pass end, and max(logger.throughputs) at the run's
# end (lines 458, 472 and 510 at v2.28.0); the list grows only at logged steps (global_step % --logging_interval,
# line 331; logger.py line 73), and starts empty in every attempt. nxd-pretrain.patch guards the three reads.
guarded = (
    "logger.throughputs[-1] if logger.throughputs else None" in text and "max(logger.throughputs, default=None)" in text
)
is_root = launcher["--node_rank"] == "0" and not extract
info = json.loads((Path(option("--data_dir")) / "dataset_info.json").read_text())
rows = info["splits"]["train"]["num_examples"]


sys.path.insert(0, str(Path(__file__).resolve().parent))
import fake_converter  # noqa: E402  (the recorded model's shards: its listing, its strict load)
from torch_data import BatchSampler, DataLoader, DistributedSampler  # noqa: E402  (torch's index arithmetic)

sys.path.insert(0, str(Path(script).parent))
import resume_data  # noqa: E402  (the run's copy, as the patched script imports it)

fuse_qkv = option("--fuse_qkv", "1") == "1"  # the script's default is 1


def load(model_dir):
    """nxd.load_checkpoint of the model's shards (strict, as the script's load_state_dict)."""
    try:
        error = fake_converter.load_error(fake_converter.read_shards(model_dir, tp), fuse_qkv, tp)
    except (OSError, ValueError, fake_converter.NotRecorded) as failure:
        error = str(failure)
    if error:
        stop(f"nxd.load_checkpoint of {model_dir}: {error}")


load(ckpt / ("pretrained_weight" if global_step == 0 else f"step_{global_step}") / "model")

loaders = [
    DataLoader(BatchSampler(DistributedSampler(rows, data_parallel, rank), batch_size)) for rank in range(data_parallel)
]
epoch = 0
for loader in loaders:
    epoch = resume_data.skip_consumed(loader, global_step, grad_accum)


first_attempt = restart == 0 and not extract
pauses = json.loads(os.environ.get("CPT_FAKE_SAVE_PAUSES") or "{}") if first_attempt else {}


def pause_after(step):
    """CPT_FAKE_SAVE_PAUSES's pause after the save of `step`, or CPT_FAKE_TRAIN_SLEEP."""
    pause = pauses.get(str(step), {})
    if "after_stop_by" in pause:
        stop_by = json.loads((ckpt / "request.json").read_text())["stopBy"]
        until = calendar.timegm(time.strptime(stop_by, "%Y-%m-%dT%H:%M:%SZ")) + pause["after_stop_by"]
        time.sleep(max(0.0, until - time.time()))
    elif first_attempt:
        time.sleep(float(pause.get("after", os.environ.get("CPT_FAKE_TRAIN_SLEEP", "0"))))


def save(step):
    tag = ckpt / f"step_{step}"
    tag.mkdir(parents=True, exist_ok=True)
    (tag / "checkpoint").write_text("1")
    fake_converter.write_shards(tag / "model", fake_converter.model_keys(fuse_qkv, tp), f"fake torchrun, step {step}")
    time.sleep(pauses.get(str(step), {}).get("during", 0))
    (tag / "done").write_text("1")
    tags = sorted(
        (entry for entry in ckpt.iterdir() if (entry / "checkpoint").is_file()),
        key=lambda entry: ((entry / "checkpoint").stat().st_mtime_ns, entry.name),
    )
    remove, complete = [], []
    for entry in tags:
        if (entry / "done").is_file():
            complete.append(entry)
        elif not complete:
            remove.append(entry)
    if kept != -1 and len(complete) > kept:
        remove += complete[: len(complete) - kept]
    for entry in remove:
        (entry / "done").unlink(missing_ok=True)
        shutil.rmtree(entry)
    emit(event="save", tag=tag.name, extract=extract)
    print(f"fake torchrun: wrote {tag}", flush=True)
    pause_after(step)


training_ustep = 0
throughputs = 0
consumed = [[] for _ in loaders]
while True:
    stepped = False
    for batches in zip(*loaders):
        training_ustep += 1
        for rank, batch in enumerate(batches):
            consumed[rank].extend(batch)
        if training_ustep % grad_accum == 0:
            global_step += 1
            stepped = True
            throughputs += global_step % logging_interval == 0
            if launcher["--node_rank"] == "0":
                emit(event="step", step=global_step, epoch=epoch, rows=consumed, extract=extract)
            consumed = [[] for _ in loaders]
            if every > 0 and global_step % every == 0 or at_end and global_step >= steps_this_run:
                save(global_step)
            if global_step >= steps_this_run:
                break
    if not stepped:
        stop(
            "UnboundLocalError: local variable 'running_loss_reduced_detached' referenced before assignment "
            f"(a pass of epoch {epoch} made no optimizer step)"
        )
    if is_root and not throughputs and not guarded:
        stop(
            f"IndexError: list index out of range (logger.throughputs[-1] at the end of a pass at step {global_step}: "
            f"no step of this attempt was logged, --logging_interval {logging_interval})"
        )
    if global_step >= steps_this_run:
        break
    epoch += 1
emit(event="end")
