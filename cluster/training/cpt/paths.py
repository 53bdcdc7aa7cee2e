"""Where things are: a request's /fsx/... paths on this machine, the run's folders, the Neuron environment and the
training example in it. The stage scripts get the same paths from `env` (shell_env.py), so each is written once.

A request names files on FSx as /fsx/...; CPT_FSX (default /fsx) is where /fsx really is (the tests run everything
under a temporary directory), and fsx_path() maps one to the other.
"""

from __future__ import annotations

import os

# The Llama example of neuronx-distributed (v2.28.0) that compile and train run, and its folder.
LLAMA_DIR = "examples/training/llama"
LLAMA_SCRIPT = f"{LLAMA_DIR}/tp_zero1_llama_hf_pretrain/tp_zero1_llama_hf_pretrain.py"
# The example's model configuration (Llama 2 7B): the training script's --model_path, read by the converter too.
MODEL_CONFIG_DIR = f"{LLAMA_DIR}/tp_zero1_llama_hf_pretrain/7B_config_llama2"


def fsx_root() -> str:
    return os.environ.get("CPT_FSX", "/fsx").rstrip("/") or "/"


def fsx_path(path: str) -> str:
    """Where the /fsx/... path of a request is on this machine."""
    assert path == "/fsx" or path.startswith("/fsx/"), path
    return fsx_root() + path[len("/fsx") :].rstrip("/")


def run_dir(run: str) -> str:
    return f"{fsx_root()}/trainium-cpt/runs/{run}"


def checkpoint_dir(run: str) -> str:
    return f"{fsx_root()}/checkpoints/{run}"


def patched_script(run_directory: str) -> str:
    """The run's copy of the training script with nxd-pretrain.patch applied, next to a copy of resume_data.py, which
    it imports: the prepare stage writes both, as the jobs' user, to RUN_DIR/patched/ (RUN_DIR/scripts/ is root's
    and read-only to that user)."""
    return f"{run_directory}/patched/tp_zero1_llama_hf_pretrain.py"


def compile_cache() -> str:
    """Neuron's compile cache, shared by the nodes: CPT_COMPILE_CACHE, or its place on FSx."""
    return os.environ.get("CPT_COMPILE_CACHE") or f"{fsx_root()}/trainium-cpt/compile-cache"


def neuron_base(release: str) -> str:
    """The Neuron `release` environment that node-setup.sh head builds on FSx (a link to the build's folder)."""
    return f"{fsx_root()}/trainium-cpt/neuron-{release}"


def neuron_venv(release: str) -> str:
    """The environment's Python virtual environment: CPT_NEURON_VENV, or its place on FSx."""
    return os.environ.get("CPT_NEURON_VENV") or f"{neuron_base(release)}/venv"


def nxd_dir(release: str) -> str:
    """The environment's neuronx-distributed checkout: CPT_NXD_DIR, or its place on FSx."""
    return os.environ.get("CPT_NXD_DIR") or f"{neuron_base(release)}/neuronx-distributed"
