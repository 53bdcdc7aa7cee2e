# shellcheck shell=bash
# stage-lib.sh: sourced by the stage scripts (stage-*.sh) and by launch-training.sh, from the run's own copy in
# RUN_DIR/scripts/. Slurm runs a batch script from a copy in its spool folder, so the scripts find this file, and
# everything else, through the path of the run's request.json, their one argument.
#
# Defines: strict mode and the ERR trap (a failure names its step), logging, the run's paths and request values
# (load_request), the training environment and command (training_environment, training_command), and the
# stage's status file (stage_begin).
#
# Environment (optional, as for cpt-run.sh; Slurm passes the submitter's environment to the jobs):
#   CPT_FSX, CPT_SLURM_BIN, CPT_NEURON_VENV, CPT_NXD_DIR, CPT_PYTHON
#   CPT_EVAL_MAX_ROWS     rows of each evaluation set scored per model (default 32, 131,072 tokens at 4,096)
#   CPT_COMPILE_CACHE     Neuron's compile cache (default FSX/trainium-cpt/compile-cache, shared by the nodes)
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
umask 022

STAGE=${STAGE:-launch}
STEP=start
# The system Python for cpt_lib.py, resolved before load_request puts the Neuron environment first on PATH.
PY=$(command -v "${CPT_PYTHON:-python3}") || {
  echo "stage-lib: ${CPT_PYTHON:-python3} not found" >&2
  exit 1
}
FSX=${CPT_FSX:-/fsx}
FSX=${FSX%/}
SLURM_BIN=${CPT_SLURM_BIN:-/opt/slurm/bin}

say() {
  printf '%s stage-%s[job %s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$STAGE" "${SLURM_JOB_ID:-none}" "$*"
}

step() {
  STEP=$1
  say "step: $STEP"
}

die() {
  say "error: $*"
  return 1
}

on_error() {
  local rc=$?
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
  trap - ERR
  say "step '$STEP' failed (exit $rc)" >&2
  exit "$rc"
}
trap on_error ERR

# One field of the request (or a derived value, see cpt_lib.py get).
req() {
  "$PY" "$SCRIPTS/cpt_lib.py" get "$REQUEST" "$1"
}

# Sets the run's paths and the request values the scripts use. $1: the run's request.json.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
load_request() {
  [ -f "${1:-}" ] || {
    printf 'stage-%s: usage: %s RUN_DIR/request.json (got "%s")\n' "$STAGE" "$0" "${1:-}" >&2
    exit 2
  }
  REQUEST=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  RUN_DIR=$(dirname "$REQUEST")
  SCRIPTS=$RUN_DIR/scripts
  RUN=$(req run)
  RELEASE=$(req neuronRelease)
  TP=$(req tensorParallel)
  CKPT_DIR=$(req checkpointDir)
  VENV=${CPT_NEURON_VENV:-$FSX/trainium-cpt/neuron-$RELEASE/venv}
  NXD_DIR=${CPT_NXD_DIR:-$FSX/trainium-cpt/neuron-$RELEASE/neuronx-distributed}
  LLAMA_DIR=$NXD_DIR/examples/training/llama
  # The model configuration of the training script (Llama 2 7B): the converter and the export read it too.
  MODEL_CONFIG=$LLAMA_DIR/tp_zero1_llama_hf_pretrain/7B_config_llama2/config.json
  CONVERTER=$LLAMA_DIR/convert_checkpoints.py
  BASE_HF=$RUN_DIR/base/hf
  BASE_NXD=$RUN_DIR/base/nxd
  EXPORT_DIR=$RUN_DIR/export
  REPORT_DIR=$RUN_DIR/report
  VPY=$VENV/bin/python3
  export PATH="$VENV/bin:$SLURM_BIN:$PATH"
}

# The environment of the compile and training runs (both call this; neither sets anything else). Values of the
# reference run, examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama2_7B_hf_pretrain.sh at tag
# v2.28.0 of aws-neuron/neuronx-distributed, with the compile cache on FSx so that every node and the training
# job find what neuron_parallel_compile compiled.
training_environment() {
  local cache=${CPT_COMPILE_CACHE:-$FSX/trainium-cpt/compile-cache}
  mkdir -p "$cache"
  export VIRTUAL_ENV=$VENV
  export NEURON_CC_FLAGS="--model-type transformer --cache_dir=$cache"
  export NEURON_FUSE_SOFTMAX=1
  export NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS=3
  export MALLOC_ARENA_MAX=64
  export FI_PROVIDER=efa
  export FI_EFA_USE_DEVICE_RDMA=1
  export NEURON_RT_NUM_CORES=32
  export NUM_NEURONCORES=32
  export TPU_NUM_DEVICES=32
  export TPU_CHIPS_PER_HOST_BOUNDS=32
  # The example imports modeling_llama_nxd and training_utils from examples/training/llama/, next to its folder.
  export PYTHONPATH=$LLAMA_DIR
}

# Fills LAUNCH with the command of this node: MODE compile or train. The torchrun launcher (one per node, 32
# processes, node 0 of the job's node list as the rendezvous) and the script's arguments (cpt_lib.py
# training_arguments) are the same for both; compile puts neuron_parallel_compile in front, and its script
# arguments differ only in --steps_this_run.
# shellcheck disable=SC2034  # LAUNCH is for launch-training.sh
training_command() {
  local mode=$1 hosts master script_args_text
  local -a script_args
  hosts=$(scontrol show hostnames "$SLURM_JOB_NODELIST")
  master=${hosts%%$'\n'*}
  script_args_text=$("$PY" "$SCRIPTS/cpt_lib.py" train-args "$mode" "$REQUEST" "$NXD_DIR")
  mapfile -t script_args <<<"$script_args_text"
  local torchrun=(torchrun --nproc_per_node 32 --nnodes "$SLURM_NNODES" --node_rank "$SLURM_NODEID"
    --master_addr "$master" --master_port 44000)
  case $mode in
    compile) LAUNCH=(neuron_parallel_compile "${torchrun[@]}" "${script_args[@]}") ;;
    train) LAUNCH=("${torchrun[@]}" "${script_args[@]}") ;;
    *) die "unknown mode $mode" ;;
  esac
}

# Runs launch-training.sh MODE once on every node of the job (one task a node) and waits for all of them.
run_on_every_node() {
  local mode=$1
  say "running the $mode command on $SLURM_NNODES node(s): $SLURM_JOB_NODELIST"
  srun --nodes "$SLURM_NNODES" --ntasks "$SLURM_NNODES" --ntasks-per-node 1 --kill-on-bad-exit=1 --label \
    bash "$SCRIPTS/launch-training.sh" "$mode" "$REQUEST"
}

# The stage's status file, RUN_DIR/status/STAGE.json: RUNNING while the job runs, then COMPLETED, FAILED (with the
# exit code) or TERMINATED (a signal: cancel, requeue, time limit). `cpt-run.sh status` reads it once Slurm has
# forgotten the job.
write_status() {
  local state=$1 code=${2:-null} file=$RUN_DIR/status/$STAGE.json
  mkdir -p "$RUN_DIR/status"
  printf '{"stage":"%s","jobId":"%s","restart":%s,"state":"%s","exitCode":%s,"nodes":"%s","time":"%s"}\n' \
    "$STAGE" "${SLURM_JOB_ID:-}" "${SLURM_RESTART_COUNT:-0}" "$state" "$code" "${SLURM_JOB_NODELIST:-}" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$file.tmp"
  mv -f "$file.tmp" "$file"
}

on_exit() {
  local rc=$?
  if [ "$rc" -eq 0 ]; then
    write_status COMPLETED 0
    say "done"
  elif [ "$rc" -ge 128 ]; then
    write_status TERMINATED "$rc"
  else
    write_status FAILED "$rc"
  fi
}

# Starts a stage: STAGE, the request, the status file. $1: the request.json argument of the job.
stage_begin() {
  load_request "${1:-}"
  say "run $RUN, job ${SLURM_JOB_ID:-none} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-this host}; run directory $RUN_DIR"
  write_status RUNNING
  trap on_exit EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
}
