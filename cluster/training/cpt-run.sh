#!/usr/bin/env bash
# cpt-run.sh ACTION REQUEST: submits, watches or cancels a continual pre-training run on the cluster's head node,
# as a chain of Slurm jobs: prepare -> compile -> train -> export -> evaluate.
#
# The submit Lambda runs it through SSM (AWS-RunShellScript: root, a non-login shell):
#   bash /fsx/trainium-cpt/training/<bundle-id>/cpt-run.sh submit|status|cancel <base64 of a JSON request>
#
#   submit  {"version":1,"run":...,"nodes":...,...}: writes the run directory FSX/trainium-cpt/runs/<run>/
#           (request.json, scripts/ with a copy of the stage scripts, logs/, jobs.json) and submits the chain,
#           each job depending on the one before (afterok; a failed stage cancels the rest). A second submit of
#           the same run changes nothing and prints the jobs of the first (created=false).
#           The Neuron environment of the request's release (built on FSx after the cluster is created, by
#           node-setup.sh head) decides when the chain starts: ready, at once; building or not started yet, the
#           first job is submitted held (sbatch --hold, comment trainium-cpt:waits-for=neuron-<release>, jobs.json
#           heldFor), node-setup.sh releases it when the build ends, and this script looks again once the chain is
#           submitted and releases it itself if the build ended in between; failed, the chain is refused, naming
#           the step and the log.
#   status  {"version":1,"run":...}: the state of each stage's job, and of the run's Neuron environment.
#   cancel  {"version":1,"run":...}: cancels every job of the run.
#
# Output: exactly one JSON line on stdout, also on failure ({"error": "..."}, with a non-zero exit status);
# everything else goes to stderr. Exit status: 0 done; 2 bad arguments or request (nothing submitted); 1 failure.
# Request values are never part of shell code: they are checked by cpt_lib.py and passed as quoted arguments.
#
# Environment (all optional; the tests use them):
#   CPT_FSX          where FSx for Lustre is mounted (default /fsx); request paths /fsx/... map to it
#   CPT_SLURM_BIN    Slurm's commands (default /opt/slurm/bin, where ParallelCluster installs them)
#   CPT_NEURON_VENV  the Neuron Python environment (default FSX/trainium-cpt/neuron-<release>/venv)
#   CPT_NXD_DIR      the neuronx-distributed checkout (default FSX/trainium-cpt/neuron-<release>/neuronx-distributed)
#   CPT_PYTHON       the Python that runs cpt_lib.py (default python3)
#   CPT_LOCK_TIMEOUT seconds to wait for another submission of the same run (default 120)
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly STAGES=(prepare compile train export evaluate)
# Files copied into each run's scripts/ folder: the chain runs from that copy, so later bundles change nothing.
readonly STAGE_FILES=(stage-lib.sh stage-prepare.sh stage-compile.sh stage-train.sh stage-export.sh
  stage-evaluate.sh launch-training.sh cpt_lib.py hf_checkpoint.py evaluate_perplexity.py render_report.py)
PY=${CPT_PYTHON:-python3}
FSX=${CPT_FSX:-/fsx}
FSX=${FSX%/}
SLURM_BIN=${CPT_SLURM_BIN:-/opt/slurm/bin}

# The one line of stdout goes to fd 3; the script's own stdout goes to stderr.
exec 3>&1 1>&2
EMITTED=false
STEP=start
SUBMITTED=()

emit() {
  printf '%s\n' "$1" >&3
  EMITTED=true
}

# Prints {"error": message} (once) and exits with status $2 (default 1).
fail() {
  local message=$1 status=${2:-1}
  rollback
  if [ "$EMITTED" = false ]; then
    local answer
    answer=$("$PY" "$HERE/cpt_lib.py" error "$message") || answer='{"error":"cpt-run failed"}'
    emit "$answer"
  fi
  exit "$status"
}

on_error() {
  local rc=$?
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
  trap - ERR
  fail "cpt-run: step '$STEP' failed (exit $rc)" 1
}
trap on_error ERR

# A submission that fails half-way cancels the jobs it already submitted: no half chain is left behind, and
# without jobs.json a later submit starts again.
rollback() {
  if [ "${#SUBMITTED[@]}" -gt 0 ]; then
    printf 'cpt-run: cancelling the jobs submitted so far: %s\n' "${SUBMITTED[*]}"
    "$SLURM_BIN/scancel" "${SUBMITTED[@]}" || true
    SUBMITTED=()
  fi
}

log() {
  printf '%s cpt-run: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

# --- Arguments ---
[ "$#" -eq 2 ] || fail "usage: cpt-run.sh submit|status|cancel <base64 of a JSON request> (got $# arguments)" 2
ACTION=$1
case $ACTION in
  submit | status | cancel) ;;
  *) fail "unknown action: expected submit, status or cancel" 2 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cpt-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

STEP="check the request"
if ! "$PY" "$HERE/cpt_lib.py" decode "$ACTION" "$2" "$WORK/request.json" 2>"$WORK/decode.err"; then
  fail "$(cat "$WORK/decode.err")" 2
fi
req() {
  "$PY" "$HERE/cpt_lib.py" get "$WORK/request.json" "$1"
}
RUN=$(req run)
RUN_DIR=$FSX/trainium-cpt/runs/$RUN
JOBS=$RUN_DIR/jobs.json
NEURON_FILE=$WORK/neuron.json

# Prints the state of the Neuron environment of release $1 (ready, building, failed or not-started) and describes
# it in $NEURON_FILE.
neuron_state() {
  "$PY" "$HERE/cpt_lib.py" neuron-state "$1" "$NEURON_FILE"
}

# --- status and cancel ---
if [ "$ACTION" != submit ]; then
  [ -f "$JOBS" ] || fail "no run named $RUN on this cluster ($JOBS does not exist)" 1
  STEP="$ACTION the jobs"
  if [ "$ACTION" = status ]; then
    answer=$("$PY" "$HERE/cpt_lib.py" status "$JOBS")
  else
    ids_text=$("$PY" "$HERE/cpt_lib.py" job-ids "$JOBS")
    mapfile -t ids <<<"$ids_text"
    [ -n "$ids_text" ] || fail "$JOBS lists no job" 1
    log "cancelling run $RUN: jobs ${ids[*]}"
    # Jobs that have ended already make scancel complain; that is not a failure of the cancel.
    "$SLURM_BIN/scancel" "${ids[@]}" || log "scancel exited with status $? (jobs that have ended already cannot be cancelled)"
    answer=$("$PY" "$HERE/cpt_lib.py" cancel-output "$JOBS")
  fi
  emit "$answer"
  exit 0
fi

# --- submit ---
STEP="check the Neuron environment"
RELEASE=$(req neuronRelease)
NEURON=$(neuron_state "$RELEASE")
# A new chain starts now, waits for the environment, or is refused; a run submitted before is answered below
# whatever the environment's state (nothing is written for a refused one).
case $NEURON in
  ready) HELD_FOR= ;;
  building | not-started) HELD_FOR=neuron-$RELEASE ;;
  *)
    if [ ! -f "$JOBS" ]; then
      refusal=$("$PY" "$HERE/cpt_lib.py" neuron-refusal "$NEURON_FILE") ||
        refusal="the Neuron $RELEASE environment cannot be used (state $NEURON)"
      fail "$refusal" 1
    fi
    HELD_FOR=
    ;;
esac

STEP="lock the run"
mkdir -p "$RUN_DIR"
exec 9>>"$RUN_DIR/.lock"
flock -w "${CPT_LOCK_TIMEOUT:-120}" 9 || fail "another submission of run $RUN holds $RUN_DIR/.lock" 1

if [ -f "$JOBS" ]; then
  log "run $RUN was submitted before ($JOBS): nothing to do"
  if ! cmp -s "$WORK/request.json" "$RUN_DIR/request.json"; then
    log "warning: this request differs from $RUN_DIR/request.json, which the run keeps; use a new run name to change it"
  fi
  answer=$("$PY" "$HERE/cpt_lib.py" submit-output "$JOBS" false "$NEURON_FILE")
  emit "$answer"
  exit 0
fi

# (A failed environment is refused above unless the run existed; it cannot have vanished since, but never submit.)
[ "$NEURON" = ready ] || [ -n "$HELD_FOR" ] || fail "the Neuron $RELEASE environment cannot be used (state $NEURON)" 1

STEP="write the run directory"
log "run $RUN: writing $RUN_DIR"
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/status" "$RUN_DIR/work" "$RUN_DIR/output"
rm -rf "$RUN_DIR/scripts.new"
mkdir "$RUN_DIR/scripts.new"
for file in "${STAGE_FILES[@]}"; do
  cp "$HERE/$file" "$RUN_DIR/scripts.new/$file"
done
rm -rf "$RUN_DIR/scripts"
mv "$RUN_DIR/scripts.new" "$RUN_DIR/scripts"
cp "$WORK/request.json" "$RUN_DIR/request.json.tmp"
mv "$RUN_DIR/request.json.tmp" "$RUN_DIR/request.json"
PARTITION=$(req partition)
NODES=$(req nodes)

STEP="submit the jobs"
previous=""
pairs=()
for stage in "${STAGES[@]}"; do
  options=(--parsable --job-name "cpt-$RUN-$stage" --partition "$PARTITION" --exclusive --ntasks-per-node 1
    --chdir "$RUN_DIR/work" --output "$RUN_DIR/logs/$stage-%j.out" --open-mode append --kill-on-invalid-dep=yes)
  case $stage in
    compile) options+=(--nodes "$NODES") ;;
    # Training is requeued after a node failure (or `scontrol requeue`) and resumes from its newest checkpoint.
    train) options+=(--nodes "$NODES" --requeue) ;;
    *) options+=(--nodes 1) ;;
  esac
  [ -z "$previous" ] || options+=(--dependency "afterok:$previous")
  # The first job waits for the Neuron environment; node-setup.sh finds it by its comment.
  [ -n "$previous" ] || [ -z "$HELD_FOR" ] || options+=(--hold --comment "trainium-cpt:waits-for=$HELD_FOR")
  if ! answer=$("$SLURM_BIN/sbatch" "${options[@]}" "$RUN_DIR/scripts/stage-$stage.sh" "$RUN_DIR/request.json"); then
    fail "sbatch refused the $stage job of run $RUN (see stderr)" 1
  fi
  id=${answer%%;*}
  [[ $id =~ ^[0-9]+$ ]] || fail "sbatch answered '$answer' for the $stage job, not a job id" 1
  SUBMITTED+=("$id")
  pairs+=("$stage=$id")
  log "run $RUN: $stage is job $id${previous:+ (after job $previous)}"
  previous=$id
done

if [ -n "$HELD_FOR" ]; then
  # node-setup.sh may have looked for held jobs before the first one was submitted: look again, now that it is.
  STEP="check the Neuron environment again"
  first=${SUBMITTED[0]}
  NEURON=$(neuron_state "$RELEASE")
  if [ "$NEURON" = ready ]; then
    log "run $RUN: the Neuron $RELEASE environment became ready during the submission: releasing job $first"
    "$SLURM_BIN/scontrol" release "$first" || fail "scontrol release $first failed: the chain is cancelled, submit it again" 1
  else
    log "run $RUN: job $first is held until the Neuron $RELEASE environment is ready (now: $NEURON)"
  fi
  pairs+=("heldFor=$HELD_FOR")
fi

STEP="record the jobs"
"$PY" "$HERE/cpt_lib.py" jobs-json "$JOBS" "$RUN" "$RUN_DIR" "${pairs[@]}"
SUBMITTED=()
answer=$("$PY" "$HERE/cpt_lib.py" submit-output "$JOBS" true "$NEURON_FILE")
emit "$answer"
