#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# node-setup.sh ROLE RELEASE: sets up one node of the trainium-cpt cluster, as root, on ParallelCluster's Ubuntu 22.04
# AMI (which has EFA but not the Neuron driver). RELEASE is a Neuron SDK release with tested pins:
# cluster/neuron/RELEASE.env, or the pins written into this file where the "@pins@" line is (the CDK app uploads
# such a copy, lib/cluster/node-setup-script.ts).
#
#   compute: run by ParallelCluster as CustomActions.OnNodeConfigured of the Trainium nodes, at every launch: the
#            Neuron apt repository, the kernel headers, the pinned driver, collectives, runtime and tools (held), the
#            driver loaded, the launcher's ports reserved, this node's /etc/hosts entry put right.
#   head:    run on the head node AFTER the cluster is created, by the systemd unit that the cluster stack's SSM
#            association installs and starts without waiting (lib/cluster/neuron-environment.ts): building takes
#            long, and ParallelCluster's custom resource must finish within CloudFormation's hour, FSx included, so
#            it is not part of the head node's bootstrap. Once for the whole cluster, on the shared file system,
#            CPT_SHARED/trainium-cpt/neuron-RELEASE/: venv/ (torch-neuronx, neuronx-cc, neuronx-distributed and the
#            Llama example's requirements) and neuronx-distributed/ (the repository at the release's tag). The
#            compute nodes use it from there. neuron-RELEASE is a link to the directory it was built in
#            (neuron-RELEASE.<UTC time>.<pid>), made when the build is complete.
#            Progress is recorded for the training chain (cluster/training/cpt-run.sh, which holds a chain until the
#            environment is ready) in CPT_SHARED/trainium-cpt/neuron-RELEASE.state.json, written whole (temporary
#            file, then rename): {"release", "state": building|failed|ready, "step", "since" (when that step began,
#            or the build failed or became ready), "started" (when the build began), "log", "exitCode", "message"}.
#            When the environment is ready, the Slurm jobs held for it (comment trainium-cpt:waits-for=neuron-RELEASE)
#            are released; with no Slurm commands in CPT_SLURM_BIN there is nothing to release.
#
# A second run changes nothing: what was installed is recorded, with the versions, in a marker file
# (compute: /var/lib/trainium-cpt/neuron-installed.env; head: .../neuron-RELEASE/installed.env); the head role still
# records "ready" and releases waiting jobs (a reboot runs it again). Every step is named; a failing one ends the
# script with "node-setup: step '<name>' failed (exit N)" on stderr and in the log (head: and in the state file).
#
# Environment (all optional; the tests use them to run the script in a sandbox):
#   CPT_ROOT      prefix of every system path the script writes (/etc/..., /usr/share/keyrings/..., /var/...)
#   CPT_LOG       the log file (default CPT_ROOT/var/log/trainium-cpt/node-setup.log)
#   CPT_SHARED    the shared file system (default /fsx, where the cluster mounts FSx for Lustre)
#   CPT_PINS_DIR  where RELEASE.env files are (default: neuron/ next to this script)
#   CPT_SLURM_BIN Slurm's commands, squeue and scontrol (default /opt/slurm/bin, where ParallelCluster installs them)
# Commands (apt-get, apt-mark, curl, gpg, modprobe, sysctl, git, python3, uname) are taken from PATH.
#
# Files: this one (arguments, pins, logging, the state file); the roles, node-setup-compute.sh and node-setup-head.sh;
# the shell prelude shared with the training scripts, training/prelude.sh (strict mode, steps, the ERR trap). The
# copy the CDK app uploads is one file: each `. "$HERE/FILE"` line below is replaced by FILE
# (lib/cluster/node-setup-script.ts).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=training/prelude.sh
. "$HERE/training/prelude.sh"

readonly NEURON_APT_SUITE=jammy

usage() {
  cat >&2 <<'EOF'
usage: node-setup.sh ROLE RELEASE
  ROLE     head (builds the shared Python environment) or compute (installs the Neuron driver and runtime)
  RELEASE  a Neuron SDK release with tested pins, such as 2.28.1 (cluster/neuron/RELEASE.env)
EOF
}

usage_error() {
  printf 'node-setup: %s\n' "$1" >&2
  usage
  exit 2
}

# --- Arguments and pins: checked before anything is written. ---
[ "$#" -eq 2 ] || usage_error "expected 2 arguments (ROLE RELEASE), got $#"
ROLE=$1
RELEASE=$2
case $ROLE in
  head | compute) ;;
  *) usage_error "unknown role '$ROLE': expected head or compute" ;;
esac
[[ $RELEASE =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || usage_error "release '$RELEASE' is not a Neuron SDK version such as 2.28.1"

readonly PIN_VARS=(NEURON_RELEASE NEURON_DKMS_VERSION NEURON_COLLECTIVES_VERSION NEURON_RUNTIME_LIB_VERSION
  NEURON_TOOLS_VERSION TORCH_NEURONX_VERSION NEURONX_CC_VERSION NEURONX_DISTRIBUTED_VERSION TORCH_VERSION NXD_GIT_TAG)
unset "${PIN_VARS[@]}"
CPT_PINS_INLINED=
# @pins@ (the uploaded copy has CPT_PINS_INLINED=<release> and that release's pins in place of this line)

if [ -n "$CPT_PINS_INLINED" ]; then
  [ "$CPT_PINS_INLINED" = "$RELEASE" ] ||
    usage_error "this copy of node-setup.sh carries the pins of Neuron release $CPT_PINS_INLINED, not $RELEASE"
else
  pins_dir=${CPT_PINS_DIR:-$HERE/neuron}
  pins_file=$pins_dir/$RELEASE.env
  if [ ! -f "$pins_file" ]; then
    tested=$(cd "$pins_dir" 2>/dev/null && find . -maxdepth 1 -name '*.env' | sed 's|^\./||; s|\.env$||' | sort | paste -sd ' ' - || true)
    usage_error "no tested pins for Neuron release $RELEASE (no $pins_file); tested releases: ${tested:-none}"
  fi
  # shellcheck source=/dev/null
  . "$pins_file"
fi
for var in "${PIN_VARS[@]}"; do
  [ -n "${!var:-}" ] || usage_error "the pins of Neuron release $RELEASE lack $var"
done
[ "$NEURON_RELEASE" = "$RELEASE" ] || usage_error "the pins of release $RELEASE say NEURON_RELEASE=$NEURON_RELEASE"

# --- Logging: the output of every command goes to the log; the script's own lines go to the log (fd 5) and to
# the console (fd 3), failures to the console's stderr (fd 4) too. ---
ROOT=${CPT_ROOT:-}
SHARED=${CPT_SHARED:-/fsx}
LOG=${CPT_LOG:-$ROOT/var/log/trainium-cpt/node-setup.log}
SLURM_BIN=${CPT_SLURM_BIN:-/opt/slurm/bin}
mkdir -p "$(dirname "$LOG")"
exec 3>&1 4>&2
exec >>"$LOG" 2>&1 5>>"$LOG"
# The head role's state file, and what it says: empty until the build has a shared file system to record it on.
STATE_FILE=
STATE=
BUILD_STARTED=

say() {
  local line
  line="$(utc_now) node-setup[$ROLE]: $*"
  printf '%s\n' "$line" >&5
  printf '%s\n' "$line" >&3
}

# Each step of a build is recorded for the training chain (prelude.sh step).
on_step() {
  if [ "$STATE" = building ]; then
    record_state building
  fi
}

# $1 as a JSON string: backslashes and quotes escaped, control characters made spaces.
json_string() {
  local text=$1
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//[[:cntrl:]]/ }
  printf '"%s"' "$text"
}

# Records STATE ($1: building, failed or ready) in STATE_FILE: a temporary file next to it, then one rename, so
# that a reader (cpt-run.sh) sees the previous record or this one, never a part. $2: exit code, $3: message
# (failures only).
record_state() {
  local state=$1 exit_code=${2:-null} message=${3:-} temporary step_json=null started_json=null message_json=null
  STATE=$state
  [ -n "$STATE_FILE" ] || return 0
  [ "$state" = ready ] || step_json=$(json_string "$STEP")
  [ -z "$BUILD_STARTED" ] || started_json=$(json_string "$BUILD_STARTED")
  [ -z "$message" ] || message_json=$(json_string "$message")
  temporary=$(mktemp "$STATE_FILE.XXXXXX")
  printf '{"release":%s,"state":%s,"step":%s,"since":%s,"started":%s,"log":%s,"exitCode":%s,"message":%s}\n' \
    "$(json_string "$RELEASE")" "$(json_string "$state")" "$step_json" "$(json_string "$(utc_now)")" \
    "$started_json" "$(json_string "$LOG")" "$exit_code" "$message_json" >"$temporary"
  chmod 644 "$temporary"
  mv -f "$temporary" "$STATE_FILE"
}

# A failed step (prelude.sh on_error): in the log, in the state file, and on the console's stderr with the end of
# the log.
report_failure() {
  local message="node-setup: $1" rc=$2
  printf '%s %s\n' "$(utc_now)" "$message" >&5
  if [ "$STATE" = building ]; then
    record_state failed "$rc" "$message" || true
  fi
  {
    printf '%s\n' "$message"
    printf 'node-setup: last lines of %s:\n' "$LOG"
    tail -n 20 "$LOG" | sed 's/^/  | /'
  } >&4
}
trap on_error ERR

# systemd stops the head's build with SIGTERM (its unit's timeout, a stop or restart): record that, then end as a
# process killed by the signal would.
on_signal() {
  local signal=$1 rc=$2
  trap - ERR "$signal"
  local message="node-setup: stopped by SIG$signal during step '$STEP'"
  say "$message"
  if [ "$STATE" = building ]; then
    record_state failed "$rc" "$message" || true
  fi
  exit "$rc"
}
trap 'on_signal TERM 143' TERM
trap 'on_signal INT 130' INT

# Writes $2 (and a newline) to file $1, unless the file holds exactly that already.
write_if_changed() {
  local file=$1 content=$2
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$content" >"$file"
}

# Runs a command without the console's file descriptors (3 and 4, and the log's 5): whatever it leaves running,
# such as a daemon started by a package's install script, then cannot keep ParallelCluster waiting for the end of
# this script's output. The command's own output still goes to the log.
run() {
  "$@" 3>&- 4>&- 5>&-
}

apt_get() {
  DEBIAN_FRONTEND=noninteractive run apt-get -q -o DPkg::Lock::Timeout=600 "$@"
}

check_os() {
  local os_release=$ROOT/etc/os-release codename
  [ -f "$os_release" ] || die "$os_release is missing: cannot tell which Ubuntu this is"
  codename=$(sed -n 's/^VERSION_CODENAME=//p' "$os_release" | tr -d '"')
  [ "$codename" = "$NEURON_APT_SUITE" ] ||
    die "the pins of Neuron $RELEASE are for Ubuntu 22.04 ($NEURON_APT_SUITE); this node runs '${codename:-unknown}'"
}

# shellcheck source=node-setup-compute.sh
. "$HERE/node-setup-compute.sh"
# shellcheck source=node-setup-head.sh
. "$HERE/node-setup-head.sh"

say "Neuron SDK $RELEASE, role $ROLE (log: $LOG)"
case $ROLE in
  compute) compute_setup ;;
  head) head_setup ;;
esac
STEP=finish
say "done"
