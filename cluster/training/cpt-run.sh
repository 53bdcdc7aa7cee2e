#!/usr/bin/env bash
# cpt-run.sh ACTION REQUEST: submits, watches or cancels a continual pre-training run on the cluster's head node,
# as a chain of Slurm jobs: prepare -> compile -> train -> export -> evaluate.
#
# The submit Lambda runs it through the training stack's own SSM Command document (lib/training/command-document.ts:
# root, a non-login shell):
#   bash /fsx/trainium-cpt/training/<bundle-id>/cpt-run.sh submit|status|cancel <base64 of a JSON request>
#
#   submit  {"version":2,"run":...,"nodes":...,...,"derived":{...}} (lib/training/contract.ts; its per-field limits in
#           request.schema.json, generated from the TypeScript schema): writes the run directory FSX/trainium-cpt/runs/<run>/
#           (request.json, scripts/ with a copy of the stage scripts, logs/, jobs.json) and submits the chain,
#           each job depending on the one before (afterok; a failed stage cancels the rest), each with the
#           request's time limit (timeLimits, sbatch --time). With stopBy (a Capacity Block's end less a save and a
#           margin), the train job stops at a checkpoint before it (stage-train.sh), its time limit is cut to the
#           minutes left before it and one save (cpt/stop_by.py save_allowance), and a stopBy less than a minute
#           away is refused. A second submit of the same
#           run submits nothing while its chain is pending or running, or once it completed, and prints its jobs
#           (created=false).
#           A chain that ended otherwise (a stage failed, was cancelled or timed out) is continued only with
#           "resume": true: its jobs.json and status/ are kept in RUN_DIR/chains/<time>-<job>/ and a new full
#           chain is submitted with the run's stored request.json (every stage takes up what the earlier chains
#           did: prepare's markers, compile's marker in the compile cache, training from the newest checkpoint,
#           export of the checkpoints not exported yet); without it, the answer names the stage and says how to
#           continue (message). A run without jobs.json whose checkpoint folder FSX/checkpoints/<run> holds
#           step_* checkpoints is refused unless "resume": true (a run name used before, e.g. on a cluster
#           deleted since). Every submission also writes the run's request next to its checkpoints,
#           FSX/checkpoints/<run>/request.json, which FSx exports to S3 with them: a resume without
#           RUN_DIR/request.json (a cluster created again, the checkpoints back from S3) continues with that one,
#           and one with neither file (checkpoints of an earlier version) is refused. The answer says whether the
#           chain continues earlier work (resumed) and the newest completed checkpoint at the time (resumeFrom, or
#           null).
#           The Neuron environment of the request's release (built on FSx after the cluster is created, by
#           node-setup.sh head) decides when the chain starts: ready, at once; building or not started yet, the
#           first job is submitted held (sbatch --hold, comment trainium-cpt:waits-for=neuron-<release>, jobs.json
#           heldFor), node-setup.sh releases it when the build ends, and this script looks again once the chain is
#           submitted and releases it itself if the build ended in between; failed, the chain is refused, naming
#           the step and the log.
#   status  {"version":2,"run":...}: the state of each stage's job, of the run's Neuron environment, and the
#           train job's restarts ({count, max, history}: stage-lib.sh restart_or_fail).
#   cancel  {"version":2,"run":...}: cancels every job of the run.
#
# Output: exactly one JSON line on stdout, also on failure ({"error": "..."}, with a non-zero exit status);
# everything else goes to stderr. Exit status: 0 done; 2 bad arguments or request (nothing submitted); 1 failure.
# Request values are never part of shell code: they are checked by the cpt package (cpt/request.py), read through
# `cpt env` (each value quoted) and passed as quoted arguments. A request of another version than 2 is refused.
#
# Environment (all optional; the tests use them):
#   CPT_FSX          where FSx for Lustre is mounted (default /fsx); request paths /fsx/... map to it
#   CPT_SLURM_BIN    Slurm's commands (default /opt/slurm/bin, where ParallelCluster installs them)
#   CPT_NEURON_VENV  the Neuron Python environment (default FSX/trainium-cpt/neuron-<release>/venv)
#   CPT_NXD_DIR      the neuronx-distributed checkout (default FSX/trainium-cpt/neuron-<release>/neuronx-distributed)
#   CPT_PYTHON       the Python that runs the cpt package (default python3)
#   CPT_LOCK_TIMEOUT seconds to wait for another submission of the same run (default 120)
#   CPT_JOB_USER     the user the jobs run as (default ubuntu, ParallelCluster's default user on Ubuntu: OS_MAPPING
#                    in pcluster/constants.py of aws-parallelcluster 3.16.1); root runs them as root
#
# The jobs run as CPT_JOB_USER, not root: each is submitted as that user (runuser ... sbatch: Slurm runs a job as
# its submitter). What they run (RUN_DIR/scripts/, request.json) stays root's and read-only to them; what they
# write is theirs (JOB_DIRS below, the run's checkpoint folder and the compile cache), made by root once and never
# touched by root again (make_job_dir): a run or compile cache that an earlier version made as root is refused.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# shellcheck source=prelude.sh
. "$HERE/prelude.sh"
# shellcheck source=job-folders.sh
. "$HERE/job-folders.sh"
readonly STAGES=(prepare compile train export evaluate)
# Files copied into each run's scripts/ folder: the chain runs from that copy, so later bundles change nothing.
readonly STAGE_FILES=(prelude.sh stage-lib.sh stage-prepare.sh stage-compile.sh stage-train.sh stage-export.sh
  stage-evaluate.sh launch-training.sh hf_checkpoint.py evaluate_perplexity.py render_report.py resume_data.py
  nxd-pretrain.patch request.schema.json)
# The Python packages among them (their modules are copied, not their caches): the cpt package, and the report's
# (render_report.py).
readonly STAGE_PACKAGES=(cpt report_page)
PY=${CPT_PYTHON:-python3}
SLURM_BIN=${CPT_SLURM_BIN:-/opt/slurm/bin}
JOB_USER=${CPT_JOB_USER:-ubuntu}
# The run's folders that the jobs write (the stages' own: logs, status files, work, base model, patched training
# script, exports, report, output).
readonly JOB_DIRS=(logs status work output base patched export report)

# The one line of stdout goes to fd 3; the script's own stdout goes to stderr.
exec 3>&1 1>&2
EMITTED=false
SUBMITTED=()

# The cpt package (python3 HERE/cpt COMMAND ...: cpt/cli.py).
cpt() {
  "$PY" "$HERE/cpt" "$@"
}

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
    answer=$(cpt error "$message") || answer='{"error":"cpt-run failed"}'
    emit "$answer"
  fi
  exit "$status"
}

# A failed step (prelude.sh on_error).
report_failure() {
  fail "cpt-run: $1" 1
}
trap on_error ERR

# A submission that fails half-way cancels the jobs it already submitted: no half chain is left behind, and
# without jobs.json a later submit starts again; a resumed run gets the status files of its ended chain back.
ARCHIVED_STATUS=
rollback() {
  if [ "${#SUBMITTED[@]}" -gt 0 ]; then
    printf 'cpt-run: cancelling the jobs submitted so far: %s\n' "${SUBMITTED[*]}"
    "$SLURM_BIN/scancel" "${SUBMITTED[@]}" || true
    SUBMITTED=()
  fi
  if [ -n "$ARCHIVED_STATUS" ] && [ -d "$ARCHIVED_STATUS" ]; then
    # The new status folder is the jobs' user's: emptied as that user, then removed from root's run directory.
    if [ -d "$RUN_DIR/status" ] && [ ! -L "$RUN_DIR/status" ]; then
      as_job_user find "$RUN_DIR/status" -mindepth 1 -delete || true
      rmdir "$RUN_DIR/status" || true
    fi
    mv "$ARCHIVED_STATUS" "$RUN_DIR/status" || true
    ARCHIVED_STATUS=
  fi
}

say() {
  printf '%s cpt-run: %s\n' "$(utc_now)" "$*"
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
if ! cpt decode "$ACTION" "$2" "$WORK/request.json" 2>"$WORK/decode.err"; then
  fail "$(cat "$WORK/decode.err")" 2
fi
# Sets REQ_<FIELD> for every value of the request $1 (e.g. REQ_NEURON_RELEASE, REQ_TIME_LIMITS_TRAIN), and the
# run's paths (RUN_DIR, CKPT_DIR, ...): `cpt env` quotes every value, and the shell reads them once.
load_request() {
  local assignments
  assignments=$(cpt env "$1")
  eval "$assignments"
}
load_request "$WORK/request.json"
RUN=$REQ_RUN
# The end of this submission's Capacity Block (empty: none), which a resumed run takes instead of its stored one.
SUBMITTED_STOP_BY=${REQ_STOP_BY:-}
JOBS=$RUN_DIR/jobs.json
NEURON_FILE=$WORK/neuron.json

# Prints the state of the Neuron environment of release $1 (ready, building, failed or not-started) and describes
# it in $NEURON_FILE.
neuron_state() {
  cpt neuron-state "$1" "$NEURON_FILE"
}

# --- status and cancel ---
if [ "$ACTION" != submit ]; then
  [ -f "$JOBS" ] || fail "no run named $RUN on this cluster ($JOBS does not exist)" 1
  STEP="$ACTION the jobs"
  if [ "$ACTION" = status ]; then
    answer=$(cpt status "$JOBS")
  else
    ids_text=$(cpt job-ids "$JOBS")
    mapfile -t ids <<<"$ids_text"
    [ -n "$ids_text" ] || fail "$JOBS lists no job" 1
    say "cancelling run $RUN: jobs ${ids[*]}"
    # Jobs that have ended already make scancel complain; that is not a failure of the cancel.
    "$SLURM_BIN/scancel" "${ids[@]}" || say "scancel exited with status $? (jobs that have ended already cannot be cancelled)"
    answer=$(cpt cancel-output "$JOBS")
  fi
  emit "$answer"
  exit 0
fi

# --- submit ---
# Sets NEURON (the state of the Neuron environment of release $1), HELD_FOR (what the first job waits for) and
# REFUSAL (why a new chain cannot be submitted, when the environment failed).
check_neuron() {
  NEURON=$(neuron_state "$1")
  HELD_FOR=
  REFUSAL=
  case $NEURON in
    ready) ;;
    building | not-started) HELD_FOR=neuron-$1 ;;
    *)
      REFUSAL=$(cpt neuron-refusal "$NEURON_FILE") ||
        REFUSAL="the Neuron $1 environment cannot be used (state $NEURON)"
      ;;
  esac
}

# Logs a warning when the request differs from the run's stored request $1 (resume and stopBy aside), named $2
# (default $1): the run keeps that.
warn_if_differs() {
  local stored=$1 differences
  [ -f "$stored" ] || return 0
  differences=$(cpt request-differences "$stored" "$WORK/request.json")
  [ -z "$differences" ] ||
    say "warning: this request differs from ${2:-$stored} in ${differences//$'\n'/, }: the run keeps its stored request; use a new run name to change it"
}

# Prints the answer for the chain in jobs.json: $1 created (true/false), $2 resumed, $3 a message (optional).
answer_jobs() {
  local newest
  newest=$(cpt checkpoints "$CKPT_DIR")
  cpt submit-output "$JOBS" "$1" "$NEURON_FILE" "$2" "${newest##*$'\n'}" "${3:-}"
}

STEP="check the Neuron environment"
RELEASE=$REQ_NEURON_RELEASE
check_neuron "$RELEASE"
# A run submitted before is answered below whatever the environment's state; a new one is refused now, before
# anything is written.
[ -z "$REFUSAL" ] || [ -f "$JOBS" ] || fail "$REFUSAL" 1
RESUME=$REQ_RESUME

STEP="check the jobs' user"
id -u "$JOB_USER" >/dev/null 2>&1 ||
  fail "the jobs' user $JOB_USER (CPT_JOB_USER) does not exist on this head node: ParallelCluster's default user of the cluster's OS is expected (ubuntu on Ubuntu)" 1

STEP="lock the run"
make_root_dir "$RUN_DIR"
check_root_path "$RUN_DIR" "$RUN_DIR"
exec 9>>"$RUN_DIR/.lock"
flock -w "${CPT_LOCK_TIMEOUT:-120}" 9 || fail "another submission of run $RUN holds $RUN_DIR/.lock" 1

RESUMED=false
STEP="look for checkpoints of the run"
found=$(cpt any-checkpoints "$CKPT_DIR")
if [ -f "$JOBS" ]; then
  STEP="look at the run's chain"
  chain=$(cpt chain-state "$JOBS")
  case $chain in
    active | completed)
      say "run $RUN was submitted before ($JOBS) and its chain is $chain: nothing to do"
      warn_if_differs "$RUN_DIR/request.json"
      message=
      [ "$chain" = active ] || message="the chain of run $RUN completed: nothing to continue; use a new run name to train again"
      answer=$(answer_jobs false false "$message")
      emit "$answer"
      exit 0
      ;;
  esac
  read -r _ ended_state ended_stage <<<"$chain"
  if [ "$RESUME" != true ]; then
    message="the chain of run $RUN ended $ended_state at $ended_stage; \`npm run submit -- --run $RUN --resume\` continues it"
    say "$message"
    answer=$(answer_jobs false false "$message")
    emit "$answer"
    exit 0
  fi
  say "run $RUN: its chain ended $ended_state at $ended_stage; resuming it with a new chain"
  RESUMED=true
else
  if [ -n "$found" ]; then
    newest=$(cpt checkpoints "$CKPT_DIR")
    newest=${newest##*$'\n'}
    [ "$RESUME" = true ] || fail "run $RUN has no chain on this cluster ($JOBS does not exist), but $CKPT_DIR holds checkpoints (newest ${newest:-${found##*$'\n'}, not completed}): submit it with resume (\`npm run submit -- --run $RUN --resume\`) to continue from them, or choose another run name to start over" 1
    say "run $RUN: no chain on this cluster, but checkpoints in $CKPT_DIR (newest completed: ${newest:-none}); resuming"
    RESUMED=true
  fi
fi

# A resumed run keeps its stored request, which must still be valid for this bundle: RUN_DIR/request.json, or on a
# cluster created again (no run directory; the checkpoints came back from S3 through the FSx link) the copy next to
# the checkpoints. Today's request would move the rows the checkpoints' steps consumed (resume_data.py counts
# global_step x grad_accum: globalBatch, microBatch, nodes), change the learning-rate schedule (steps,
# minLearningRate) or fail every strict load (tensorParallel).
# STORED is the file read (the checkpoint folder's copy read as the jobs' user, whose folder it is), STORED_NAME
# its place.
STORED=
STORED_NAME=
if [ "$RESUMED" = true ]; then
  if [ -f "$RUN_DIR/request.json" ]; then
    STORED=$RUN_DIR/request.json
  elif [ -f "$CKPT_DIR/request.json" ]; then
    as_job_user cat "$CKPT_DIR/request.json" >"$WORK/stored-request.json" ||
      fail "cannot read $CKPT_DIR/request.json as the jobs' user $JOB_USER" 1
    STORED=$WORK/stored-request.json
    STORED_NAME=$CKPT_DIR/request.json
    say "run $RUN: no $RUN_DIR/request.json; resuming with the request stored next to its checkpoints, $STORED_NAME"
  elif [ -n "$found" ]; then
    fail "cannot resume run $RUN: the checkpoints in $CKPT_DIR have no request.json next to them, which this version of trainium-cpt writes there: they come from an earlier version, whose q/k/v layout (--fuse_qkv 0) this version cannot continue; submit it under another run name" 1
  fi
fi
if [ -n "$STORED" ]; then
  STEP="check the run's stored request"
  if ! cpt validate-file "$STORED" "$RUN" 2>"$WORK/stored.err"; then
    problem=$(cat "$WORK/stored.err")
    fail "cannot resume run $RUN: ${problem//"$STORED"/"${STORED_NAME:-$STORED}"}; submit it under another run name" 1
  fi
  warn_if_differs "$STORED" "${STORED_NAME:-$STORED}"
  # From here on, the values are those of the stored request, which the run keeps (resume and stopBy aside,
  # which are read above and written below from the new request).
  load_request "$STORED"
  REQ_STOP_BY=$SUBMITTED_STOP_BY
  if [ "$REQ_NEURON_RELEASE" != "$RELEASE" ]; then
    RELEASE=$REQ_NEURON_RELEASE
    check_neuron "$RELEASE"
  fi
fi
[ -z "$REFUSAL" ] || fail "$REFUSAL" 1

# The train job's time limit: the request's, cut to the minutes left before stopBy (none left: refused).
STEP="check stopBy"
if ! TRAIN_MINUTES=$(cpt train-minutes "$REQ_TIME_LIMITS_TRAIN" "$REQ_STOP_BY" "$CKPT_DIR" 2>"$WORK/stop-by.err"); then
  fail "$(cat "$WORK/stop-by.err")" 2
fi
[ -z "$REQ_STOP_BY" ] ||
  say "run $RUN: training stops at a checkpoint by $REQ_STOP_BY (stopBy); the train job's time limit is $TRAIN_MINUTES min"

if [ -f "$JOBS" ]; then
  STEP="keep the ended chain"
  first_job=$(cpt job-ids "$JOBS" | head -n 1)
  archive=$RUN_DIR/chains/$(date -u +%Y%m%dT%H%M%SZ)-${first_job:-none}
  mkdir -p "$archive"
  cp "$JOBS" "$archive/jobs.json"
  if [ -d "$RUN_DIR/status" ]; then
    mv "$RUN_DIR/status" "$archive/status"
    ARCHIVED_STATUS=$archive/status
  fi
  say "run $RUN: kept the ended chain's jobs.json and status files in $archive"
fi

STEP="make the jobs' folders"
for dir in "${JOB_DIRS[@]}"; do
  make_job_dir "$RUN_DIR/$dir"
done
make_job_dir "$CKPT_DIR"
make_job_dir "$COMPILE_CACHE"

STEP="write the run directory"
say "run $RUN: writing $RUN_DIR"
rm -rf "$RUN_DIR/scripts.new"
mkdir "$RUN_DIR/scripts.new"
for file in "${STAGE_FILES[@]}"; do
  cp "$HERE/$file" "$RUN_DIR/scripts.new/$file"
done
for package in "${STAGE_PACKAGES[@]}"; do
  mkdir "$RUN_DIR/scripts.new/$package"
  cp "$HERE/$package"/*.py "$RUN_DIR/scripts.new/$package/"
done
# Readable by all, writable by root alone, whatever the umask.
chmod -R u=rwX,go=rX "$RUN_DIR/scripts.new"
rm -rf "$RUN_DIR/scripts"
mv "$RUN_DIR/scripts.new" "$RUN_DIR/scripts"
# A resumed run keeps its stored request, with this submission's resume and stopBy.
if [ -z "$STORED" ]; then
  cp "$WORK/request.json" "$RUN_DIR/request.json.tmp"
  chmod 0644 "$RUN_DIR/request.json.tmp"
  mv "$RUN_DIR/request.json.tmp" "$RUN_DIR/request.json"
else
  cpt resumed-request "$STORED" "$WORK/request.json" "$RUN_DIR/request.json"
fi
# The run's request next to its checkpoints (rename: readers see a whole file), which FSx exports to S3 with them
# (AutoExportPolicy NEW, CHANGED): a resume on a cluster created again finds it there. Written as the jobs' user, in
# whose folder it is: a link planted there gets nothing that user could not write anyway.
STEP="copy the request next to the checkpoints"
if ! as_job_user cmp -s "$RUN_DIR/request.json" "$CKPT_DIR/request.json"; then
  as_job_user rm -f "$CKPT_DIR/request.json.tmp"
  as_job_user cp "$RUN_DIR/request.json" "$CKPT_DIR/request.json.tmp"
  as_job_user mv -f "$CKPT_DIR/request.json.tmp" "$CKPT_DIR/request.json"
fi

STEP="submit the jobs"
previous=""
pairs=()
for stage in "${STAGES[@]}"; do
  time_limit=REQ_TIME_LIMITS_${stage^^}
  [ "$stage" != train ] || time_limit=TRAIN_MINUTES
  options=(--parsable --job-name "cpt-$RUN-$stage" --partition "$REQ_PARTITION" --exclusive --ntasks-per-node 1
    --chdir "$RUN_DIR/work" --output "$RUN_DIR/logs/$stage-%j.out" --open-mode append --kill-on-invalid-dep=yes
    --time "${!time_limit}" --propagate=NONE)
  # --propagate=NONE: the jobs take slurmd's resource limits, not those of runuser's session on the head node
  # (PropagateResourceLimits, ALL by default, would pass sbatch's on: slurm.conf(5)), whose locked-memory limit
  # EFA would find too low (node_preflight checks it). sbatch(1) of Slurm 22.05, --propagate: "NONE: No limits".
  case $stage in
    # Both requeue themselves after a failed preflight (and training after a failed run), and Slurm requeues them
    # after a node failure: a job submitted with --no-requeue cannot be requeued at all.
    compile | train) options+=(--nodes "$REQ_NODES" --requeue) ;;
    *) options+=(--nodes 1) ;;
  esac
  [ -z "$previous" ] || options+=(--dependency "afterok:$previous")
  # The first job waits for the Neuron environment; node-setup.sh finds it by its comment.
  [ -n "$previous" ] || [ -z "$HELD_FOR" ] || options+=(--hold --comment "trainium-cpt:waits-for=$HELD_FOR")
  if ! answer=$(as_job_user "$SLURM_BIN/sbatch" "${options[@]}" "$RUN_DIR/scripts/stage-$stage.sh" "$RUN_DIR/request.json"); then
    fail "sbatch refused the $stage job of run $RUN (see stderr)" 1
  fi
  id=${answer%%;*}
  [[ $id =~ ^[0-9]+$ ]] || fail "sbatch answered '$answer' for the $stage job, not a job id" 1
  SUBMITTED+=("$id")
  pairs+=("$stage=$id")
  say "run $RUN: $stage is job $id${previous:+ (after job $previous)}"
  previous=$id
done

if [ -n "$HELD_FOR" ]; then
  # node-setup.sh may have looked for held jobs before the first one was submitted: look again, now that it is.
  STEP="check the Neuron environment again"
  first=${SUBMITTED[0]}
  NEURON=$(neuron_state "$RELEASE")
  if [ "$NEURON" = ready ]; then
    say "run $RUN: the Neuron $RELEASE environment became ready during the submission: releasing job $first"
    "$SLURM_BIN/scontrol" release "$first" || fail "scontrol release $first failed: the chain is cancelled, submit it again" 1
  else
    say "run $RUN: job $first is held until the Neuron $RELEASE environment is ready (now: $NEURON)"
  fi
  pairs+=("heldFor=$HELD_FOR")
fi

STEP="record the jobs"
cpt jobs-json "$JOBS" "$RUN" "$RUN_DIR" "${pairs[@]}"
SUBMITTED=()
ARCHIVED_STATUS=
answer=$(answer_jobs true "$RESUMED")
emit "$answer"
