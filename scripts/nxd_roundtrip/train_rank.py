"""One training process of the round trip (`nxd-roundtrip.py train-rank SPEC`), started by torchrun."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .common import listing


def train_rank(spec_file: str) -> None:
    """One process of `torchrun --nproc-per-node TP` (see the module docstring for what is replaced here)."""
    import argparse as argparse_module
    import runpy

    spec = json.loads(Path(spec_file).read_text())
    sys.path[:0] = [str(Path(spec["script"]).parent), spec["llama_dir"]]
    import torch.distributed as dist
    import torch_xla.core.xla_model as xm

    real_init = dist.init_process_group

    def init_process_group(backend=None, *args, **kwargs):
        return real_init("gloo", *args, **kwargs)

    def rendezvous(tag, payload=b"", replicas=[]):  # noqa: B006 (xm.rendezvous's signature)
        dist.barrier()
        return [payload]

    def is_master_ordinal(local=True):
        return (int(os.environ["LOCAL_RANK"]) if local else dist.get_rank()) == 0

    dist.init_process_group = init_process_group
    xm.rendezvous = rendezvous
    xm.is_master_ordinal = is_master_ordinal
    import neuronx_distributed as nxd
    import neuronx_distributed.parallel_layers.utils as parallel_utils
    import training_utils
    import transformers.optimization
    from neuronx_distributed.parallel_layers import parallel_state

    parallel_utils.is_pjrt_device = lambda: True

    captured = {}

    class Reached(Exception):
        pass

    def capture(name, function, index=None):
        def wrapper(*args, **kwargs):
            result = function(*args, **kwargs)
            captured[name] = result
            if index is not None:
                captured["flags"] = args[index]
            return result

        return wrapper

    real_parse = argparse_module.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        parsed = real_parse(self, args, namespace)
        captured.setdefault("parsed", dict(vars(parsed)))
        return parsed

    def data_loader(*args, **kwargs):
        raise Reached()

    argparse_module.ArgumentParser.parse_args = parse_args
    nxd.initialize_parallel_model = capture("model", nxd.initialize_parallel_model, index=3)
    nxd.initialize_parallel_optimizer = capture("optimizer", nxd.initialize_parallel_optimizer)
    transformers.optimization.get_linear_schedule_with_warmup = capture(
        "scheduler", transformers.optimization.get_linear_schedule_with_warmup
    )
    training_utils.create_llama_pretraining_dataset = data_loader
    sys.argv = [spec["script"], *spec["args"]]
    try:
        runpy.run_path(spec["script"], run_name="__main__")
    except Reached:
        pass
    else:
        raise RuntimeError("the training script ended without reaching its data loader")
    argparse_module.ArgumentParser.parse_args = real_parse
    model, optimizer, scheduler, flags = (captured[k] for k in ("model", "optimizer", "scheduler", "flags"))
    rank = dist.get_rank()
    result = {
        "rank": rank,
        "tp_rank": parallel_state.get_tensor_model_parallel_rank(),
        "state": listing(model.state_dict()),
        "parsed": captured["parsed"],
        "cross": {},
    }
    step = int(spec["tag"].split("_")[1])
    # As the script's step closure: nxd.save_checkpoint(checkpoint_dir, tag, model, optimizer, scheduler,
    # user_content, 8, True, num_kept_checkpoint) (tp_zero1_llama_hf_pretrain.py, train_loop_fn).
    nxd.save_checkpoint(
        flags.checkpoint_dir,
        spec["tag"],
        model,
        optimizer,
        scheduler,
        {"epoch": 0, "global_step": step, "cli_args": flags.__dict__},
        8,
        True,
        flags.num_kept_checkpoint,
    )
    for name, directory in spec["cross"].items():
        try:
            nxd.load_checkpoint(directory, tag="pretrained_weight", model=model, optimizer=None, scheduler=None)
            result["cross"][name] = "loaded"
        except RuntimeError as error:
            result["cross"][name] = str(error)
    Path(spec["out"], f"rank_{rank:02d}.json").write_text(json.dumps(result, default=str))
    dist.barrier()
