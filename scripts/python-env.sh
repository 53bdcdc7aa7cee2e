#!/usr/bin/env bash
# Makes .venv hold exactly the pinned Python tools of requirements-dev.txt. Reinstalls only when that file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
echo "Setting up .venv with the Python tools of requirements-dev.txt"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$wanted" > "$stamp"
