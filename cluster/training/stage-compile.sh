#!/usr/bin/env bash
# stage-compile.sh RUN_DIR/request.json: the second job of a run (the run's node count). Compiles the training
# graphs ahead of training with neuron_parallel_compile, on as many nodes as training and with the same
# arguments except --steps_this_run (compileSteps): launch-training.sh compile, on every node.
#
# Writes: the compiled graphs into Neuron's cache (NEURON_CC_FLAGS --cache_dir, FSX/trainium-cpt/compile-cache),
# where the training job finds them; the training script's output folder RUN_DIR/output (graph extraction
# writes no checkpoint: compileSteps is below checkpointEvery).
# Reference: `neuron_parallel_compile torchrun ... <train script> --steps_this_run=N` "puts your training script
# into graph extraction mode. In this mode, no real execution is performed and the outputs are invalid"
# (awsdocs-neuron v2.28.0, frameworks/torch/torch-neuronx/api-reference-guide/training/
# pytorch-neuron-parallel-compile.rst); the multi-node form, `srun neuron_parallel_compile ...` once per node,
# is that of the Neuron ParallelCluster tutorials; tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0 of
# aws-neuron/neuronx-distributed switches to --steps_this_run 2 under NEURON_EXTRACT_GRAPHS_ONLY.
# Because those outputs are invalid, the compile run must never write a checkpoint (compileSteps is below
# checkpointEvery) nor start from one (see "check for checkpoints" below).
set -euo pipefail
STAGE=compile
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin "$@"

step "check the pretrained weights"
[ -f "$CKPT_DIR/pretrained_weight/.complete" ] || die "$CKPT_DIR/pretrained_weight is missing: the prepare stage did not finish"

step "check for checkpoints"
# Once training has written a checkpoint, the compile run (--loading_step latest_if_exists like training) would
# start from it, and its steps could reach a multiple of checkpointEvery: graph extraction would then save a
# checkpoint of meaningless values that training resumes from. That happens only when a chain is run again for
# a run that trained before, and then the graphs are in the compile cache already: the compile is skipped.
checkpoints=$("$PY" "$SCRIPTS/cpt_lib.py" checkpoints "$CKPT_DIR")
if [ -n "$checkpoints" ]; then
  say "$CKPT_DIR has checkpoints already (newest ${checkpoints##*$'\n'}): this run was compiled and trained before; skipping the compile"
  exit 0
fi

step "compile the training graphs ($(req compileSteps) steps)"
run_on_every_node compile
