#!/usr/bin/env bash
# slurm-env.sh: a throwaway Slurm cluster of one node on loopback, for tests (cluster/training/tests).
#
#   scripts/slurm-env.sh start DIR     start munged, slurmctld and slurmd with everything in DIR (which must be an
#                                      empty or missing directory); prints `export SLURM_CONF=DIR/slurm.conf` and
#                                      returns when the node accepts jobs
#   scripts/slurm-env.sh stop DIR      cancel every job of that cluster, stop its daemons, wait for them to end
#   scripts/slurm-env.sh run CMD...    start in a temporary directory, run CMD with SLURM_CONF exported, stop
#                                      everything whatever CMD does (exit status: CMD's)
#   scripts/slurm-env.sh install       only install the packages (as start does when they are missing)
#
# What it runs: Debian's slurm-wlm (22.05) and munge. If they are missing, it installs them with apt-get when it
# runs as root (or can sudo without a password), otherwise it stops with an error that says what to install.
#
#   - munged with its own key, pid, log and seed files in DIR/munge (never the system's /run/munge) and its socket
#     in DIR/run (readable by all, as the system's: the jobs of the tests run as an unprivileged user, whose
#     Slurm commands authenticate through it);
#   - slurmctld -D and slurmd -D (with -N localhost when the host name is not localhost), as root, every file in
#     DIR (state, spool, pid and log files), on two free TCP ports bound to 127.0.0.1 only (NoInAddrAny, and
#     every address in slurm.conf is 127.0.0.1);
#   - slurm.conf: one node, `localhost`, with SLURM_ENV_CPUS CPUs (default 8, whatever the machine has:
#     config_overrides) in one partition, SLURM_ENV_PARTITION (default trn); ProctrackType=proctrack/linuxproc,
#     TaskPlugin=task/none (no cgroups), JobCompType=jobcomp/filetxt (DIR/log/jobcomp.txt, readable with
#     `sacct -c`), no accounting database; a scheduler that looks at the queue every second, so a chain of
#     dependent jobs moves on within about a second of each job's end; AuthInfo cred_expire=5 (Slurm's minimum;
#     SLURM_ENV_CRED_EXPIRE), which is also how long a requeued job waits before it may start again (120 s by
#     default); MinJobAge SLURM_ENV_MIN_JOB_AGE (default 300 s, Slurm's default).
#
# Only processes this script started are stopped, by the process ids it recorded in DIR/pids (and the job step
# daemons of this cluster, found by their SLURM_CONF).
set -euo pipefail

readonly SLURM_PACKAGES=(slurm-wlm munge)
readonly START_TIMEOUT=${SLURM_ENV_START_TIMEOUT:-60}

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
}

die() {
  printf 'slurm-env: %s\n' "$*" >&2
  exit 1
}
# shellcheck source=SCRIPTDIR/apt-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

ensure_installed() {
  local missing=() cmd
  for cmd in munged slurmctld slurmd sbatch scontrol; do
    command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 ||
      missing+=("$cmd")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  printf 'slurm-env: installing %s (missing: %s)\n' "${SLURM_PACKAGES[*]}" "${missing[*]}" >&2
  apt_install "${SLURM_PACKAGES[@]}"
  # The packages' own services (if the machine runs systemd) are not used: this script starts its own daemons.
}

# Two free TCP ports of 127.0.0.1 (the kernel picks them; they are free when this returns).
free_ports() {
  python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# Starts "$@" in the background, detached from this script's output (a test runner waiting for the end of it
# would otherwise wait for the daemons too), and records its pid.
spawn() {
  local log=$1
  shift
  setsid "$@" </dev/null >>"$log" 2>&1 &
  printf '%s %s\n' "$!" "$(basename "$1")" >>"$DIR/pids"
}

write_conf() {
  local ctld_port=$1 slurmd_port=$2 host
  host=$(hostname -s 2>/dev/null || hostname)
  cat >"$DIR/slurm.conf" <<EOF
# Throwaway loopback cluster made by scripts/slurm-env.sh
ClusterName=loopback
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/run/munge.socket,cred_expire=${SLURM_ENV_CRED_EXPIRE:-5}
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,sched_min_interval=100000,bf_interval=1
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=${SLURM_ENV_MIN_JOB_AGE:-300}
KillWait=2
InactiveLimit=0
SlurmdTimeout=300
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=${SLURM_ENV_CPUS:-8} State=UNKNOWN
PartitionName=${SLURM_ENV_PARTITION:-trn} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  [ ! -e "$DIR" ] || [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty: give start a new directory"
  ensure_installed
  PATH=$PATH:/usr/sbin:/sbin
  mkdir -p "$DIR"/{munge,state,spool,run,log}
  chmod 700 "$DIR/munge"
  : >"$DIR/pids"

  # munged refuses a key or directories that others can write to; the key is random, for this cluster only.
  dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$DIR/munge/munge.key"
  spawn "$DIR/log/munged.out" munged --foreground --force \
    --key-file="$DIR/munge/munge.key" --socket="$DIR/run/munge.socket" --pid-file="$DIR/munge/munged.pid" \
    --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"

  local ports
  read -r -a ports <<<"$(free_ports)"
  write_conf "${ports[0]}" "${ports[1]}"
  export SLURM_CONF=$DIR/slurm.conf

  local waited=0
  until [ -S "$DIR/run/munge.socket" ]; do
    ((waited++ < START_TIMEOUT * 10)) || fail_start "munged did not create its socket"
    sleep 0.1
  done

  spawn "$DIR/log/slurmctld.out" slurmctld -D -i
  local node_flags=()
  [ "$(hostname -s 2>/dev/null || hostname)" = localhost ] || node_flags=(-N localhost)
  spawn "$DIR/log/slurmd.out" slurmd -D "${node_flags[@]}"

  # Ready when the node is idle in the partition.
  waited=0
  until [ "$(sinfo -h -N -n localhost -o '%t' 2>/dev/null)" = idle ]; do
    ((waited++ < START_TIMEOUT * 10)) || fail_start "the node did not become idle within ${START_TIMEOUT}s"
    sleep 0.1
  done
  printf 'export SLURM_CONF=%q\n' "$SLURM_CONF"
}

fail_start() {
  printf 'slurm-env: %s; logs in %s/log:\n' "$1" "$DIR" >&2
  tail -n 20 "$DIR"/log/*.log "$DIR"/log/*.out 2>/dev/null | sed 's/^/  | /' >&2 || true
  stop
  exit 1
}

# Pids of job step daemons (slurmstepd) of this cluster: they detach from slurmd, and carry its SLURM_CONF.
stepd_pids() {
  local proc pid
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    case "$(cat "$proc/comm" 2>/dev/null || true)" in
      slurmstepd*) ;;
      *) continue ;;
    esac
    if tr '\0' '\n' 2>/dev/null <"$proc/environ" | grep -qxF "SLURM_CONF=$DIR/slurm.conf"; then
      printf '%s\n' "$pid"
    fi
  done
}

alive() {
  kill -0 "$1" 2>/dev/null
}

stop() {
  [ -f "$DIR/pids" ] || return 0
  export SLURM_CONF=$DIR/slurm.conf
  PATH=$PATH:/usr/sbin:/sbin
  local pid name waited
  # Jobs first, so that no job step outlives its daemons.
  if scontrol ping >/dev/null 2>&1; then
    local jobs=()
    mapfile -t jobs < <(squeue -h -o %A 2>/dev/null || true)
    [ "${#jobs[@]}" -eq 0 ] || scancel --full --quiet "${jobs[@]}" 2>/dev/null || true
    waited=0
    while [ -n "$(squeue -h -o %A 2>/dev/null)" ] && ((waited++ < 50)); do
      sleep 0.1
    done
  fi
  for pid in $(stepd_pids); do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # Then the daemons, in reverse order of their start.
  while read -r pid name; do
    kill -TERM "$pid" 2>/dev/null || true
  done < <(tac "$DIR/pids")
  waited=0
  while read -r pid name; do
    while alive "$pid" && ((waited++ < 100)); do
      sleep 0.1
    done
    if alive "$pid"; then
      printf 'slurm-env: %s (pid %s) ignored SIGTERM; killing it\n' "$name" "$pid" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done <"$DIR/pids"
  for pid in $(stepd_pids); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$DIR/pids"
}

[ "$#" -ge 1 ] || {
  usage
  exit 2
}
case $1 in
  install)
    ensure_installed
    ;;
  start | stop)
    [ "$#" -eq 2 ] || {
      usage
      exit 2
    }
    mkdir -p "$2"
    DIR=$(cd "$2" && pwd)
    "$1"
    ;;
  run)
    shift
    [ "$#" -ge 1 ] || {
      usage
      exit 2
    }
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/slurm-env.XXXXXX")
    trap 'stop; rm -rf "$DIR"' EXIT
    trap 'exit 130' INT TERM
    start >/dev/null
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    usage
    exit 2
    ;;
esac
