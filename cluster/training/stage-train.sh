#!/usr/bin/env bash
# stage-train.sh RUN_DIR/request.json: the third job of a run (the run's node count; submitted with --requeue).
# Trains with the run's patched tp_zero1_llama_hf_pretrain.py (stage-prepare.sh): launch-training.sh train, one
# torchrun of 32 processes per node, after the nodes' preflight (run_preflight, stage-lib.sh).
#
# Writes: checkpoints FSX/checkpoints/<run>/step_N/ every checkpointEvery steps and at the last step (steps,
# --checkpoint_at_end of nxd-pretrain.patch), the newest checkpointsKept kept on FSx (FSx exports each one to S3
# as it is written); metrics and logs in RUN_DIR/output.
#
# Where it starts: --loading_step N for the newest completed checkpoint step_N (one with its "done" file): model,
# optimizer, scheduler and step; -1 without one, and the script loads the converted base model
# (--pretrained_weight). The patched script then leaves out the rows that the steps before N consumed
# (resume_data.py), so that a resumed run trains on the rows an uninterrupted run would. When the newest
# checkpoint is step_<steps>, nothing is left to train and the stage ends at once: the script checks
# `global_step >= flags.steps_this_run` only after an optimizer step (tp_zero1_llama_hf_pretrain.py line 354 at
# tag v2.28.0 of aws-neuron/neuronx-distributed), so it would train one step more and save step_<steps + 1>.
#
# Recovery: when the preflight or the training fails (anything but this script's own checks, `die`), the job
# requeues itself while its restarts are below maxTrainRestarts (restart_or_fail, stage-lib.sh), draining the nodes
# that failed their checks: those of the preflight, or, after a failed training, those of the preflight run again
# on the job's nodes (none when all pass: a deterministic error would otherwise drain a healthy node each time);
# Slurm also requeues it after a node failure. Every attempt starts here again.
set -euo pipefail
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin train "$@"

step "find the checkpoint to start from"
steps=$REQ_STEPS
checkpoints=$(cpt checkpoints "$CKPT_DIR")
if [ -n "$checkpoints" ]; then
  newest=${checkpoints##*$'\n'}
  loading_step=${newest#step_}
  if [ "$loading_step" -eq "$steps" ]; then
    say "$CKPT_DIR/$newest is the last step's checkpoint: the run is trained; nothing to do"
    exit 0
  fi
  [ "$loading_step" -lt "$steps" ] || die "the newest checkpoint $CKPT_DIR/$newest is past the run's $steps steps"
  say "resuming from $newest (the newest completed checkpoint in $CKPT_DIR)"
else
  [ -f "$CKPT_DIR/pretrained_weight/.complete" ] || die "$CKPT_DIR/pretrained_weight is missing: the prepare stage did not finish"
  loading_step=-1
  say "no checkpoint in $CKPT_DIR yet: starting from the converted base model ($CKPT_DIR/pretrained_weight)"
fi
[ -f "$PATCHED_SCRIPT" ] || die "$PATCHED_SCRIPT is missing: the prepare stage did not finish"

step "check the nodes"
run_preflight || restart_or_fail preflight "$?"

step "train ($steps steps, checkpoints every $REQ_CHECKPOINT_EVERY and at the end in $CKPT_DIR)"
run_on_every_node train "$loading_step" || restart_or_fail train "$?"

step "check the last checkpoint"
checkpoints=$(cpt checkpoints "$CKPT_DIR")
[ "${checkpoints##*$'\n'}" = "step_$steps" ] ||
  restart_or_fail train 1 "training ended without a completed step_$steps (newest: ${checkpoints##*$'\n'})"
say "the last step's checkpoint is $CKPT_DIR/step_$steps"
