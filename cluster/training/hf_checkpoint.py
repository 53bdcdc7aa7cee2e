#!/usr/bin/env python3
"""Hugging Face side of the checkpoint conversions, run with the Neuron environment's Python (torch,
transformers and huggingface_hub, as pinned by neuronx-distributed's examples/training/llama/requirements.txt).

  download    --model ID --dest DIR          the model's config, tokenizer and safetensors from the Hub, with the
                                             token in HF_TOKEN (never on the command line)
  full-state  --model-dir DIR --out FILE     torch.save(model.state_dict()) in the training model's dtypes
                                             (bfloat16 matrices, float32 RMSNorm weights): the input of
                                             convert_checkpoints.py --convert_from_full_state (it reads --input_dir
                                             with torch.load and writes the shards in the dtypes it was given)
  to-hf       --full FILE --base-dir DIR --out DIR
                                             the merged state dict of convert_checkpoints.py
                                             --convert_to_full_state, as a Hugging Face model folder: the base
                                             model's config (torch_dtype bfloat16) and tokenizer, safetensors

The Neuron tutorial makes the full state dict the same way (LlamaForCausalLM.from_pretrained, then
torch.save(model.state_dict(), ...)): aws-neuron/aws-neuron-sdk, archive/tutorials/finetuning_llama2_7b_ptl.rst.
Each command writes into a temporary folder next to its output and renames it at the end.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

# What a Llama 2 model folder needs; the Hub repository also has .bin copies of the weights, which are not needed.
DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "tokenizer.model"]
TOKENIZER_FILES = [
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
]
# The dtypes of the training model, which the shards are loaded into (load_state_dict casts to them): its parallel
# layers (embedding, q/k/v/o, MLP, lm_head: the matrices) are created in config.torch_dtype, "bfloat16" in the
# training script's examples/training/llama/tp_zero1_llama_hf_pretrain/7B_config_llama2/config.json, and its
# RMSNorm weights (the vectors) in float32 (modeling_llama_nxd.py at neuronx-distributed v2.28.0; both recorded in
# tests/fixtures/nxd-model.json). Casting the Hub's float16 weights to those here gives the values the model's own
# cast would, and halves what the converter reads: 13.5 GB for 7B, where float32 throughout was 27 GB.
MATRIX_DTYPE = "bfloat16"
VECTOR_DTYPE = "float32"
# Buffers that Hugging Face models may or may not hold in their state dict, depending on the version.
IGNORABLE_SUFFIXES = ("rotary_emb.inv_freq",)


def _staging(target: Path) -> Path:
    staging = target.with_name(f".{target.name}.partial")
    if staging.exists():
        shutil.rmtree(staging) if staging.is_dir() else staging.unlink()
    return staging


def download(model: str, dest: str) -> None:
    from huggingface_hub import snapshot_download

    token = os.environ.get("HF_TOKEN")
    if not token:
        raise SystemExit("hf_checkpoint download: HF_TOKEN is not set")
    target = Path(dest)
    staging = _staging(target)
    snapshot_download(repo_id=model, local_dir=str(staging), allow_patterns=DOWNLOAD_PATTERNS, token=token)
    for name in ("config.json",):
        if not (staging / name).is_file():
            raise SystemExit(f"hf_checkpoint download: {model} has no {name}")
    if not list(staging.glob("*.safetensors")):
        raise SystemExit(f"hf_checkpoint download: {model} has no safetensors weights")
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    print(f"downloaded {model} into {target}")


def full_state(model_dir: str, out: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype="auto")  # the checkpoint's own dtype
    matrix, vector = getattr(torch, MATRIX_DTYPE), getattr(torch, VECTOR_DTYPE)
    with torch.no_grad():  # one tensor at a time, in place: the model is never held twice
        for parameter in model.parameters():
            parameter.data = parameter.data.to(matrix if parameter.dim() >= 2 else vector)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging(target)
    torch.save(model.state_dict(), staging)
    staging.rename(target)
    print(
        f"wrote the full state dict of {model_dir} ({sum(p.numel() for p in model.parameters())} parameters) to {target}"
    )


def to_hf(full: str, base_dir: str, out: str) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    state = torch.load(full, map_location="cpu", weights_only=True)
    if "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    config = AutoConfig.from_pretrained(base_dir)
    config.torch_dtype = torch.bfloat16
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16)
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith(IGNORABLE_SUFFIXES)]
    unexpected = [k for k in result.unexpected_keys if not k.endswith(IGNORABLE_SUFFIXES)]
    if missing or unexpected:
        raise SystemExit(
            f"hf_checkpoint to-hf: {full} does not fit {base_dir}'s model: missing {missing[:5]} "
            f"({len(missing)}), unexpected {unexpected[:5]} ({len(unexpected)})"
        )
    target = Path(out)
    staging = _staging(target)
    model.save_pretrained(staging, safe_serialization=True)
    for name in TOKENIZER_FILES:
        source = Path(base_dir) / name
        if source.is_file():
            shutil.copy2(source, staging / name)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    print(f"wrote the Hugging Face model {target}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("download")
    p.add_argument("--model", required=True)
    p.add_argument("--dest", required=True)
    p = commands.add_parser("full-state")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--out", required=True)
    p = commands.add_parser("to-hf")
    p.add_argument("--full", required=True)
    p.add_argument("--base-dir", required=True)
    p.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "download":
        download(args.model, args.dest)
    elif args.command == "full-state":
        full_state(args.model_dir, args.out)
    else:
        to_hf(args.full, args.base_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
