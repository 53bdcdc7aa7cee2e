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
#
# A Capacity Block's end (the request's stopBy, cpt/stop_by.py): the nodes go away at the block's end, taking the
# steps since the last checkpoint with them, and the script saves only at its own steps. So a watcher (cpt
# stop-watch) looks at the checkpoints while the training runs and stops it right after the one that the next
# would not follow before stopBy (from the measured checkpoint interval), and in any case at stopBy (after a save
# under way then); a job that starts after stopBy trains nothing. Each attempt first lowers its own time limit to
# stopBy and one save (the submission's cut does not count the time it waited or earlier attempts). The job then
# cancels itself (stop_for_stop_by): its status file says STOPPED_FOR_BLOCK_END with the step it stopped at and how
# to resume, Slurm neither requeues it nor counts it failed, and --kill-on-invalid-dep cancels export and evaluate
# (afterok), which must not run on an unfinished run.
set -euo pipefail
# This attempt's start (a few seconds after Slurm's): the time limit it sets itself counts from it.
STARTED=$(date +%s)
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

# The watcher's decision (cpt/stop_by.py write_stop): why the training stopped for stopBy, and where.
STOP_FILE=$RUN_DIR/status/train-stop.json
rm -f "$STOP_FILE"

# Ends the job after a stop for stopBy: it cancels itself (a requeue or a failure would be wrong: the run is
# sound, its Capacity Block is ending), with STOPPED_FOR_BLOCK_END and the message in its status file (on_exit).
stop_for_stop_by() {
  local message
  message=$(cpt stop-message "$STOP_FILE" "$REQ_RUN")
  FINAL_STATE=STOPPED_FOR_BLOCK_END
  FINAL_REASON=$message
  say "$message"
  # Slurm stops this script with SIGTERM once it has cancelled the job: one still running 60 s later fails.
  scancel "$SLURM_JOB_ID" || say "scancel $SLURM_JOB_ID exited with status $?"
  sleep 60 &
  wait "$!" || true
  FINAL_STATE=FAILED
  FINAL_REASON="$message; scancel $SLURM_JOB_ID did not end the job"
  say "error: $FINAL_REASON"
  exit 1
}

# Trains with the stopBy watcher beside the training (both in the background; the first to end decides): a
# decision of the watcher, which comes once the checkpoint it stops at is complete and pruned, stops the training
# by SIGTERM to srun (its own process: the background job is srun itself), which kills every task with SIGKILL
# (Slurm src/srun/libsrun/srun_job.c, _srun_signal_mgr). Returns the training's exit status.
train_until_stop_by() {
  local loading_step=$1 started training watcher rc=0
  started=$(date +%s)
  every_node_command train "$loading_step"
  "${EVERY_NODE[@]}" &
  training=$!
  "$PY" "$SCRIPTS/cpt" stop-watch "$CKPT_DIR" "$REQ_STOP_BY" "$REQ_CHECKPOINT_EVERY" "$steps" \
    "$REQ_CHECKPOINTS_KEPT" "$loading_step" "$started" "$STOP_FILE" &
  watcher=$!
  wait -n "$training" "$watcher" || true
  if [ -f "$STOP_FILE" ]; then
    say "stopping the training for stopBy $REQ_STOP_BY ($(cpt stop-message "$STOP_FILE" "$REQ_RUN"))"
    kill -TERM "$training" 2>/dev/null || true
  elif kill -0 "$training" 2>/dev/null; then
    say "warning: the stopBy watcher ended without a decision: the time limit alone stops the training"
  fi
  wait "$training" || rc=$?
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  return "$rc"
}

if [ -n "$REQ_STOP_BY" ]; then
  step "check stopBy ($REQ_STOP_BY)"
  [ "$(cpt stop-if-past "$CKPT_DIR" "$REQ_STOP_BY" "$STOP_FILE")" != stop ] || stop_for_stop_by
  # The owner of a job may lower its time limit ("Only the Slurm administrator or root can increase job's TimeLimit":
  # scontrol(1) of Slurm 22.05, TimeLimit).
  limit=$(scontrol show job -o "$SLURM_JOB_ID" | grep -o 'TimeLimit=[^ ]*') || limit=TimeLimit=UNLIMITED
  minutes=$(cpt lowered-time-limit "$REQ_STOP_BY" "$CKPT_DIR" "$STARTED" "${limit#TimeLimit=}")
  if [ -n "$minutes" ]; then
    say "lowering this job's time limit from ${limit#TimeLimit=} to $minutes min: stopBy and one checkpoint save from this attempt's start"
    scontrol update JobId="$SLURM_JOB_ID" TimeLimit="$minutes" ||
      say "warning: scontrol update JobId=$SLURM_JOB_ID TimeLimit=$minutes failed (exit $?): the submission's limit stays"
  fi
fi

step "check the nodes"
run_preflight || restart_or_fail preflight "$?"

step "train ($steps steps, checkpoints every $REQ_CHECKPOINT_EVERY and at the end in $CKPT_DIR${REQ_STOP_BY:+, stopping by $REQ_STOP_BY})"
if [ -z "$REQ_STOP_BY" ]; then
  run_on_every_node train "$loading_step" || restart_or_fail train "$?"
else
  rc=0
  train_until_stop_by "$loading_step" || rc=$?
  checkpoints=$(cpt checkpoints "$CKPT_DIR")
  if [ -f "$STOP_FILE" ]; then
    # A stop that came as the last step's checkpoint completed (between the watcher's look and the kill) changes
    # nothing: the run is trained, whatever the kill did to the training's exit status.
    [ "${checkpoints##*$'\n'}" = "step_$steps" ] || stop_for_stop_by
    say "the last step's checkpoint step_$steps completed as the training was stopped for stopBy: the run is trained"
    rc=0
  fi
  [ "$rc" -eq 0 ] || restart_or_fail train "$rc"
fi

step "check the last checkpoint"
checkpoints=$(cpt checkpoints "$CKPT_DIR")
[ "${checkpoints##*$'\n'}" = "step_$steps" ] ||
  restart_or_fail train 1 "training ended without a completed step_$steps (newest: ${checkpoints##*$'\n'})"
say "the last step's checkpoint is $CKPT_DIR/step_$steps"
