# shellcheck shell=bash
# node-setup-compute.sh: the compute role of node-setup.sh, which sources it (its uploaded copy has it written in):
# the Neuron apt repository, the kernel headers, the pinned driver, collectives, runtime and tools (held), the driver
# loaded, the launcher's ports reserved, this node's /etc/hosts entry put right. Uses node-setup.sh's RELEASE, ROOT,
# the pins, and its step, say, die, run, apt_get, check_os and write_if_changed.

readonly NEURON_APT_URL=https://apt.repos.neuron.amazonaws.com
readonly NEURON_APT_KEY_URL=$NEURON_APT_URL/GPG-PUB-KEY-AMAZON-AWS-NEURON.PUB
readonly NEURON_KEYRING=/usr/share/keyrings/aws-neuron-archive-keyring.gpg
readonly NEURON_APT_PACKAGES=(aws-neuronx-dkms aws-neuronx-collectives aws-neuronx-runtime-lib aws-neuronx-tools)
# Ports reserved so that no ephemeral connection takes them: 44000 is the torchrun --master_port and 48620 the port
# of NEURON_RT_ROOT_COMM_ID in the neuronx-distributed examples, which reserve them with `sudo sysctl -w
# net.ipv4.ip_local_reserved_ports=44000,48620` before launching (examples/training/llama/tp_zero1_llama_hf_pretrain/
# tp_zero1_llama2_7B_hf_pretrain.sh at tag v2.28.0; Neuron's training troubleshooting guide, "Multiworker execution
# hangs during NCCL init": https://awsdocs-neuron.readthedocs-hosted.com/en/latest/frameworks/torch/torch-neuronx/training-troubleshooting.html).
# Reserved here once, at boot, the jobs need no sudo.
readonly RESERVED_PORTS=44000,48620

compute_marker_content() {
  printf 'NEURON_RELEASE=%s\n' "$RELEASE"
  printf 'NEURON_DKMS_VERSION=%s\n' "$NEURON_DKMS_VERSION"
  printf 'NEURON_COLLECTIVES_VERSION=%s\n' "$NEURON_COLLECTIVES_VERSION"
  printf 'NEURON_RUNTIME_LIB_VERSION=%s\n' "$NEURON_RUNTIME_LIB_VERSION"
  printf 'NEURON_TOOLS_VERSION=%s' "$NEURON_TOOLS_VERSION"
}

install_neuron_packages() {
  step "check the operating system"
  check_os

  step "add the Neuron apt repository"
  local key_download
  key_download=$(mktemp)
  curl -fsSL --retry 5 --retry-delay 3 -o "$key_download" "$NEURON_APT_KEY_URL"
  mkdir -p "$(dirname "$ROOT$NEURON_KEYRING")"
  run gpg --batch --yes --dearmor --output "$ROOT$NEURON_KEYRING" "$key_download"
  rm -f "$key_download"
  chmod 644 "$ROOT$NEURON_KEYRING"
  write_if_changed "$ROOT/etc/apt/sources.list.d/neuron.list" \
    "deb [signed-by=$NEURON_KEYRING] $NEURON_APT_URL $NEURON_APT_SUITE main"

  step "update the apt package lists"
  apt_get update

  step "install the kernel headers"
  local kernel
  kernel=$(uname -r)
  apt_get install -y "linux-headers-$kernel"

  step "install the Neuron driver, runtime and tools"
  apt_get install -y --allow-change-held-packages \
    "aws-neuronx-dkms=$NEURON_DKMS_VERSION" \
    "aws-neuronx-collectives=$NEURON_COLLECTIVES_VERSION" \
    "aws-neuronx-runtime-lib=$NEURON_RUNTIME_LIB_VERSION" \
    "aws-neuronx-tools=$NEURON_TOOLS_VERSION"

  step "hold the Neuron packages"
  run apt-mark hold "${NEURON_APT_PACKAGES[@]}"
}

# The primary private IPv4 address of this instance, from the instance metadata service (IMDSv2, which the cluster
# requires): the address Slurm records as the node's NodeAddr.
instance_ipv4() {
  local token ip
  token=$(curl -fsS --retry 3 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    http://169.254.169.254/latest/api/token)
  ip=$(curl -fsS --retry 3 -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/local-ipv4)
  [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "the instance metadata gave '$ip' as this node's address"
  printf '%s\n' "$ip"
}

# Known problem: a dynamic node (MinCount 0) that is relaunched gets a new IP address, but /etc/hosts can keep
# a stale entry for its host name, so the node resolves its own name (the torchrun master address of node 0) to
# an address it no longer has. Source: aws-neuron/aws-neuron-parallelcluster-samples, releasenotes.md, "Known
# Issues: Relaunch a dynamic cluster created with MinCount = 0 may fail due to compute nodes IP address mismatch"
# (pull request #15), whose install_neuron.sh deletes the lines with the host name and appends a fresh one. Same
# fix here, but matching the name exactly (sed "/$HOSTNAME/d" also deletes ...-trn1-10 when the node is ...-trn1-1),
# keeping the name's FQDN alias, taking the address from the instance metadata rather than from DNS (which may not
# have caught up yet), and rewriting the file only when it changes.
fix_hosts_entry() {
  local hosts=$ROOT/etc/hosts name ip current wanted
  name=$(uname -n)
  name=${name%%.*}
  ip=$(instance_ipv4)
  current=$(cat "$hosts" 2>/dev/null || true)
  wanted=$({ [ -z "$current" ] || printf '%s\n' "$current"; } | awk -v name="$name" -v ip="$ip" '
    # The host names of a line (the fields after the address, up to a comment), in names[1..count].
    function host_names(line,    fields, n, i) {
      sub(/^[ \t]+/, "", line)
      n = split(line, fields, /[ \t]+/)
      count = 0
      for (i = 2; i <= n; i++) {
        if (fields[i] ~ /^#/) break
        names[++count] = fields[i]
      }
    }
    /^[ \t]*(#|$)/ { print; next }
    {
      host_names($0)
      mine = 0
      for (i = 1; i <= count; i++) if (names[i] == name) mine = 1
      if (!mine) { print; next }
      for (i = 1; i <= count; i++) if (fqdn == "" && index(names[i], name ".") == 1) fqdn = names[i]
    }
    END { print ip (fqdn == "" ? "" : " " fqdn) " " name }
  ')
  if [ "$current" = "$wanted" ]; then
    say "/etc/hosts maps $name to $ip already"
  else
    printf '%s\n' "$wanted" >"$hosts"
    say "/etc/hosts now maps $name to $ip (and nothing else)"
  fi
}

compute_setup() {
  local marker=$ROOT/var/lib/trainium-cpt/neuron-installed.env want
  want=$(compute_marker_content)
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
    say "the Neuron $RELEASE packages are installed already ($marker): nothing to install"
  else
    install_neuron_packages
    step "record the installed versions"
    write_if_changed "$marker" "$want"
  fi

  step "load the Neuron driver"
  run modprobe neuron

  step "reserve the ports of the training launcher"
  local sysctl_conf=$ROOT/etc/sysctl.d/99-trainium-cpt.conf
  write_if_changed "$sysctl_conf" "# trainium-cpt (cluster/node-setup.sh): torchrun master port and NEURON_RT_ROOT_COMM_ID port
net.ipv4.ip_local_reserved_ports = $RESERVED_PORTS"
  sysctl -q -p "$sysctl_conf"

  step "fix this node's entry in /etc/hosts"
  fix_hosts_entry
}
