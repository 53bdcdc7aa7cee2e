# shellcheck shell=bash
# stage-lib.sh: sourced by the stage scripts (stage-*.sh) and by launch-training.sh, from the run's own copy in
# RUN_DIR/scripts/. Slurm runs a batch script from a copy in its spool folder, so the scripts find this file, and
# everything else, through the path of the run's request.json, their one argument.
#
# Defines: strict mode and the ERR trap (a failure names its step: prelude.sh), logging, the run's paths and request
# values (load_request: `cpt env`), the training environment and command (training_environment, training_command), the nodes'
# preflight (run_preflight, node_preflight), the stage's status file (stage_begin) and the recovery of the
# compile and train jobs (restart_or_fail: drain the nodes that fail their checks, requeue the job).
#
# Environment (optional, as for cpt-run.sh; Slurm passes the submitter's environment to the jobs):
#   CPT_FSX, CPT_SLURM_BIN, CPT_NEURON_VENV, CPT_NXD_DIR, CPT_PYTHON
#   CPT_EVAL_MAX_ROWS     rows of each evaluation set scored per model (default 32, 131,072 tokens at 4,096)
#   CPT_COMPILE_CACHE     Neuron's compile cache (default FSX/trainium-cpt/compile-cache, shared by the nodes)
#   CPT_NEURON_TOOLS      where aws-neuronx-tools put neuron-ls and nccom-test (default /opt/aws/neuron/bin, the
#                         PATH entry of the Neuron setup guides, e.g. about-neuron/quick-start/
#                         torch-neuron-tab-training.rst of aws-neuron/aws-neuron-sdk v2.28.1)
#   CPT_PREFLIGHT_TIMEOUT seconds each nccom-test of the preflight may take (default 600)
#   CPT_LOCKED_MEMORY     the locked-memory limit (ulimit -l) the preflight wants (default unlimited; the tests'
#                         loopback Slurm cannot raise its own)
# shellcheck source=prelude.sh
. "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

# The name in the log lines: launch-training.sh sets it before sourcing this file, the stages by stage_begin.
STAGE=${STAGE:-launch}
# The system Python for the cpt package, resolved before load_request puts the Neuron environment first on PATH.
PY=$(command -v "${CPT_PYTHON:-python3}") || {
  echo "stage-lib: ${CPT_PYTHON:-python3} not found" >&2
  exit 1
}
FSX=${CPT_FSX:-/fsx}
FSX=${FSX%/}
SLURM_BIN=${CPT_SLURM_BIN:-/opt/slurm/bin}

say() {
  printf '%s stage-%s[job %s]: %s\n' "$(utc_now)" "$STAGE" "${SLURM_JOB_ID:-none}" "$*"
}

report_failure() {
  say "$1" >&2
}
trap on_error ERR

# The cpt package (python3 SCRIPTS/cpt COMMAND ...: cpt/cli.py), from the run's copy.
cpt() {
  "$PY" "$SCRIPTS/cpt" "$@"
}

# Sets the request values (REQ_<FIELD>, e.g. REQ_NEURON_RELEASE, REQ_TIME_LIMITS_TRAIN, REQ_DERIVED_CORES_PER_NODE)
# and the run's paths: those `cpt env` prints (RUN_DIR, CKPT_DIR, TRAIN_DIR, EVAL_DOMAIN_DIR, EVAL_GENERAL_DIR,
# SECRET_REGION, VENV, NXD_DIR, LLAMA_DIR, EXAMPLE_SCRIPT, the example as the Neuron environment checked it out,
# PATCHED_SCRIPT, the run's patched copy that compile and train run, COMPILE_CACHE, Neuron's compile cache shared by
# the nodes, MODEL_CONFIG, the model configuration of the training script (Llama 2 7B), which the converter and the
# export read too, and CONVERTER), and the stages' own.
# $1: the run's request.json.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
load_request() {
  [ -f "${1:-}" ] || {
    printf 'stage-%s: usage: %s RUN_DIR/request.json (got "%s")\n' "$STAGE" "$0" "${1:-}" >&2
    exit 2
  }
  local assignments
  REQUEST=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  SCRIPTS=$(dirname "$REQUEST")/scripts
  # Every value quoted by cpt/shell_env.py: read once, never as code.
  assignments=$(cpt env "$REQUEST")
  eval "$assignments"
  BASE_HF=$RUN_DIR/base/hf
  BASE_NXD=$RUN_DIR/base/nxd
  EXPORT_DIR=$RUN_DIR/export
  REPORT_DIR=$RUN_DIR/report
  VPY=$VENV/bin/python3
  # NEURON_CC_FLAGS of the reference run, but the cache (training_environment adds it).
  CC_FLAGS="--model-type transformer"
  export PATH="$VENV/bin:$SLURM_BIN:${CPT_NEURON_TOOLS:-/opt/aws/neuron/bin}:$PATH"
}

# The environment of the compile and training runs (both call this; neither sets anything else). Values of the
# reference run, examples/training/llama/tp_zero1_llama_hf_pretrain/tp_zero1_llama2_7B_hf_pretrain.sh at tag
# v2.28.0 of aws-neuron/neuronx-distributed, with the compile cache on FSx so that every node and the training
# job find what neuron_parallel_compile compiled.
training_environment() {
  mkdir -p "$COMPILE_CACHE"
  export VIRTUAL_ENV=$VENV
  export NEURON_CC_FLAGS="$CC_FLAGS --cache_dir=$COMPILE_CACHE"
  export NEURON_FUSE_SOFTMAX=1
  export NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS=3
  export MALLOC_ARENA_MAX=64
  export FI_PROVIDER=efa
  export FI_EFA_USE_DEVICE_RDMA=1
  # The NeuronCores of a node (32 on a trn1.32xlarge), as the request says (derived.coresPerNode).
  export NEURON_RT_NUM_CORES=$REQ_DERIVED_CORES_PER_NODE
  export NUM_NEURONCORES=$REQ_DERIVED_CORES_PER_NODE
  export TPU_NUM_DEVICES=$REQ_DERIVED_CORES_PER_NODE
  export TPU_CHIPS_PER_HOST_BOUNDS=$REQ_DERIVED_CORES_PER_NODE
  # The patched copy runs from RUN_DIR/patched (Python puts its folder first on sys.path: the prepare stage put
  # resume_data.py there); the example's imports are found through PYTHONPATH: logger from its own folder,
  # tp_zero1_llama_hf_pretrain/, and modeling_llama_nxd and training_utils from examples/training/llama/.
  export PYTHONPATH=$LLAMA_DIR/tp_zero1_llama_hf_pretrain:$LLAMA_DIR
}

# Fills LAUNCH with the command of this node: MODE compile or train, LOADING_STEP (train only) -1 or the step of
# the checkpoint to continue. The torchrun launcher (one per node, a process per NeuronCore, node 0 of the job's node list as
# the rendezvous) and the script's arguments (cpt/arguments.py training_arguments) are the same for both; compile puts
# neuron_parallel_compile in front, and its script arguments differ in --steps_this_run, --loading_step (-1) and
# --checkpoint_at_end (absent).
# shellcheck disable=SC2034  # LAUNCH is for launch-training.sh
training_command() {
  local mode=$1 loading_step=${2:--1} hosts master script_args_text
  local -a script_args
  hosts=$(scontrol show hostnames "$SLURM_JOB_NODELIST")
  master=${hosts%%$'\n'*}
  script_args_text=$(cpt train-args "$mode" "$REQUEST" "$NXD_DIR" "$loading_step")
  mapfile -t script_args <<<"$script_args_text"
  local torchrun=(torchrun --nproc_per_node "$REQ_DERIVED_CORES_PER_NODE" --nnodes "$SLURM_NNODES" --node_rank "$SLURM_NODEID"
    --master_addr "$master" --master_port 44000)
  case $mode in
    compile) LAUNCH=(neuron_parallel_compile "${torchrun[@]}" "${script_args[@]}") ;;
    train) LAUNCH=("${torchrun[@]}" "${script_args[@]}") ;;
    *) die "unknown mode $mode" ;;
  esac
}

# Sets EVERY_NODE to the srun command that runs launch-training.sh MODE [ARGUMENT] once on every node of the job (one
# task a node). Each node's launcher leaves RUN_DIR/logs/MODE-JOB-nodeN.exit (those of an earlier attempt are
# removed here).
every_node_command() {
  local mode=$1
  shift
  rm -f "$RUN_DIR/logs/$mode-${SLURM_JOB_ID}-node"*.exit
  say "running the $mode command on $SLURM_NNODES node(s): $SLURM_JOB_NODELIST"
  EVERY_NODE=(srun --nodes "$SLURM_NNODES" --ntasks "$SLURM_NNODES" --ntasks-per-node 1 --kill-on-bad-exit=1 --label
    bash "$SCRIPTS/launch-training.sh" "$mode" "$REQUEST" "$@")
}

# Runs launch-training.sh MODE [ARGUMENT] on every node (every_node_command) and waits for all of them.
run_on_every_node() {
  every_node_command "$@"
  "${EVERY_NODE[@]}"
}

# Fails, saying why, unless the locked-memory limit of the job on host $1 is unlimited (CPT_LOCKED_MEMORY): EFA
# registers the training's buffers with the device, which locks their pages, and a job that is not root's is held
# to its limit. The jobs take slurmd's limits (cpt-run.sh submits with sbatch --propagate=NONE), which
# ParallelCluster's slurmd unit makes unlimited (LimitMEMLOCK=infinity in cookbooks/aws-parallelcluster-slurm/
# templates/default/slurm/compute/slurmd.service.erb of aws-parallelcluster-cookbook).
check_locked_memory() {
  local host=$1 wanted=${CPT_LOCKED_MEMORY:-unlimited} limit
  step "check the locked-memory limit on $host"
  limit=$(ulimit -l)
  [ "$limit" = "$wanted" ] && return 0
  say "the locked-memory limit (ulimit -l) of this job on $host is $limit KiB, not $wanted: EFA needs it unlimited; the jobs take slurmd's limits (sbatch --propagate=NONE), so give slurmd LimitMEMLOCK=infinity (systemctl edit slurmd) on $host"
  return 1
}

# The checks of one node before compile or train (launch-training.sh preflight runs it on every node), with
# aws-neuronx-tools (tools/neuron-sys-tools/neuron-ls.rst and nccom-test.rst of aws-neuron/aws-neuron-sdk at
# v2.28.1): neuron-ls --json-output lists its devices (cpt check-neuron-ls wants the request's
# derived.devicesPerNode, 16, with derived.coresPerNode NeuronCores, 32, and no process on them); nccom-test -r
# <coresPerNode> allr --check runs an all-reduce over the node's NeuronCores and checks the result.
node_preflight() {
  local host=$1 listing
  check_locked_memory "$host" || return 1
  listing=$(mktemp "${TMPDIR:-/tmp}/neuron-ls.XXXXXX")
  step "list the Neuron devices of $host"
  if ! neuron-ls --json-output >"$listing"; then
    rm -f "$listing"
    say "neuron-ls failed on $host"
    return 1
  fi
  cpt check-neuron-ls "$listing" "$host" "$REQ_DERIVED_DEVICES_PER_NODE" "$REQ_DERIVED_CORES_PER_NODE" || {
    rm -f "$listing"
    return 1
  }
  rm -f "$listing"
  step "run an all-reduce over the $REQ_DERIVED_CORES_PER_NODE NeuronCores of $host"
  timeout "${CPT_PREFLIGHT_TIMEOUT:-600}" nccom-test -r "$REQ_DERIVED_CORES_PER_NODE" -N 1 --check --non-interactive allr
}

# The preflight of a compile or train job: node_preflight on every node (each node's status in
# RUN_DIR/logs/preflight-JOB-nodeN.exit, so a failure names its node), then, with more than one node, an
# all-reduce over all of them, in nccom-test's Slurm mode on this job's own allocation (--slurm-mode
# --slurm-job-id, nccom-test.rst "Slurm Execution"): a rank per NeuronCore of each node, EFA between them. A failure of the latter
# names no node.
run_preflight() {
  run_on_every_node preflight || return
  [ "$SLURM_NNODES" -gt 1 ] || return 0
  step "run an all-reduce over the $SLURM_NNODES nodes"
  timeout "${CPT_PREFLIGHT_TIMEOUT:-600}" nccom-test -r $((REQ_DERIVED_CORES_PER_NODE * SLURM_NNODES)) -N "$SLURM_NNODES" --check \
    --non-interactive --slurm-mode --slurm-job-id "$SLURM_JOB_ID" allr
}

# The stage's status file, RUN_DIR/status/STAGE.json: RUNNING while the job runs, then COMPLETED, FAILED (with the
# exit code, and the reason when the stage gave one), REQUEUED (the stage requeued itself, with the reason),
# STOPPED_FOR_BLOCK_END (the train job stopped for the request's stopBy, with its message: stage-train.sh) or
# TERMINATED (a signal: cancel, requeue, time limit). `cpt-run.sh status` reads it once Slurm has forgotten the job.
write_status() {
  local state=$1 code=${2:-null} reason=${3:-}
  mkdir -p "$RUN_DIR/status"
  cpt status-file "$RUN_DIR/status/$STAGE.json" "$STAGE" "${SLURM_JOB_ID:-}" \
    "${SLURM_RESTART_COUNT:-0}" "$state" "$code" "${SLURM_JOB_NODELIST:-}" "$reason"
}

# Set by restart_or_fail: the state and reason that on_exit records instead of FAILED or TERMINATED.
FINAL_STATE=
FINAL_REASON=
on_exit() {
  local rc=$?
  if [ -n "$FINAL_STATE" ]; then
    write_status "$FINAL_STATE" "$rc" "$FINAL_REASON"
  elif [ "$rc" -eq 0 ]; then
    write_status COMPLETED 0
    say "done"
  elif [ "$rc" -ge 128 ]; then
    write_status TERMINATED "$rc"
  else
    write_status FAILED "$rc"
  fi
}

# Starts a stage: STAGE, the request, the status file. $1: the stage's name (prepare, compile, train, export,
# evaluate), $2: the request.json argument of the job. The compile and train jobs first record the restarts they did
# not make themselves (a requeue by Slurm or by hand: see cpt reconcile-restarts), from the status file the last
# attempt left.
stage_begin() {
  STAGE=$1
  load_request "${2:-}"
  say "run $REQ_RUN, job ${SLURM_JOB_ID:-none} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-this host}; run directory $RUN_DIR"
  if [ "$STAGE" = compile ] || [ "$STAGE" = train ]; then
    mkdir -p "$RUN_DIR/status"
    cpt reconcile-restarts "$RUN_DIR/status/$STAGE-restarts.json" \
      "$RUN_DIR/status/$STAGE.json" "${SLURM_JOB_ID:-}" "${SLURM_RESTART_COUNT:-0}" >/dev/null
  fi
  write_status RUNNING
  trap on_exit EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
}

# Runs the Slurm command "$@" with the right to change nodes (draining one needs Slurm's operator or root,
# scontrol(1) "update"): as is for root; otherwise through sudo without a password, which ParallelCluster's default
# user has unless DeploymentSettings/DisableSudoAccessForDefaultUser is true (docs.aws.amazon.com/parallelcluster/
# latest/ug/DeploymentSettings-cluster-v3.html; the cookbook's sudo_access resource, aws-parallelcluster-platform/
# resources/sudo_access/partial/_sudo_access_common.rb, revokes it only then). Its own job needs no more: its owner
# may requeue and cancel it (so on the loopback cluster of the tests, as an unprivileged user).
as_slurm_operator() {
  local command=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    "$command" "$@"
  else
    sudo -n "$(command -v "$command")" "$@"
  fi
}

# Sets FAILED_NODES (hosts), FAILED_TEXT ("host (exit code), ...") and FAILED_CODE (the last one's exit code) from
# the nodes where this job's $1 run (preflight, compile or train) failed: $2 first or all (cpt failed-nodes).
FAILED_NODES=()
FAILED_TEXT=
FAILED_CODE=
read_failed_nodes() {
  local lines host code
  FAILED_NODES=()
  FAILED_TEXT=
  FAILED_CODE=
  lines=$(cpt failed-nodes "$RUN_DIR/logs" "$1" "$SLURM_JOB_ID" "$2")
  while IFS=$'\t' read -r host code; do
    [ -n "$host" ] || continue
    FAILED_NODES+=("$host")
    FAILED_TEXT+="${FAILED_TEXT:+, }$host (exit $code)"
    FAILED_CODE=$code
  done <<<"$lines"
}

# After WHAT (preflight or train) exited with status RC on the job's nodes (DETAIL: why, when no node's exit
# status tells): requeue the job, or fail it.
# Requeue while the job's restarts (SLURM_RESTART_COUNT: Slurm's own requeues and ours alike) are below the
# request's maxTrainRestarts: record the attempt (RUN_DIR/status/STAGE-restarts.json, with the nodes drained),
# drain the nodes that failed their checks so that ParallelCluster replaces them, and `scontrol requeue` this job.
# Which nodes: after a failed preflight, every node whose checks failed (cpt failed-nodes all). A failed
# training says nothing of the nodes by itself: a deterministic error (a load mismatch, device memory, bad data)
# comes back on any node, and draining the node that ended first would drain up to maxTrainRestarts healthy
# trn1.32xlarge. So the per-node preflight runs again on the job's nodes, within this allocation, and only those
# that fail it are drained; when all pass, the job is requeued without draining.
# Otherwise the job fails with the reason, and --kill-on-invalid-dep cancels the jobs after it.
#
# What Slurm does (slurm-wlm 22.05 on loopback, scripts/slurm-env.sh): `scontrol requeue` of the job's own id from
# its batch script returns 0, then Slurm signals the batch script (SIGTERM: "CANCELLED ... DUE TO JOB REQUEUE")
# and the job is PENDING (Reason BeginTime) with Restarts + 1 until AuthInfo cred_expire has passed (5 s there,
# 120 s by default); it then starts again with SLURM_RESTART_COUNT set, keeping its id, its --time and its afterok
# dependants, which stay pending. A job submitted with --no-requeue is refused ("Requested operation is presently
# disabled"): compile and train are submitted with --requeue. A node drained while the job runs is DRAINING, then
# DRAINED once the job left it; ParallelCluster's clustermgtd counts a DRAINED node unhealthy
# (terminate_drain_nodes, default True) and replaces it (aws/aws-parallelcluster-node, src/slurm_plugin/
# clustermgtd.py and slurm_resources.py is_state_healthy).
restart_or_fail() {
  local what=$1 rc=$2 detail=${3:-} restarts max attempt reason checked why
  local -a drain=()
  restarts=${SLURM_RESTART_COUNT:-0}
  attempt=$((restarts + 1))
  max=$REQ_MAX_TRAIN_RESTARTS
  if [ "$what" = preflight ]; then
    read_failed_nodes preflight all
    drain=("${FAILED_NODES[@]}")
    reason="preflight failed on $FAILED_TEXT"
    why="preflight failed on this node"
  else
    read_failed_nodes "$what" first
    [ "${#FAILED_NODES[@]}" -eq 0 ] || reason="$what failed (exit $FAILED_CODE) on ${FAILED_NODES[0]}"
    why="$what failed, then this node failed its checks"
  fi
  [ "${#FAILED_NODES[@]}" -gt 0 ] || reason="$what failed (exit $rc) on no node in particular"
  [ -z "$detail" ] || reason=$detail
  if [ "$restarts" -ge "$max" ]; then
    FINAL_STATE=FAILED
    FINAL_REASON="$reason; attempt $attempt, and the job was requeued $restarts time(s) already (maxTrainRestarts $max)"
    say "error: $FINAL_REASON: failing"
    exit "$rc"
  fi
  if [ "$what" != preflight ]; then
    step "check the nodes after the failed $what"
    if run_on_every_node preflight; then
      reason+="; every node passed its checks afterwards: requeued without draining"
    else
      checked=$?
      read_failed_nodes preflight all
      drain=("${FAILED_NODES[@]}")
      if [ "${#drain[@]}" -gt 0 ]; then
        reason+="; the checks afterwards failed on $FAILED_TEXT"
      else
        reason+="; the checks afterwards failed (exit $checked) on no node in particular: requeued without draining"
      fi
    fi
  fi
  cpt record-restart "$RUN_DIR/status/$STAGE-restarts.json" "$SLURM_JOB_ID" "$attempt" \
    "$rc" "$reason" "${drain[@]}"
  for node in "${drain[@]}"; do
    say "draining node $node, for ParallelCluster to replace it"
    as_slurm_operator scontrol update NodeName="$node" State=DRAIN \
      Reason="trainium-cpt: run $REQ_RUN $STAGE job $SLURM_JOB_ID: $why" ||
      say "scontrol update NodeName=$node State=DRAIN failed (ignored: the requeue goes on)"
  done
  FINAL_STATE=REQUEUED
  if [ "${#drain[@]}" -eq 0 ] && [ "$what" != preflight ]; then
    FINAL_REASON="$reason (restart $attempt of at most $max)"
  else
    FINAL_REASON="$reason; requeued (restart $attempt of at most $max)"
  fi
  say "$FINAL_REASON"
  # Slurm stops this script with SIGTERM once it has requeued the job (the signal may even reach scontrol before
  # it answers, so its status proves nothing): a script still running 60 s later was not requeued, and fails.
  scontrol requeue "$SLURM_JOB_ID" || say "scontrol requeue $SLURM_JOB_ID exited with status $?"
  sleep 60 &
  wait "$!" || true
  FINAL_STATE=FAILED
  FINAL_REASON="$reason; scontrol requeue $SLURM_JOB_ID did not requeue the job"
  say "error: $FINAL_REASON"
  exit "$rc"
}
