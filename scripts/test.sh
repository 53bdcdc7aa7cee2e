#!/usr/bin/env bash
# The whole test suite: type-check, every jest test (config rules, CDK assertions, snapshots, cdk-nag, cfn-lint over
# the synthesized templates, Lambda handlers, CLIs), every linter (scripts/lint.sh: ESLint, Prettier, Ruff and
# ShellCheck), then pytest (the Glue job under real PySpark, the cluster scripts on real Slurm). Extra arguments go to
# jest. Run through npm, it runs on the Node.js that npm ci installs (package.json's `node`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/python-env.sh
scripts/pcluster-env.sh
echo "Node.js $(node --version)"
echo "Type-checking (tsc)"
npx tsc -p .
mkdir -p .test-output
status=0
npx jest --ci --json --outputFile=.test-output/jest.json "$@" || status=$?
# JavaScript, not shell:
# shellcheck disable=SC2016
node -e '
  const r = require("./.test-output/jest.json");
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
scripts/lint.sh || status=$?
echo "Python tests (pytest: the tokenization job)"
.venv/bin/python -m pytest -q || status=$?
exit "$status"
