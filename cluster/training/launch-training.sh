#!/usr/bin/env bash
# launch-training.sh MODE RUN_DIR/request.json [LOADING_STEP]: runs on every node of the compile or training job
# (srun starts one per node) and becomes that node's launcher:
#   preflight: node_preflight (stage-lib.sh): the node's Neuron devices and an all-reduce over its NeuronCores
#   compile:   neuron_parallel_compile torchrun <launcher options> RUN_DIR/patched/tp_zero1_llama_hf_pretrain.py ...
#   train:     torchrun <launcher options> RUN_DIR/patched/tp_zero1_llama_hf_pretrain.py ... --loading_step LOADING_STEP
# Compile and train take their environment from training_environment and their command from training_command
# (stage-lib.sh), so that the compiled graphs are those training asks for.
#
# Each node records how its launcher ended in RUN_DIR/logs/MODE-JOB-nodeN.exit (JSON: host, the Slurm node name;
# node; code; signal, when Slurm stopped the launcher, as srun --kill-on-bad-exit does to the other nodes after a
# failure; time): the stage script reads them to find the node that failed (cpt failed-nodes).
set -euo pipefail
[ "$#" -ge 2 ] && [ "$#" -le 3 ] || {
  echo "usage: launch-training.sh preflight|compile|train RUN_DIR/request.json [LOADING_STEP]" >&2
  exit 2
}
MODE=$1
STAGE=$MODE
# shellcheck source=stage-lib.sh
. "$(dirname "$2")/scripts/stage-lib.sh"
load_request "$2"
HOST=${SLURMD_NODENAME:-$(hostname -s)}
EXIT_FILE=$RUN_DIR/logs/$MODE-${SLURM_JOB_ID}-node${SLURM_NODEID}.exit
mkdir -p "$RUN_DIR/work" "$RUN_DIR/output" "$RUN_DIR/logs"

record_exit() {
  local code=$1 signal=null
  [ -z "${2:-}" ] || signal="\"$2\""
  printf '{"host":"%s","node":%s,"code":%s,"signal":%s,"time":%s}\n' "$HOST" "$SLURM_NODEID" "$code" "$signal" \
    "$(date +%s.%N)" >"$EXIT_FILE.tmp"
  mv -f "$EXIT_FILE.tmp" "$EXIT_FILE"
}

# The command runs as a child, so that its status can be recorded; a SIGTERM from Slurm (cancel, requeue, time
# limit, srun stopping the other nodes) is passed on to it and recorded as such.
CHILD=
SIGNAL=
on_term() {
  SIGNAL=TERM
  [ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null || true
}
trap on_term TERM

run_and_record() {
  local rc=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  # A signal interrupts wait before the child has ended: wait for its end.
  while [ -n "$SIGNAL" ] && kill -0 "$CHILD" 2>/dev/null; do
    rc=0
    wait "$CHILD" || rc=$?
  done
  record_exit "$rc" "$SIGNAL"
  say "node ${SLURM_NODEID} ($HOST): $MODE ended with status $rc${SIGNAL:+ after SIG$SIGNAL}"
  return "$rc"
}

cd "$RUN_DIR/work"
if [ "$MODE" = preflight ]; then
  # In a subshell, so that the ERR trap of a failed check ends the check, not the recording.
  # shellcheck disable=SC2016  # expanded by the child shell
  run_and_record env STAGE=preflight bash -c '. "$1/scripts/stage-lib.sh"; load_request "$2"; node_preflight "$3"' \
    preflight "$RUN_DIR" "$REQUEST" "$HOST"
  exit
fi

step "set the $MODE environment"
training_environment
step "build the $MODE command"
training_command "$MODE" "${3:--1}"
# The whole command, one argument a line (a log line of it would be long enough for srun to split).
command_file=$RUN_DIR/logs/$MODE-${SLURM_JOB_ID}-node${SLURM_NODEID}.cmd
printf '%s\n' "${LAUNCH[@]}" >"$command_file"
say "node ${SLURM_NODEID} of ${SLURM_NNODES}: ${LAUNCH[0]} ... (${#LAUNCH[@]} words: $command_file)"
step "run the $MODE command"
run_and_record "${LAUNCH[@]}"
