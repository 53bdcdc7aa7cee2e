#!/usr/bin/env python3
"""Perplexity of a causal language model on held-out sets of pre-tokenized rows.

    evaluate_perplexity.py --model-dir DIR --eval NAME=DATASET_DIR [--eval ...] [--max-rows N]
                           [--device cpu|xla] [--dtype bfloat16|float32] --output FILE

DIR is a Hugging Face model folder (the base model, or a checkpoint exported by the export stage). Each
DATASET_DIR is a `datasets.load_from_disk` folder with the columns of the tokenization job (`input_ids`,
`attention_mask`, `labels`): rows of sequenceLength tokens.

For every row, the model predicts each token from the ones before it; the score of a set is the mean negative
log-likelihood (natural log) over all predicted tokens of its first N rows, and its perplexity exp(mean NLL).
A token counts when its label is not -100 and its attention mask is 1; the first token of a row has no
prediction. The sets are shuffled by the tokenization job, so the first N rows are a fair sample, and the same
rows for every model.

Output (FILE, JSON): {"model": DIR, "device": ..., "sets": {NAME: {"path", "rows", "tokens", "meanNll",
"perplexity", "seconds"}}}.

Only `torch_scorer` knows about torch and the device: `--device xla` runs the model on a NeuronCore through
torch-xla (torch-neuronx), `cpu` on the host; everything else is plain Python, tested without torch.
"""

import argparse
import json
import math
import os
import sys
import time
from typing import Callable, Iterable, Sequence

IGNORE_INDEX = -100

# score(input_ids, labels, attention_mask) -> (sum of the NLL of the predicted tokens, number of those tokens)
Scorer = Callable[[Sequence[int], Sequence[int], Sequence[int]], "tuple[float, int]"]


def predicted_targets(labels: Sequence[int], attention_mask: Sequence[int]) -> list:
    """The target of each position's prediction: position i predicts labels[i + 1]; -100 where nothing counts."""
    targets = []
    for i in range(len(labels) - 1):
        label = labels[i + 1]
        counted = label != IGNORE_INDEX and (attention_mask is None or attention_mask[i + 1] == 1)
        targets.append(label if counted else IGNORE_INDEX)
    return targets


def evaluate_rows(rows: Iterable[dict], score: Scorer, max_rows: int) -> dict:
    total_nll, total_tokens, count = 0.0, 0, 0
    started = time.monotonic()
    for row in rows:
        if count >= max_rows:
            break
        input_ids = list(row["input_ids"])
        labels = list(row["labels"]) if row.get("labels") is not None else input_ids
        mask = list(row["attention_mask"]) if row.get("attention_mask") is not None else None
        nll, tokens = score(input_ids, labels, mask)
        total_nll += nll
        total_tokens += tokens
        count += 1
    if total_tokens == 0:
        raise ValueError("no token to score (empty set, or every label masked)")
    mean = total_nll / total_tokens
    return {
        "rows": count,
        "tokens": total_tokens,
        "meanNll": mean,
        "perplexity": math.exp(mean),
        "seconds": round(time.monotonic() - started, 3),
    }


def load_rows(path: str, max_rows: int):
    import datasets

    data = datasets.load_from_disk(path)
    if isinstance(data, datasets.DatasetDict):
        raise ValueError(f"{path} is a DatasetDict; give the folder of one split")
    missing = {"input_ids"} - set(data.column_names)
    if missing:
        raise ValueError(f"{path} has no column {', '.join(sorted(missing))} (columns: {data.column_names})")
    return data.select(range(min(max_rows, len(data))))


def torch_scorer(model_dir: str, device_name: str, dtype_name: str) -> Scorer:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32}[dtype_name]
    if device_name == "xla":
        import torch_xla.core.xla_model as xm

        device = xm.xla_device()
    else:
        xm = None
        device = torch.device("cpu")
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=dtype)
    model.eval()
    model.to(device)

    def score(input_ids, labels, attention_mask):
        ids = torch.tensor([input_ids], dtype=torch.long, device=device)
        mask = torch.tensor(
            [attention_mask if attention_mask is not None else [1] * len(input_ids)], dtype=torch.long, device=device
        )
        targets = torch.tensor(predicted_targets(labels, attention_mask), dtype=torch.long, device=device)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask).logits[0, :-1].float()
            nll = torch.nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX, reduction="sum")
            tokens = (targets != IGNORE_INDEX).sum()
        if xm is not None:
            xm.mark_step()
        return float(nll.cpu()), int(tokens.cpu())

    return score


def parse_eval(value: str) -> tuple:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=DATASET_DIR, got {value!r}")
    return name, path


def main(argv=None, scorer_factory=torch_scorer) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--eval", action="append", type=parse_eval, required=True, dest="evals")
    parser.add_argument("--max-rows", type=int, default=32)
    parser.add_argument("--device", choices=("cpu", "xla"), default=os.environ.get("CPT_EVAL_DEVICE", "cpu"))
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16")
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    if args.max_rows < 1:
        parser.error("--max-rows must be at least 1")
    names = [name for name, _ in args.evals]
    if len(set(names)) != len(names):
        parser.error(f"--eval names must differ: {names}")

    score = scorer_factory(args.model_dir, args.device, args.dtype)
    sets = {}
    for name, path in args.evals:
        result = evaluate_rows(load_rows(path, args.max_rows), score, args.max_rows)
        sets[name] = {"path": path, **result}
        print(
            f"{args.model_dir} on {name}: perplexity {result['perplexity']:.4f} over {result['tokens']} tokens "
            f"({result['rows']} rows, {result['seconds']} s)",
            flush=True,
        )
    report = {"model": args.model_dir, "device": args.device, "dtype": args.dtype, "sets": sets}
    temporary = f"{args.output}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
