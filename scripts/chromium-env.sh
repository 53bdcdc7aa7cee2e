#!/usr/bin/env bash
# chromium-env.sh: Debian's Chromium, for the browser test of the HTML perplexity report
# (test/report/report-render.test.ts drives it headless with playwright-core; nothing downloads a browser).
#
#   scripts/chromium-env.sh install    install the package chromium when the browser is missing, then print its version
#   scripts/chromium-env.sh check      print the browser's version, or fail saying how to install it
#
# The browser is CHROMIUM_PATH (default /usr/bin/chromium, where Debian's package puts it). If it is missing,
# install runs apt-get when this script runs as root (or can sudo without a password); otherwise it stops with an
# error that says what to install.
set -euo pipefail

readonly CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
readonly PACKAGES=(chromium)

die() {
  printf 'chromium-env: %s\n' "$*" >&2
  exit 1
}
# shellcheck source=SCRIPTDIR/apt-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

version() {
  # Debian's launcher script prints a harmless complaint on stderr on some machines: keep only the version.
  "$CHROMIUM" --version 2>/dev/null || die "$CHROMIUM is there but does not run ($CHROMIUM --version failed)"
}

install() {
  if [ ! -x "$CHROMIUM" ]; then
    printf 'chromium-env: installing %s (%s is missing)\n' "${PACKAGES[*]}" "$CHROMIUM" >&2
    apt_install "${PACKAGES[@]}"
    [ -x "$CHROMIUM" ] || die "apt-get installed ${PACKAGES[*]}, but $CHROMIUM is still missing"
  fi
  version
}

case ${1:-} in
  install) install ;;
  check)
    [ -x "$CHROMIUM" ] || die "$CHROMIUM is missing: run scripts/chromium-env.sh install (Debian's ${PACKAGES[*]})"
    version
    ;;
  *)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
