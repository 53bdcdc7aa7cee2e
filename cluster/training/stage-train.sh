#!/usr/bin/env bash
# stage-train.sh RUN_DIR/request.json: the third job of a run (the run's node count; submitted with --requeue).
# Trains with tp_zero1_llama_hf_pretrain.py: launch-training.sh train, one torchrun of 32 processes per node.
#
# Writes: checkpoints FSX/checkpoints/<run>/step_N/ every checkpointEvery steps, the newest checkpointsKept kept
# on FSx (FSx exports each one to S3 as it is written); metrics and logs in RUN_DIR/output.
# Requeue and resume: when Slurm requeues the job (node failure, `scontrol requeue`), it runs this script again,
# and --loading_step latest_if_exists makes the training script load the newest completed checkpoint (one with
# its "done" file): model, optimizer, scheduler and step; the first run, without any, starts from the converted
# base model (--pretrained_weight). The data loader starts its epoch again from the first row: rows of that epoch
# trained on before the requeue are seen once more.
set -euo pipefail
STAGE=train
[ -f "$(dirname "${1:-/-}")/scripts/stage-lib.sh" ] || { echo "usage: $0 RUN_DIR/request.json" >&2; exit 2; }
# shellcheck source=stage-lib.sh
. "$(dirname "$1")/scripts/stage-lib.sh"
stage_begin "$@"

step "find the checkpoint to start from"
checkpoints=$("$PY" "$SCRIPTS/cpt_lib.py" checkpoints "$CKPT_DIR")
if [ -n "$checkpoints" ]; then
  say "resuming from ${checkpoints##*$'\n'} (the newest completed checkpoint in $CKPT_DIR)"
else
  [ -f "$CKPT_DIR/pretrained_weight/.complete" ] || die "$CKPT_DIR/pretrained_weight is missing: the prepare stage did not finish"
  say "no checkpoint in $CKPT_DIR yet: starting from the converted base model ($CKPT_DIR/pretrained_weight)"
fi

step "train ($(req steps) steps, checkpoints every $(req checkpointEvery) in $CKPT_DIR)"
run_on_every_node train
