"""The Neuron side of a node and of the cluster: the Python environment on FSx, which cluster/node-setup.sh head
builds after the cluster is created (a systemd service on the head node) and describes in
FSX/trainium-cpt/neuron-<release>.state.json; and a node's Neuron devices, as neuron-ls lists them."""

from __future__ import annotations

import calendar
import os
import re
import time

from .files import read_json, write_json_atomically
from .paths import LLAMA_SCRIPT, neuron_base, neuron_venv, nxd_dir

NEURON_SERVICE = "trainium-cpt-neuron-environment"  # lib/cluster/neuron-environment.ts names the unit so
RELEASE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\Z")
# systemd stops a build after 2 hours (RuntimeMaxSec of the unit, lib/cluster/neuron-environment.ts), and the script
# then records it failed. A record still "building" well after that belongs to a build that stopped without a trace
# (the head node lost power, the process was killed): it is reported failed, not waited on forever.
NEURON_BUILD_LIMIT_SECONDS = 2 * 3600
NEURON_STALE_AFTER_SECONDS = NEURON_BUILD_LIMIT_SECONDS + 600


def neuron_environment(release: str) -> dict:
    """The state of the Neuron `release` environment, for cpt-run.sh and for people: node-setup.sh's record when
    there is one, checked against what is on disk (the venv's python3 and the Llama example the jobs run). The venv
    and the checkout are where stage-lib.sh runs them from: CPT_NEURON_VENV and CPT_NXD_DIR, or their places on FSx."""
    if not RELEASE_RE.match(release):
        raise ValueError(f"release {release!r} is not a Neuron SDK release such as 2.28.1")
    base, venv, checkout = neuron_base(release), neuron_venv(release), nxd_dir(release)
    state_file = f"{base}.state.json"
    out = {
        "release": release,
        "state": None,
        "step": None,
        "since": None,
        "started": None,
        "log": None,
        "exitCode": None,
        "message": None,
        "path": base,
        "stateFile": state_file,
        "service": NEURON_SERVICE,
    }
    missing = [
        path
        for path, present in (
            (f"{venv}/bin/python3", os.access(f"{venv}/bin/python3", os.X_OK)),
            (f"{checkout}/{LLAMA_SCRIPT}", os.path.isfile(f"{checkout}/{LLAMA_SCRIPT}")),
        )
        if not present
    ]
    try:
        record = read_json(state_file)
    except FileNotFoundError:
        record = None
    except (OSError, ValueError) as error:
        return {**out, "state": "failed", "message": f"{state_file} cannot be read ({error})"}
    if record is not None and not (isinstance(record, dict) and record.get("state") in ("building", "failed", "ready")):
        return {**out, "state": "failed", "message": f"{state_file} is not a record of node-setup.sh"}
    if record is not None:
        out.update({key: record.get(key) for key in ("step", "since", "started", "log", "exitCode", "message")})
    if record is None:
        # Built before builds were recorded (or by hand), or not started yet.
        if not missing:
            out["state"] = "ready"
        elif len(missing) == 2:
            out["state"] = "not-started"
        else:
            out.update(state="failed", message=f"the environment is incomplete: {missing[0]} is missing")
    elif record["state"] == "ready" and missing:
        out.update(state="failed", message=f"{state_file} says ready, but {missing[0]} is missing")
    elif record["state"] == "building" and build_age_seconds(record.get("started")) > NEURON_STALE_AFTER_SECONDS:
        out.update(
            state="failed",
            message=(
                f"{state_file} says building since {record.get('started')}, longer than the service allows "
                f"({NEURON_BUILD_LIMIT_SECONDS // 3600} hours): the build stopped without recording why (the head node "
                "restarted, or the process was killed)"
            ),
        )
    else:
        out["state"] = record["state"]
    return out


def build_age_seconds(started) -> float:
    """Seconds since node-setup.sh's `started` (2026-01-01T11:58:00Z, UTC); 0 when it is missing or unreadable."""
    try:
        return time.time() - calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return 0.0


def neuron_refusal(environment: dict) -> str:
    """Why a chain is not submitted: the environment failed (or is broken). Names the step, the log and the fix."""
    release = environment["release"]
    if environment.get("step") and environment.get("exitCode") is not None:
        what = (environment.get("message") or "").removeprefix(
            "node-setup: "
        ) or f"step '{environment['step']}' failed (exit {environment['exitCode']})"
        when = f" at {environment['since']}" if environment.get("since") else ""
        log = f"; its log is {environment['log']} on the head node" if environment.get("log") else ""
        return (
            f"the Neuron {release} environment failed to build: {what}{when}{log}. Build it again on the head node "
            f"(sudo systemctl start {NEURON_SERVICE}), then submit again"
        )
    return (
        f"the Neuron {release} environment cannot be used: {environment.get('message')}. Build it again on the "
        f"head node (sudo systemctl start {NEURON_SERVICE}), then submit again"
    )


def cmd_neuron_state(release: str, output: str) -> None:
    """Writes the environment's state (neuron_environment) to `output`; prints the state word for cpt-run.sh."""
    environment = neuron_environment(release)
    write_json_atomically(output, environment)
    print(environment["state"])


def cmd_neuron_refusal(neuron_file: str) -> None:
    print(neuron_refusal(read_json(neuron_file)))


def cmd_check_neuron_ls(path: str, host: str, devices_per_node: str, cores_per_node: str) -> None:
    """`neuron-ls --json-output` of one node (aws-neuronx-tools; the array of devices shown in
    tools/neuron-sys-tools/neuron-ls.rst of aws-neuron/aws-neuron-sdk at v2.28.1): the request's
    derived.devicesPerNode devices and derived.coresPerNode NeuronCores (16 and 32 on a trn1.32xlarge or
    trn1n.32xlarge), none held by a process (a process left over from an earlier job keeps the runtime from taking
    the cores)."""
    want_devices, want_cores = int(devices_per_node), int(cores_per_node)
    try:
        devices = read_json(path)
    except ValueError as error:
        raise RuntimeError(f"{host}: neuron-ls --json-output printed no JSON ({error})") from None
    if not isinstance(devices, list) or not all(isinstance(device, dict) for device in devices):
        raise RuntimeError(f"{host}: neuron-ls --json-output printed no list of devices")
    cores = sum(int(device.get("nc_count") or 0) for device in devices)
    busy = sorted(
        {
            f"{process.get('pid')} ({process.get('command')})"
            for device in devices
            for process in device.get("neuron_processes") or []
        }
    )
    problems = []
    if len(devices) != want_devices or cores != want_cores:
        problems.append(f"{len(devices)} Neuron devices with {cores} NeuronCores, not {want_devices} with {want_cores}")
    if busy:
        problems.append(f"the devices are in use by process(es) {', '.join(busy)}")
    if problems:
        raise RuntimeError(f"{host}: " + "; ".join(problems))
    print(f"{host}: {len(devices)} Neuron devices, {cores} NeuronCores, none in use")
