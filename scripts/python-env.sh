#!/usr/bin/env bash
# Makes .venv hold exactly the pinned Python packages of requirements-dev.txt (which includes glue/requirements.txt).
# Reinstalls only when one of those files changes.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.requirements.sha256
wanted=$(cat requirements-dev.txt glue/requirements.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
echo "Setting up .venv with the Python tools of requirements-dev.txt"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$wanted" > "$stamp"
