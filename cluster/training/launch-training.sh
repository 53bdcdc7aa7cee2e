#!/usr/bin/env bash
# launch-training.sh MODE RUN_DIR/request.json: runs on every node of the compile or training job (srun starts
# one per node) and becomes that node's launcher:
#   compile: neuron_parallel_compile torchrun <launcher options> tp_zero1_llama_hf_pretrain.py <arguments>
#   train:   torchrun <launcher options> tp_zero1_llama_hf_pretrain.py <arguments>
# Both take their environment from training_environment and their command from training_command
# (stage-lib.sh), so that the compiled graphs are those training asks for.
set -euo pipefail
[ "$#" -eq 2 ] || {
  echo "usage: launch-training.sh compile|train RUN_DIR/request.json" >&2
  exit 2
}
MODE=$1
STAGE=$MODE
# shellcheck source=stage-lib.sh
. "$(dirname "$2")/scripts/stage-lib.sh"
load_request "$2"

step "set the $MODE environment"
training_environment
step "build the $MODE command"
training_command "$MODE"
mkdir -p "$RUN_DIR/work" "$RUN_DIR/output" "$RUN_DIR/logs"
cd "$RUN_DIR/work"
# The whole command, one argument a line (a log line of it would be long enough for srun to split).
command_file=$RUN_DIR/logs/$MODE-${SLURM_JOB_ID}-node${SLURM_NODEID}.cmd
printf '%s\n' "${LAUNCH[@]}" >"$command_file"
say "node ${SLURM_NODEID} of ${SLURM_NNODES}: ${LAUNCH[0]} ... (${#LAUNCH[@]} words: $command_file)"
exec "${LAUNCH[@]}"
