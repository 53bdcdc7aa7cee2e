#!/usr/bin/env bash
# Checks the checkpoint conversions of the prepare and export stages, and the training script's model in between,
# with neuronx-distributed v2.28.0's own code on CPU, and records what it produced in
# cluster/training/tests/fixtures/nxd-*.json (see scripts/nxd-roundtrip.py). Needs a source tree of
# github.com/aws-neuron/neuronx-distributed at tag v2.28.0:
#   NXD_SOURCE=/path/to/neuronx-distributed scripts/nxd-roundtrip.sh [--tp 2,4,8] [--keep] [--no-record]
# Sets up .venv-nxd first (scripts/nxd-env.sh: ~4 GB, once). Never run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${NXD_SOURCE:-}" ] || {
  echo "nxd-roundtrip: set NXD_SOURCE to a neuronx-distributed source tree at tag v2.28.0" >&2
  exit 2
}
scripts/nxd-env.sh
exec .venv-nxd/bin/python scripts/nxd-roundtrip.py "$@"
