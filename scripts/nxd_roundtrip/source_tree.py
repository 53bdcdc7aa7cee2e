"""NXD_SOURCE: a source tree of neuronx-distributed at tag v2.28.0, and nothing else."""

from __future__ import annotations

from pathlib import Path

from .common import EXAMPLE, NXD_VERSION, SCRIPT_DIR, Failure

REQUIRED = (
    "src/neuronx_distributed/_version.py",
    "src/neuronx_distributed/scripts/checkpoint_converter.py",
    "src/neuronx_distributed/trainer/checkpoint.py",
    f"{EXAMPLE}/convert_checkpoints.py",
    f"{EXAMPLE}/modeling_llama_nxd.py",
    f"{EXAMPLE}/training_utils.py",
    f"{SCRIPT_DIR}/tp_zero1_llama_hf_pretrain.py",
    f"{SCRIPT_DIR}/logger.py",
    f"{SCRIPT_DIR}/7B_config_llama2/config.json",
)


def check_source(value: str | None) -> Path:
    if not value:
        raise Failure(
            "NXD_SOURCE is not set: point it at a source tree of github.com/aws-neuron/neuronx-distributed "
            "at tag v2.28.0 (e.g. git -C MIRROR archive v2.28.0 | tar -x -C DIR)"
        )
    root = Path(value).resolve()
    missing = [name for name in REQUIRED if not (root / name).is_file()]
    if missing:
        raise Failure(f"NXD_SOURCE={root} is not a neuronx-distributed v2.28.0 source tree: no {', '.join(missing)}")
    version_text = (root / "src/neuronx_distributed/_version.py").read_text()
    if f'__version__ = "{NXD_VERSION}"' not in version_text:
        raise Failure(
            f"NXD_SOURCE={root} is not tag v2.28.0: its _version.py says "
            f'{version_text.strip().splitlines()[-1]!r}, not __version__ = "{NXD_VERSION}"'
        )
    return root
