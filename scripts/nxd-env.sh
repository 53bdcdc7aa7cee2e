#!/usr/bin/env bash
# Makes .venv-nxd hold the pinned packages of requirements-nxd.txt: the cluster's torch, torch-xla and transformers, to
# run neuronx-distributed's own converter and model on CPU (scripts/nxd-roundtrip.sh). ~4 GB: set up on demand, never by
# CI. Rebuilt only when requirements-nxd.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-nxd
stamp=$venv/.requirements.sha256
wanted=$(sha256sum requirements-nxd.txt | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
echo "Setting up $venv with requirements-nxd.txt (torch 2.9.0 is a ~3.5 GB download)"
rm -rf "$venv"
python3 -m venv "$venv"
echo '*' > "$venv/.gitignore"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-nxd.txt
echo "$wanted" > "$stamp"
