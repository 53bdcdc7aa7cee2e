#!/usr/bin/env bash
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
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
umask 022

readonly NEURON_APT_URL=https://apt.repos.neuron.amazonaws.com
readonly NEURON_APT_KEY_URL=$NEURON_APT_URL/GPG-PUB-KEY-AMAZON-AWS-NEURON.PUB
readonly NEURON_APT_SUITE=jammy
readonly NEURON_KEYRING=/usr/share/keyrings/aws-neuron-archive-keyring.gpg
readonly NEURON_PIP_URL=https://pip.repos.neuron.amazonaws.com
readonly NXD_GIT_URL=https://github.com/aws-neuron/neuronx-distributed.git
readonly NXD_LLAMA_REQUIREMENTS=examples/training/llama/requirements.txt
readonly NEURON_APT_PACKAGES=(aws-neuronx-dkms aws-neuronx-collectives aws-neuronx-runtime-lib aws-neuronx-tools)
# Ports reserved so that no ephemeral connection takes them: 44000 is the torchrun --master_port and 48620 the port
# of NEURON_RT_ROOT_COMM_ID in the neuronx-distributed examples, which reserve them with `sudo sysctl -w
# net.ipv4.ip_local_reserved_ports=44000,48620` before launching (examples/training/llama/tp_zero1_llama_hf_pretrain/
# tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0; Neuron's training troubleshooting guide, "Multiworker execution
# hangs during NCCL init": https://awsdocs-neuron.readthedocs-hosted.com/en/latest/frameworks/torch/torch-neuronx/training-troubleshooting.html).
# Reserved here once, at boot, the jobs need no sudo.
readonly RESERVED_PORTS=44000,48620

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
  pins_dir=${CPT_PINS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/neuron}
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
STEP=start
# The head role's state file, and what it says: empty until the build has a shared file system to record it on.
STATE_FILE=
STATE=
BUILD_STARTED=

say() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) node-setup[$ROLE]: $*"
  printf '%s\n' "$line" >&5
  printf '%s\n' "$line" >&3
}

utc_now() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

step() {
  STEP=$1
  say "step: $STEP"
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
  local message="node-setup: step '$STEP' failed (exit $rc)"
  printf '%s %s\n' "$(utc_now)" "$message" >&5
  if [ "$STATE" = building ]; then
    record_state failed "$rc" "$message" || true
  fi
  {
    printf '%s\n' "$message"
    printf 'node-setup: last lines of %s:\n' "$LOG"
    tail -n 20 "$LOG" | sed 's/^/  | /'
  } >&4
  exit "$rc"
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

# --- compute ---

compute_marker_content() {
  printf 'NEURON_RELEASE=%s\n' "$RELEASE"
  printf 'NEURON_DKMS_VERSION=%s\n' "$NEURON_DKMS_VERSION"
  printf 'NEURON_COLLECTIVES_VERSION=%s\n' "$NEURON_COLLECTIVES_VERSION"
  printf 'NEURON_RUNTIME_LIB_VERSION=%s\n' "$NEURON_RUNTIME_LIB_VERSION"
  printf 'NEURON_TOOLS_VERSION=%s' "$NEURON_TOOLS_VERSION"
}

install_neuron_packages() {
  step "check the operating system"
  check_os

  step "add the Neuron apt repository"
  local key_download
  key_download=$(mktemp)
  curl -fsSL --retry 5 --retry-delay 3 -o "$key_download" "$NEURON_APT_KEY_URL"
  mkdir -p "$(dirname "$ROOT$NEURON_KEYRING")"
  run gpg --batch --yes --dearmor --output "$ROOT$NEURON_KEYRING" "$key_download"
  rm -f "$key_download"
  chmod 644 "$ROOT$NEURON_KEYRING"
  write_if_changed "$ROOT/etc/apt/sources.list.d/neuron.list" \
    "deb [signed-by=$NEURON_KEYRING] $NEURON_APT_URL $NEURON_APT_SUITE main"

  step "update the apt package lists"
  apt_get update

  step "install the kernel headers"
  local kernel
  kernel=$(uname -r)
  apt_get install -y "linux-headers-$kernel"

  step "install the Neuron driver, runtime and tools"
  apt_get install -y --allow-change-held-packages \
    "aws-neuronx-dkms=$NEURON_DKMS_VERSION" \
    "aws-neuronx-collectives=$NEURON_COLLECTIVES_VERSION" \
    "aws-neuronx-runtime-lib=$NEURON_RUNTIME_LIB_VERSION" \
    "aws-neuronx-tools=$NEURON_TOOLS_VERSION"

  step "hold the Neuron packages"
  run apt-mark hold "${NEURON_APT_PACKAGES[@]}"
}

# The primary private IPv4 address of this instance, from the instance metadata service (IMDSv2, which the cluster
# requires): the address Slurm records as the node's NodeAddr.
instance_ipv4() {
  local token ip
  token=$(curl -fsS --retry 3 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    http://169.254.169.254/latest/api/token)
  ip=$(curl -fsS --retry 3 -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/local-ipv4)
  [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "the instance metadata gave '$ip' as this node's address"
  printf '%s\n' "$ip"
}

# Known problem: a dynamic node (MinCount 0) that is relaunched gets a new IP address, but /etc/hosts can keep
# a stale entry for its host name, so the node resolves its own name (the torchrun master address of node 0) to
# an address it no longer has. Source: aws-neuron/aws-neuron-parallelcluster-samples, releasenotes.md, "Known
# Issues: Relaunch a dynamic cluster created with MinCount = 0 may fail due to compute nodes IP address mismatch"
# (pull request #15), whose install_neuron.sh deletes the lines with the host name and appends a fresh one. Same
# fix here, but matching the name exactly (sed "/$HOSTNAME/d" also deletes ...-trn1-10 when the node is ...-trn1-1),
# keeping the name's FQDN alias, taking the address from the instance metadata rather than from DNS (which may not
# have caught up yet), and rewriting the file only when it changes.
fix_hosts_entry() {
  local hosts=$ROOT/etc/hosts name ip current wanted
  name=$(uname -n)
  name=${name%%.*}
  ip=$(instance_ipv4)
  current=$(cat "$hosts" 2>/dev/null || true)
  wanted=$({ [ -z "$current" ] || printf '%s\n' "$current"; } | awk -v name="$name" -v ip="$ip" '
    # The host names of a line (the fields after the address, up to a comment), in names[1..count].
    function host_names(line,    fields, n, i) {
      sub(/^[ \t]+/, "", line)
      n = split(line, fields, /[ \t]+/)
      count = 0
      for (i = 2; i <= n; i++) {
        if (fields[i] ~ /^#/) break
        names[++count] = fields[i]
      }
    }
    /^[ \t]*(#|$)/ { print; next }
    {
      host_names($0)
      mine = 0
      for (i = 1; i <= count; i++) if (names[i] == name) mine = 1
      if (!mine) { print; next }
      for (i = 1; i <= count; i++) if (fqdn == "" && index(names[i], name ".") == 1) fqdn = names[i]
    }
    END { print ip (fqdn == "" ? "" : " " fqdn) " " name }
  ')
  if [ "$current" = "$wanted" ]; then
    say "/etc/hosts maps $name to $ip already"
  else
    printf '%s\n' "$wanted" >"$hosts"
    say "/etc/hosts now maps $name to $ip (and nothing else)"
  fi
}

compute_setup() {
  local marker=$ROOT/var/lib/trainium-cpt/neuron-installed.env want
  want=$(compute_marker_content)
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
    say "the Neuron $RELEASE packages are installed already ($marker): nothing to install"
  else
    install_neuron_packages
    step "record the installed versions"
    write_if_changed "$marker" "$want"
  fi

  step "load the Neuron driver"
  run modprobe neuron

  step "reserve the ports of the training launcher"
  local sysctl_conf=$ROOT/etc/sysctl.d/99-trainium-cpt.conf
  write_if_changed "$sysctl_conf" "# trainium-cpt (cluster/node-setup.sh): torchrun master port and NEURON_RT_ROOT_COMM_ID port
net.ipv4.ip_local_reserved_ports = $RESERVED_PORTS"
  sysctl -q -p "$sysctl_conf"

  step "fix this node's entry in /etc/hosts"
  fix_hosts_entry
}

# --- head ---

head_marker_content() {
  printf 'NEURON_RELEASE=%s\n' "$RELEASE"
  printf 'TORCH_VERSION=%s\n' "$TORCH_VERSION"
  printf 'TORCH_NEURONX_VERSION=%s\n' "$TORCH_NEURONX_VERSION"
  printf 'NEURONX_CC_VERSION=%s\n' "$NEURONX_CC_VERSION"
  printf 'NEURONX_DISTRIBUTED_VERSION=%s\n' "$NEURONX_DISTRIBUTED_VERSION"
  printf 'NXD_GIT_TAG=%s' "$NXD_GIT_TAG"
}

pip_constraints() {
  printf 'torch==%s\n' "$TORCH_VERSION"
  printf 'torch-neuronx==%s\n' "$TORCH_NEURONX_VERSION"
  printf 'neuronx-cc==%s\n' "$NEURONX_CC_VERSION"
  printf 'neuronx-distributed==%s' "$NEURONX_DISTRIBUTED_VERSION"
}

# The Slurm jobs that wait for this environment: pending, held, with the comment cpt-run.sh gave them when it
# submitted a chain before the environment was ready. Released once it is; cpt-run.sh looks again after it submits,
# so a chain submitted while this runs is released by one of the two. A failure here leaves the environment ready
# and says what to run by hand: the jobs are not lost, and running this script again releases them.
release_waiting_jobs() {
  local squeue=$SLURM_BIN/squeue scontrol=$SLURM_BIN/scontrol marker="trainium-cpt:waits-for=neuron-$RELEASE"
  local listing id reason comment ids=()
  if [ ! -x "$squeue" ] || [ ! -x "$scontrol" ]; then
    say "no Slurm commands in $SLURM_BIN: no job to release"
    return 0
  fi
  if ! listing=$(run "$squeue" -h -t PENDING -o '%i %r %k'); then
    say "warning: $squeue failed: the jobs held for $marker stay held; run this script again, or release them: $scontrol release <job id>"
    return 0
  fi
  while read -r id reason comment; do
    if [ "$comment" = "$marker" ] && [[ $reason == JobHeld* ]]; then
      ids+=("$id")
    fi
  done <<<"$listing"
  if [ "${#ids[@]}" -eq 0 ]; then
    say "no Slurm job waits for this environment"
    return 0
  fi
  say "releasing the Slurm jobs that wait for this environment: ${ids[*]}"
  run "$scontrol" release "${ids[@]}" ||
    say "warning: $scontrol release ${ids[*]} failed: run it again by hand"
}

# The environment is in place: record it (keeping an earlier "ready" record and its time), then release the jobs.
head_ready() {
  if ! grep -qs '"state":"ready"' "$STATE_FILE"; then
    record_state ready
  fi
  STATE=ready
  step "release the jobs waiting for this environment"
  release_waiting_jobs
}

# The environment is built in a directory of its own next to the target (a virtual environment cannot be moved:
# its scripts name their own path), and the target, a symbolic link to it, appears with one rename at the end.
# Until then the target does not exist, so nothing ever uses a half-built environment.
head_setup() {
  local base=$SHARED/trainium-cpt
  local target=$base/neuron-$RELEASE
  local marker_name=installed.env want
  want=$(head_marker_content)
  if [ -f "$target/$marker_name" ] && [ "$(cat "$target/$marker_name")" = "$want" ]; then
    say "the Neuron $RELEASE environment is in place already ($target): nothing to build"
    STATE_FILE=$target.state.json
    head_ready
    return 0
  fi

  step "check the shared file system"
  [ -d "$SHARED" ] || die "$SHARED does not exist: the shared file system is not mounted"
  mkdir -p "$base"
  # From here on every step, and a failure, is recorded for the training chain.
  STATE_FILE=$target.state.json
  BUILD_STARTED=$(utc_now)
  record_state building

  step "check the operating system"
  check_os

  step "remove unfinished builds"
  local live="" dir
  if [ -L "$target" ]; then
    live=$(readlink "$target")
  fi
  for dir in "$base/neuron-$RELEASE".*; do
    # A build is unfinished if it has no marker; finished ones may be in use by running jobs and stay.
    if [ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(basename "$dir")" != "$live" ] && [ ! -f "$dir/$marker_name" ]; then
      say "removing the unfinished build $dir"
      rm -rf "$dir"
    fi
  done
  rm -f "$base/.neuron-$RELEASE.link".*

  step "install python3-venv and git"
  apt_get update
  apt_get install -y python3-venv git

  local build
  build=$base/neuron-$RELEASE.$(date -u +%Y%m%dT%H%M%SZ).$$
  mkdir "$build"

  step "check out neuronx-distributed $NXD_GIT_TAG"
  run git clone --quiet --depth 1 --branch "$NXD_GIT_TAG" "$NXD_GIT_URL" "$build/neuronx-distributed"
  [ -f "$build/neuronx-distributed/$NXD_LLAMA_REQUIREMENTS" ] ||
    die "neuronx-distributed $NXD_GIT_TAG has no $NXD_LLAMA_REQUIREMENTS"

  step "create the Python virtual environment"
  run python3 -m venv "$build/venv"

  step "install torch-neuronx, neuronx-cc and neuronx-distributed"
  local pip=("$build/venv/bin/pip" --disable-pip-version-check --no-cache-dir --progress-bar off)
  pip_constraints >"$build/constraints.txt"
  run "${pip[@]}" install --extra-index-url "$NEURON_PIP_URL" \
    "torch==$TORCH_VERSION" \
    "torch-neuronx==$TORCH_NEURONX_VERSION" \
    "neuronx-cc==$NEURONX_CC_VERSION" \
    "neuronx-distributed==$NEURONX_DISTRIBUTED_VERSION"

  step "install the requirements of the Llama training example"
  # The constraints keep the pinned packages where they are whatever the requirements ask for.
  run "${pip[@]}" install --extra-index-url "$NEURON_PIP_URL" \
    -c "$build/constraints.txt" -r "$build/neuronx-distributed/$NXD_LLAMA_REQUIREMENTS"

  step "record the installed versions"
  printf '%s\n' "$want" >"$build/$marker_name"

  step "put the environment in place"
  local link=$base/.neuron-$RELEASE.link.$$
  ln -s "$(basename "$build")" "$link"
  mv -T "$link" "$target"
  say "$target -> $(basename "$build") (activate: . $target/venv/bin/activate)"
  head_ready
}

say "Neuron SDK $RELEASE, role $ROLE (log: $LOG)"
case $ROLE in
  compute) compute_setup ;;
  head) head_setup ;;
esac
STEP=finish
say "done"
