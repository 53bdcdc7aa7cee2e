#!/usr/bin/env bash
# stage-compile.sh RUN_DIR/request.json: the second job of a run (the run's node count; submitted with --requeue).
# Compiles the training graphs ahead of training with neuron_parallel_compile, on as many nodes as training and with
# the same arguments except --steps_this_run (compileSteps), --loading_step (-1) and --checkpoint_at_end (absent):
# launch-training.sh compile, on every node, after the nodes' preflight (run_preflight, stage-lib.sh).
#
# Writes: the compiled graphs into Neuron's cache (NEURON_CC_FLAGS --cache_dir, FSX/trainium-cpt/compile-cache),
# where the training job finds them, and there, once the compile succeeded, a marker
# trainium-cpt/compiled-<key>.json: <key> hashes what decides the graphs (cpt/arguments.py compile_key: release, nodes,
# the compile arguments with the run's own paths replaced, NEURON_CC_FLAGS without the cache, the patched script).
# A job that finds its marker skips the compile: a new chain of the same run, or another run of the same shape.
# Reference: `neuron_parallel_compile torchrun ... <train script> --steps_this_run=N` "puts your training script
# into graph extraction mode. In this mode, no real execution is performed and the outputs are invalid"
# (awsdocs-neuron v2.28.0, frameworks/torch/torch-neuronx/api-reference-guide/training/
# pytorch-neuron-parallel-compile.rst); the multi-node form, `srun neuron_parallel_compile ...` once per node,
# is that of the Neuron ParallelCluster tutorials; tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0 of
# aws-neuron/neuronx-distributed switches to --steps_this_run 2 under NEURON_EXTRACT_GRAPHS_ONLY.
# Because those outputs are invalid, the compile run never starts from a checkpoint (--loading_step -1: it loads
# the base model) nor writes one (compileSteps is below checkpointEvery, and no --checkpoint_at_end).
#
# Recovery: a failed preflight drains the failing node(s) and requeues the job, like training and under the same
# limit (maxTrainRestarts, counted per job). A failed compile does not: compiler errors come back on any node.
set -euo pipefail
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin compile "$@"

step "check the pretrained weights and the patched script"
[ -f "$CKPT_DIR/pretrained_weight/.complete" ] || die "$CKPT_DIR/pretrained_weight is missing: the prepare stage did not finish"
[ -f "$PATCHED_SCRIPT" ] || die "$PATCHED_SCRIPT is missing: the prepare stage did not finish"

step "look for the graphs in the compile cache"
mkdir -p "$COMPILE_CACHE/trainium-cpt"
key_file=$(mktemp "$COMPILE_CACHE/trainium-cpt/.key.XXXXXX")
key=$(cpt compile-key "$REQUEST" "$NXD_DIR" "$CC_FLAGS" "$PATCHED_SCRIPT" "$key_file")
marker=$COMPILE_CACHE/trainium-cpt/compiled-$key.json
if [ -f "$marker" ]; then
  rm -f "$key_file"
  say "the compile cache has the graphs of this compile already ($marker): skipping the compile"
  exit 0
fi
say "no marker $marker: compiling"

step "check the nodes"
run_preflight || {
  rc=$?
  rm -f "$key_file"
  restart_or_fail preflight "$rc"
}

step "compile the training graphs ($REQ_COMPILE_STEPS steps)"
run_on_every_node compile || {
  rc=$?
  rm -f "$key_file"
  say "step '$STEP' failed (exit $rc)"
  exit "$rc"
}

step "mark the graphs as compiled"
mv -f "$key_file" "$marker"
say "wrote $marker"
