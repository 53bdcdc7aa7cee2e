#!/usr/bin/env bash
# Every linter, as CI runs them (npm run lint): ESLint and Prettier over the TypeScript and JavaScript, Ruff (lint and
# format) over the Python, shellcheck over the shell scripts. Fix formatting with `npm run format`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/python-env.sh >/dev/null # ruff and shellcheck are pinned in requirements-dev.txt
status=0
echo "Lint: ESLint"
npx eslint --max-warnings 0 . || status=$?
echo "Lint: Prettier"
npx prettier --check --log-level warn . || status=$?
echo "Lint: Ruff"
.venv/bin/ruff check --quiet . || status=$?
.venv/bin/ruff format --check --quiet . || status=$?
echo "Lint: shellcheck"
git ls-files -z '*.sh' | xargs -0 .venv/bin/shellcheck -x || status=$?
exit "$status"
