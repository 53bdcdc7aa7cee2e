#!/usr/bin/env bash
# install-agent.sh --cluster-name NAME --region REGION [--namespace TrainiumCpt] [--interval 60]
#                  [--runs-dir /fsx/trainium-cpt/runs]
# Installs the head-node metrics agent (cpt_metrics_agent.py and its modules, metrics_agent/, next to this script)
# as the systemd service trainium-cpt-metrics. An SSM association runs it as root on the head node, from the unpacked
# asset folder.
#
#   /opt/trainium-cpt/metrics-agent/cpt_metrics_agent.py       the agent (a copy: the asset folder may go away)
#   /opt/trainium-cpt/metrics-agent/metrics_agent/*.py         its modules (a module the agent no longer has is removed)
#   /etc/systemd/system/trainium-cpt-metrics.service            the unit: the agent with these arguments,
#                                                               Restart=always, state in /var/lib/trainium-cpt-metrics
# Each file is written to a temporary file and renamed into place. Then systemctl daemon-reload, enable, and restart
# (start when nothing changed: a second run with the same values leaves a running agent alone).
#
# Every value is checked against a strict pattern before anything is written (exit 2 with a message otherwise):
# they end up on the unit's ExecStart line, where systemd would read spaces, quotes, % and $ as syntax.
# Exit status: 0 installed (or unchanged); 2 bad arguments; 1 failure.
#
# Environment (optional; the tests use them):
#   CPT_ROOT    prefix of every system path the script writes (/opt/..., /etc/systemd/system/...); the unit names
#               the real paths
#   CPT_PYTHON  the Python that runs the agent (default /usr/bin/python3: Ubuntu 22.04's, 3.10)
# systemctl is taken from PATH.
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
umask 022

readonly SERVICE=trainium-cpt-metrics
readonly AGENT_NAME=cpt_metrics_agent.py
readonly PACKAGE=metrics_agent
readonly AGENT_DIR=/opt/trainium-cpt/metrics-agent
readonly UNIT_DIR=/etc/systemd/system
readonly STATE_DIR=/var/lib/$SERVICE
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
ROOT=${CPT_ROOT:-}
ROOT=${ROOT%/}
PYTHON=${CPT_PYTHON:-/usr/bin/python3}
STEP=start

log() {
  printf '%s install-agent: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

on_error() {
  local rc=$?
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc"
  trap - ERR
  printf 'install-agent: step %s failed (exit %s)\n' "'$STEP'" "$rc" >&2
  exit 1
}
trap on_error ERR

usage() {
  cat >&2 <<'EOF'
usage: install-agent.sh --cluster-name NAME --region REGION [--namespace TrainiumCpt] [--interval 60]
                        [--runs-dir /fsx/trainium-cpt/runs]
EOF
}

usage_error() {
  printf 'install-agent: %s\n' "$1" >&2
  usage
  exit 2
}

# --- Arguments: every value checked before anything is written. ---
CLUSTER_NAME=
REGION=
NAMESPACE=TrainiumCpt
INTERVAL=60
RUNS_DIR=/fsx/trainium-cpt/runs
declare -A SEEN=()
while [ "$#" -gt 0 ]; do
  option=$1
  case $option in
    --cluster-name | --region | --namespace | --interval | --runs-dir) ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown argument '$option'" ;;
  esac
  [ "$#" -ge 2 ] || usage_error "$option needs a value"
  [ -z "${SEEN[$option]:-}" ] || usage_error "$option given twice"
  SEEN[$option]=1
  value=$2
  shift 2
  case $option in
    --cluster-name) CLUSTER_NAME=$value ;;
    --region) REGION=$value ;;
    --namespace) NAMESPACE=$value ;;
    --interval) INTERVAL=$value ;;
    --runs-dir) RUNS_DIR=$value ;;
  esac
done

[ -n "$CLUSTER_NAME" ] || usage_error "--cluster-name is required"
[ -n "$REGION" ] || usage_error "--region is required"
# The same rules as cpt_metrics_agent.py's.
[[ $CLUSTER_NAME =~ ^[A-Za-z][A-Za-z0-9-]{0,59}$ ]] ||
  usage_error "--cluster-name '$CLUSTER_NAME' is not a ParallelCluster cluster name (a letter, then letters, digits and hyphens, at most 60)"
[[ $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$ ]] ||
  usage_error "--region '$REGION' is not an AWS Region such as us-east-1"
[[ $NAMESPACE =~ ^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$ ]] ||
  usage_error "--namespace '$NAMESPACE' is not a CloudWatch namespace (letters, digits and . _ / : -, at most 255)"
[[ $NAMESPACE != AWS/* ]] || usage_error "--namespace '$NAMESPACE': namespaces starting with AWS/ are reserved for AWS"
[[ $INTERVAL =~ ^[0-9]{1,4}$ ]] && [ "$((10#$INTERVAL))" -ge 10 ] && [ "$((10#$INTERVAL))" -le 3600 ] ||
  usage_error "--interval '$INTERVAL' is not a number of seconds from 10 to 3600"
INTERVAL=$((10#$INTERVAL))
[[ $RUNS_DIR =~ ^(/[A-Za-z0-9._-]+)+/?$ && ! $RUNS_DIR =~ (^|/)\.{1,2}(/|$) ]] ||
  usage_error "--runs-dir '$RUNS_DIR' is not an absolute path of letters, digits and . _ - (without . or .. components)"
RUNS_DIR=${RUNS_DIR%/}

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  printf 'install-agent: must run as root (it writes %s and %s)\n' "$AGENT_DIR" "$UNIT_DIR" >&2
  exit 1
fi
for required in "$AGENT_NAME" "$PACKAGE/__init__.py"; do
  [ -f "$HERE/$required" ] || {
    printf 'install-agent: %s is missing next to this script\n' "$required" >&2
    exit 1
  }
done

STEP="check the agent with $PYTHON"
[[ $PYTHON =~ ^(/[A-Za-z0-9._+-]+)+$ ]] || usage_error "CPT_PYTHON '$PYTHON' is not an absolute path"
[ -x "$PYTHON" ] || {
  printf 'install-agent: %s not found: the agent needs Python 3.10 or later\n' "$PYTHON" >&2
  exit 1
}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
  printf 'install-agent: %s is older than Python 3.10, which the agent needs\n' "$PYTHON" >&2
  exit 1
}
AGENT_ARGS=(--cluster-name "$CLUSTER_NAME" --region "$REGION" --namespace "$NAMESPACE" --interval "$INTERVAL"
  --runs-dir "$RUNS_DIR" --state-file "$STATE_DIR/state.json")
"$PYTHON" "$HERE/$AGENT_NAME" "${AGENT_ARGS[@]}" --check

# Writes stdin to $1 through a temporary file next to it and a rename, unless $1 has that content already.
# Sets CHANGED=true when it wrote.
CHANGED=false
install_file() {
  local target=$1 mode=$2 temporary
  temporary=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
  cat >"$temporary"
  chmod "$mode" "$temporary"
  if [ -f "$target" ] && cmp -s "$temporary" "$target"; then
    rm -f "$temporary"
    log "$target: unchanged"
  else
    mv -f "$temporary" "$target"
    log "$target: written"
    CHANGED=true
  fi
}

STEP="install the agent"
mkdir -p "$ROOT$AGENT_DIR/$PACKAGE" "$ROOT$UNIT_DIR"
install_file "$ROOT$AGENT_DIR/$AGENT_NAME" 0755 <"$HERE/$AGENT_NAME"
for module in "$HERE/$PACKAGE"/*.py; do
  install_file "$ROOT$AGENT_DIR/$PACKAGE/${module##*/}" 0644 <"$module"
done
# A module an earlier agent had and this one has not would still be importable: remove it.
for module in "$ROOT$AGENT_DIR/$PACKAGE"/*.py; do
  [ -f "$module" ] && [ ! -f "$HERE/$PACKAGE/${module##*/}" ] || continue
  rm -f "$module"
  log "$module: removed"
  CHANGED=true
done

STEP="write the unit"
install_file "$ROOT$UNIT_DIR/$SERVICE.service" 0644 <<EOF
# Written by install-agent.sh of trainium-cpt: run it again to change this file.
[Unit]
Description=trainium-cpt metrics agent: training and Slurm metrics of cluster $CLUSTER_NAME to CloudWatch
Wants=network-online.target
After=network-online.target remote-fs.target

[Service]
Type=simple
ExecStart=$PYTHON $AGENT_DIR/$AGENT_NAME ${AGENT_ARGS[*]}
Environment=PYTHONUNBUFFERED=1
StateDirectory=$SERVICE
Restart=always
RestartSec=10
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full

[Install]
WantedBy=multi-user.target
EOF

STEP="enable and start the service"
systemctl daemon-reload
systemctl enable "$SERVICE.service"
if [ "$CHANGED" = true ]; then
  systemctl restart "$SERVICE.service"
  log "$SERVICE: restarted with cluster $CLUSTER_NAME, region $REGION, namespace $NAMESPACE, every $INTERVAL s"
else
  systemctl start "$SERVICE.service"
  log "$SERVICE: nothing changed; started if it was not running"
fi
