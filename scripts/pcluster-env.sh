#!/usr/bin/env bash
# Makes .venv-pcluster hold exactly the pinned packages of requirements-pcluster.txt: the PyPI package
# aws-parallelcluster (its official cluster-config schema and validators, for cluster/validate/) and what those import.
# A virtual environment of its own, since aws-parallelcluster pins packages of its own (boto3, AWS CDK v1) that must not
# mix with .venv. Installed with --no-deps (see requirements-pcluster.txt). Rebuilt only when that file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-pcluster
stamp=$venv/.requirements.sha256
wanted=$(sha256sum requirements-pcluster.txt | cut -d' ' -f1)
up_to_date() { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; }
up_to_date && exit 0

# One set-up at a time (jest and pytest may both ask): lock this script's own file, then look again.
exec 9<"$0"
flock 9
up_to_date && exit 0

echo "Setting up $venv with aws-parallelcluster of requirements-pcluster.txt (offline cluster-config validation)"
rm -rf "$venv"
python3 -m venv "$venv"
echo '*' > "$venv/.gitignore"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r requirements-pcluster.txt
echo "$wanted" > "$stamp"
