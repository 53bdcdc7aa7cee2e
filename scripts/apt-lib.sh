# shellcheck shell=bash
# apt-lib.sh: sourced by the scripts that install Debian packages for the tests (slurm-env.sh, chromium-env.sh).
# They define die() first.

# apt_install PACKAGE...: installs the packages with apt-get, as root or through sudo without a password;
# otherwise stops (die) with a message that says what to install.
apt_install() {
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null ||
      die "install Debian's $* (sudo apt-get install -y $*), or run this as root to have it done"
    as_root=(sudo -n)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y "$@" >&2
}
