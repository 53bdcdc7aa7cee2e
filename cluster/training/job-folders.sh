# shellcheck shell=bash
# job-folders.sh: sourced by cpt-run.sh (root), which defines JOB_USER and fail. The folders the Slurm jobs write,
# made for the jobs' user (CPT_JOB_USER), and what root does as that user.
#
# Root never opens, writes, chowns or chmods a path inside a folder the jobs' user can write: a symbolic link the
# user planted there would turn that into root's write, chown or chmod of any file. So each of the jobs' folders is
# made once, by install -d, in a folder of root's (every folder above it root's and no symbolic link: the user
# cannot put anything in their place), and never changed by root afterwards; what goes into one is written as the
# user (as_job_user).

# Fails unless $1 and every folder above it is a folder of root's (or of the user running this script), not a
# symbolic link.
check_root_path() {
  local path=$1 owner
  while :; do
    owner=$(stat -c %u "$path")
    if [ -L "$path" ] || [ ! -d "$path" ] || { [ "$owner" != 0 ] && [ "$owner" != "$(id -u)" ]; }; then
      fail "$path, above the jobs' folder $2, must be a folder of root's, not a symbolic link (it is $(stat -c '%F of %U' "$path")): the jobs' user could otherwise put another file in place of what root writes there" 1
    fi
    [ "$path" != / ] || return 0
    path=$(dirname "$path")
  done
}

# Makes folder $1 and the missing ones above it, root's and readable by all (the umask does not decide).
make_root_dir() {
  [ -d "$1" ] || {
    make_root_dir "$(dirname "$1")"
    install -d -m 0755 "$1"
  }
}

# Makes the jobs' folder $1, the jobs' user's, if it is missing; one that exists must be that user's already: one
# made by an earlier version of trainium-cpt (which ran the jobs as root) is refused, never changed.
make_job_dir() {
  local dir=$1 owner
  make_root_dir "$(dirname "$dir")"
  check_root_path "$(dirname "$dir")" "$dir"
  if [ -L "$dir" ] || { [ -e "$dir" ] && [ ! -d "$dir" ]; }; then
    fail "$dir must be a folder, not $(stat -c %F "$dir"): remove it, or submit the run under a new run name" 1
  elif [ -d "$dir" ]; then
    owner=$(stat -c %U "$dir")
    [ "$owner" = "$JOB_USER" ] ||
      fail "$dir belongs to $owner, not to the jobs' user $JOB_USER (CPT_JOB_USER): an earlier version of trainium-cpt made it and ran its jobs as root. Submit the run under a new run name, or give the folder to $JOB_USER by hand (sudo chown -R $JOB_USER: $dir) and submit again" 1
  else
    install -d -o "$JOB_USER" -g "$(id -gn "$JOB_USER")" -m 0755 "$dir"
  fi
}

# Runs "$@" as the jobs' user (runuser from util-linux: root only, no password, no PAM session prompt): Slurm runs
# a batch job as the user who submitted it.
as_job_user() {
  if [ "$(id -u)" = "$(id -u "$JOB_USER")" ]; then
    "$@"
  else
    /sbin/runuser -u "$JOB_USER" -- "$@" # util-linux (Debian, Ubuntu: /sbin), off the sandboxes' PATH
  fi
}
