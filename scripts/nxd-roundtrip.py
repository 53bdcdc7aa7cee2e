#!/usr/bin/env python3
"""Checks our checkpoint conversions with neuronx-distributed v2.28.0's own code, on CPU, and records what that code
produced in cluster/training/tests/fixtures/nxd-*.json (which the CI fake converter replays).

    NXD_SOURCE=/path/to/neuronx-distributed scripts/nxd-roundtrip.sh [--tp 2,4,8] [--keep] [--no-record]

NXD_SOURCE is a source tree of github.com/aws-neuron/neuronx-distributed at tag v2.28.0 (its examples/ are not in
the pip package); the script refuses any other (src/neuronx_distributed/_version.py must say 0.17.0). It runs in
.venv-nxd (scripts/nxd-env.sh: the cluster's torch 2.9.0, torch-xla 2.9.0 and transformers 4.48.0).

For each tensor-parallel degree TP and each q/k/v layout (nxd_recordings.CASES: "fused", the stage scripts' one, and
"separate", the one before issue 11), in the folder layout of a run (CPT_FSX, RUN_DIR, checkpoint dir):
  1. a tiny random Llama of Llama 2 7B's family: the example's 7B_config_llama2/config.json (bfloat16, 32,000
     tokens, as many KV heads as heads) with 2 layers, 8 heads, hidden 64, intermediate 176; saved by transformers;
  2. prepare: the commands of cluster/training/stage-prepare.sh, read from that script and expanded by bash
     (nxd_recordings.stage_commands): hf_checkpoint.py full-state, then the real convert_checkpoints.py (the
     "separate" case drops --coalesce_qkv True);
  3. train: the real tp_zero1_llama_hf_pretrain.py (with cluster/training/nxd-pretrain.patch applied as the
     prepare stage does: GNU patch --fuzz=0, so a patch that no longer fits the tag fails here) under torchrun with TP processes, run as `__main__` with the arguments of
     cpt.arguments.training_arguments (only --model_path points at the tiny config; "separate" trains with --fuse_qkv
     0): its own argparse, get_model, nxd.initialize_parallel_model, ZeRO-1 optimizer, scheduler and its
     nxd.load_checkpoint(tag="pretrained_weight", strict) of the prepared shards, up to its data loader, where it is
     stopped. Each rank then calls nxd.save_checkpoint with the arguments of the script's own call (model,
     optimizer, scheduler, user content, 8 workers, use_xser=True, --num_kept_checkpoint), and tries the other
     layout's shards with nxd.load_checkpoint to record the error;
  4. export: the commands of stage-export.sh (the real converter with --load_xser True, then hf_checkpoint.py
     to-hf); the "fused" result is loaded with transformers and every tensor compared with the original
     (torch.equal, same dtype); the "separate" export must fail, and its error is recorded.

What is replaced on CPU, and why (everything else is the real code):
  - scripts/nxd_device_stubs/sitecustomize.py (on PYTHONPATH of the converter and training processes): the
    device-only packages torch_neuronx, neuronxcc and libneuronxla (except libneuronxla.libneuronpjrt_path, kept
    absent so that torch_xla uses its CPU client) become inert placeholders, torch_neuronx.utils.get_platform_target
    answers "trn1", and torch.classes.neuron (torch_neuronx's TorchScript classes) a placeholder. They are
    imported at module level for kernels, tracing and the platform name; none takes part in these steps.
  - in the training processes only (nxd_roundtrip/train_rank.py), following neuronx-distributed's own CPU mode
    (NXD_CPU_MODE=1: gloo process groups; test/integration/parallel_layers/test_layers.py at v2.28.0 runs it so):
    the script's torch.distributed.init_process_group("xla") gets backend "gloo" (the xla backend's collectives
    need the Neuron runtime); torch_xla's xm.rendezvous (an XLA all-gather, process-local on a CPU client)
    becomes torch.distributed.barrier(); xm.is_master_ordinal (the XLA ordinal, 0 in every CPU process, where on
    Neuron each process has its own) answers from the torch.distributed rank, so that only rank 0 writes the
    script's results.json, as on the cluster; and neuronx_distributed.parallel_layers.utils.is_pjrt_device answers
    True, as on the cluster (PJRT_DEVICE=NEURON): its other branch reads torch_xla's HOST_WORLD_SIZE, gone in
    torch-xla 2.9. training_utils.create_llama_pretraining_dataset is where the script is stopped.
What this does not prove: the tensors' values after training on Neuron (nothing is trained here: the weights go
through unchanged, so the round trip must be bit-exact), the model's forward pass on Neuron (NKI flash attention),
and a 7B model's sizes (the tiny model has the same key names, dtypes and split rules, not the same shapes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nxd_roundtrip.common import NXD_VERSION, Failure, say
from nxd_roundtrip.fixtures import write_fixtures
from nxd_roundtrip.resume_check import resume_check
from nxd_roundtrip.roundtrip import RoundTrip
from nxd_roundtrip.source_tree import check_source
from nxd_roundtrip.train_rank import train_rank


def main(argv: list[str]) -> int:
    if argv[:1] == ["train-rank"]:
        train_rank(argv[1])
        return 0
    if argv[:1] == ["resume-check"]:
        resume_check(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tp", default="2,4,8", help="tensor-parallel degrees, comma-separated (default 2,4,8)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-record", action="store_true", help="do not write the fixtures")
    args = parser.parse_args(argv)
    try:
        nxd = check_source(os.environ.get("NXD_SOURCE"))
    except Failure as failure:
        print(f"nxd-roundtrip: {failure}", file=sys.stderr)
        return 2
    tps = sorted({int(t) for t in args.tp.split(",")})
    work = Path(tempfile.mkdtemp(prefix="nxd-roundtrip-"))
    say(f"neuronx-distributed {NXD_VERSION} (v2.28.0) source: {nxd}")
    say(f"python: {sys.executable}; work folder: {work} ($WORK)")
    import torch
    import torch_xla
    import transformers

    say(
        f"torch {torch.__version__}, torch-xla {torch_xla.__version__}, transformers {transformers.__version__}; "
        f"TP {tps}"
    )
    trip = RoundTrip(nxd, work, tps)
    started = time.monotonic()
    try:
        trip.main()
    except Failure as failure:
        say(f"\nFAIL: {failure}\n(work folder kept: {work})")
        return 1
    say()
    if trip.stub_log.is_file():
        names = sorted(set(trip.stub_log.read_text().split()))
        tops = {}
        for name in names:
            top = "torch.classes.neuron" if name.startswith("torch.classes.") else name.split(".")[0]
            tops[top] = tops.get(top, 0) + 1
        say(
            f"stubbed device-only names the runs looked up: {len(names)} ("
            + ", ".join(f"{top}: {count}" for top, count in sorted(tops.items()))
            + (f"; list: {trip.stub_log})" if args.keep else ")")
        )
    if not args.no_record:
        write_fixtures(trip)
    if not args.keep:
        shutil.rmtree(work)
    say(
        f"PASS: prepare -> train -> export round trip bit-exact at TP {tps}, and the separate q/k/v layout's export "
        f"fails with the real error ({time.monotonic() - started:.0f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
