# shellcheck shell=bash
# shellcheck disable=SC2034  # STATE and BUILD_STARTED are node-setup.sh's: its record_state reads them
# node-setup-head.sh: the head role of node-setup.sh, which sources it (its uploaded copy has it written in): the
# shared Python environment on FSx, its state file for the training chain, and the release of the Slurm jobs that
# wait for it. Uses node-setup.sh's RELEASE, SHARED, SLURM_BIN, STATE_FILE, STATE, BUILD_STARTED, the pins, and its
# step, say, die, run, apt_get, check_os, utc_now and record_state.

readonly NEURON_PIP_URL=https://pip.repos.neuron.amazonaws.com
readonly NXD_GIT_URL=https://github.com/aws-neuron/neuronx-distributed.git
readonly NXD_LLAMA_REQUIREMENTS=examples/training/llama/requirements.txt

head_marker_content() {
  printf 'NEURON_RELEASE=%s\n' "$RELEASE"
  printf 'TORCH_VERSION=%s\n' "$TORCH_VERSION"
  printf 'TORCH_NEURONX_VERSION=%s\n' "$TORCH_NEURONX_VERSION"
  printf 'NEURONX_CC_VERSION=%s\n' "$NEURONX_CC_VERSION"
  printf 'NEURONX_DISTRIBUTED_VERSION=%s\n' "$NEURONX_DISTRIBUTED_VERSION"
  printf 'NXD_GIT_TAG=%s' "$NXD_GIT_TAG"
}

pip_constraints() {
  printf 'torch==%s\n' "$TORCH_VERSION"
  printf 'torch-neuronx==%s\n' "$TORCH_NEURONX_VERSION"
  printf 'neuronx-cc==%s\n' "$NEURONX_CC_VERSION"
  printf 'neuronx-distributed==%s' "$NEURONX_DISTRIBUTED_VERSION"
}

# The Slurm jobs that wait for this environment: pending, held, with the comment cpt-run.sh gave them when it
# submitted a chain before the environment was ready. Released once it is; cpt-run.sh looks again after it submits,
# so a chain submitted while this runs is released by one of the two. A failure here leaves the environment ready
# and says what to run by hand: the jobs are not lost, and running this script again releases them.
release_waiting_jobs() {
  local squeue=$SLURM_BIN/squeue scontrol=$SLURM_BIN/scontrol marker="trainium-cpt:waits-for=neuron-$RELEASE"
  local listing id reason comment ids=()
  if [ ! -x "$squeue" ] || [ ! -x "$scontrol" ]; then
    say "no Slurm commands in $SLURM_BIN: no job to release"
    return 0
  fi
  if ! listing=$(run "$squeue" -h -t PENDING -o '%i %r %k'); then
    say "warning: $squeue failed: the jobs held for $marker stay held; run this script again, or release them: $scontrol release <job id>"
    return 0
  fi
  while read -r id reason comment; do
    if [ "$comment" = "$marker" ] && [[ $reason == JobHeld* ]]; then
      ids+=("$id")
    fi
  done <<<"$listing"
  if [ "${#ids[@]}" -eq 0 ]; then
    say "no Slurm job waits for this environment"
    return 0
  fi
  say "releasing the Slurm jobs that wait for this environment: ${ids[*]}"
  run "$scontrol" release "${ids[@]}" ||
    say "warning: $scontrol release ${ids[*]} failed: run it again by hand"
}

# The environment is in place: record it (keeping an earlier "ready" record and its time), then release the jobs.
head_ready() {
  if ! grep -qs '"state":"ready"' "$STATE_FILE"; then
    record_state ready
  fi
  STATE=ready
  step "release the jobs waiting for this environment"
  release_waiting_jobs
}

# The environment is built in a directory of its own next to the target (a virtual environment cannot be moved:
# its scripts name their own path), and the target, a symbolic link to it, appears with one rename at the end.
# Until then the target does not exist, so nothing ever uses a half-built environment.
head_setup() {
  local base=$SHARED/trainium-cpt
  local target=$base/neuron-$RELEASE
  local marker_name=installed.env want
  want=$(head_marker_content)
  if [ -f "$target/$marker_name" ] && [ "$(cat "$target/$marker_name")" = "$want" ]; then
    say "the Neuron $RELEASE environment is in place already ($target): nothing to build"
    STATE_FILE=$target.state.json
    head_ready
    return 0
  fi

  step "check the shared file system"
  [ -d "$SHARED" ] || die "$SHARED does not exist: the shared file system is not mounted"
  mkdir -p "$base"
  # From here on every step, and a failure, is recorded for the training chain.
  STATE_FILE=$target.state.json
  BUILD_STARTED=$(utc_now)
  record_state building

  step "check the operating system"
  check_os

  step "remove unfinished builds"
  local live="" dir
  if [ -L "$target" ]; then
    live=$(readlink "$target")
  fi
  for dir in "$base/neuron-$RELEASE".*; do
    # A build is unfinished if it has no marker; finished ones may be in use by running jobs and stay.
    if [ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(basename "$dir")" != "$live" ] && [ ! -f "$dir/$marker_name" ]; then
      say "removing the unfinished build $dir"
      rm -rf "$dir"
    fi
  done
  rm -f "$base/.neuron-$RELEASE.link".*

  step "install python3-venv and git"
  apt_get update
  apt_get install -y python3-venv git

  local build
  build=$base/neuron-$RELEASE.$(date -u +%Y%m%dT%H%M%SZ).$$
  mkdir "$build"

  step "check out neuronx-distributed $NXD_GIT_TAG"
  run git clone --quiet --depth 1 --branch "$NXD_GIT_TAG" "$NXD_GIT_URL" "$build/neuronx-distributed"
  [ -f "$build/neuronx-distributed/$NXD_LLAMA_REQUIREMENTS" ] ||
    die "neuronx-distributed $NXD_GIT_TAG has no $NXD_LLAMA_REQUIREMENTS"

  step "create the Python virtual environment"
  run python3 -m venv "$build/venv"

  step "install torch-neuronx, neuronx-cc and neuronx-distributed"
  local pip=("$build/venv/bin/pip" --disable-pip-version-check --no-cache-dir --progress-bar off)
  pip_constraints >"$build/constraints.txt"
  run "${pip[@]}" install --extra-index-url "$NEURON_PIP_URL" \
    "torch==$TORCH_VERSION" \
    "torch-neuronx==$TORCH_NEURONX_VERSION" \
    "neuronx-cc==$NEURONX_CC_VERSION" \
    "neuronx-distributed==$NEURONX_DISTRIBUTED_VERSION"

  step "install the requirements of the Llama training example"
  # The constraints keep the pinned packages where they are whatever the requirements ask for.
  run "${pip[@]}" install --extra-index-url "$NEURON_PIP_URL" \
    -c "$build/constraints.txt" -r "$build/neuronx-distributed/$NXD_LLAMA_REQUIREMENTS"

  step "record the installed versions"
  printf '%s\n' "$want" >"$build/$marker_name"

  step "put the environment in place"
  local link=$base/.neuron-$RELEASE.link.$$
  ln -s "$(basename "$build")" "$link"
  mv -T "$link" "$target"
  say "$target -> $(basename "$build") (activate: . $target/venv/bin/activate)"
  head_ready
}
