# shellcheck shell=bash
# prelude.sh: sourced first by every trainium-cpt script on the cluster: cpt-run.sh and stage-lib.sh (which the stage
# scripts and launch-training.sh source) from the training bundle or a run's scripts/ copy, and cluster/node-setup.sh
# from ../ (the copy the CDK app uploads has it written in: lib/cluster/node-setup-script.ts).
#
# Defines: strict mode; STEP, the step under way, which `step NAME` sets and announces; `die MESSAGE`, a failed
# check; on_error, the ERR trap, which names the failed step. The script that sources this file defines `say`
# (how it writes a line), `report_failure MESSAGE EXIT_CODE` (how it tells a failure) and, if it needs one,
# `on_step` (what it does at each new step), and installs the trap (`trap on_error ERR`) once it can report.
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
umask 022

STEP=start

utc_now() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

step() {
  STEP=$1
  say "step: $STEP"
  if declare -F on_step >/dev/null; then
    on_step
  fi
}

# A failed check: says why, then fails the current step (the ERR trap names it).
die() {
  say "error: $*"
  return 1
}

on_error() {
  local rc=$?
  # In a subshell ($(...)) only leave it: the command that ran the subshell fails in turn and reports.
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
  trap - ERR
  report_failure "step '$STEP' failed (exit $rc)" "$rc"
  exit "$rc"
}
