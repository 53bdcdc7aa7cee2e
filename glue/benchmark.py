"""Tokenization throughput on one core, three ways on the same text, and what it means for a Glue run.

    .venv/bin/python glue/benchmark.py --tokenizer <tokenizer.json> [--megabytes 8] [--repeats 3]

1. the job's core path (cpt_data.pipeline.tokenize_partition: parse JSON Lines, hold out by hash, tokenize,
   pack rows of 4,096 tokens, build the Arrow batches Spark receives);
2. the tokenizer's own `encode_batch`, nothing else: the practical limit (and `encode_batch_fast`, which the job calls:
   the same ids without character offsets);
3. the reference: Hugging Face `datasets.map` with a tokenize function, then `group_texts`, as the Neuron example
   (examples/training/llama/get_dataset.py) and the seed's recipe do.
All run single-threaded (TOKENIZERS_PARALLELISM=false), as one Spark task per core does. The best of the repeats counts.
"""

import argparse
import json
import os
import sys
import time
from itertools import chain
from pathlib import Path

os.environ["TOKENIZERS_PARALLELISM"] = "false"
GLUE = Path(__file__).resolve().parent
sys.path.insert(0, str(GLUE / "src"))

import pyarrow as pa  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from cpt_data.options import parse_options  # noqa: E402
from cpt_data.pipeline import tokenize_partition  # noqa: E402
from cpt_data.tokenizer import check_tokenizer  # noqa: E402

LENGTH = 4096
BATCH = 1024
SEED_TOKENS = 88e9  # the seed run: PubMed, 88 billion tokens
# Glue: 1 DPU = 4 vCPU and 16 GB, about $0.44 per DPU-hour (Glue pricing page); a G.1X worker is 1 DPU.
VCPU_PER_DPU = 4
USD_PER_DPU_HOUR = 0.44


def corpus_lines(megabytes: float) -> list[bytes]:
    """The sample corpus's JSON lines, repeated (with a counter, so no two documents are equal) to the size asked."""
    base = [
        line
        for path in sorted((GLUE.parent / "data/sample").glob("*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    lines, size, copy = [], 0, 0
    while size < megabytes * 2**20:
        for line in base:
            record = json.loads(line)
            record["text"] = f"{record['text']} ({copy})"
            encoded = json.dumps(record, ensure_ascii=False).encode()
            lines.append(encoded)
            size += len(encoded)
        copy += 1
    return lines


def best_of(repeats: int, work) -> tuple[float, int]:
    """(seconds, tokens) of the fastest of `repeats` runs."""
    results = [work() for _ in range(repeats)]
    return min(results, key=lambda r: r[0])


def job_core_path(lines: list[bytes], spec, options):
    def work():
        batches = [
            pa.RecordBatch.from_arrays([pa.array(lines[i : i + BATCH], pa.binary())], ["raw"])
            for i in range(0, len(lines), BATCH)
        ]
        started = time.perf_counter()
        tokens = 0
        for out in tokenize_partition(iter(batches), spec, options, "domain", 0):
            if out.column(0)[0].as_py() == "stats":
                tokens = sum(s["tokens"] for s in json.loads(out.column("stats")[0].as_py())["splits"].values())
        return time.perf_counter() - started, tokens

    return work


def tokenizer_alone(texts: list[str], encode):
    def work():
        started = time.perf_counter()
        tokens = 0
        for i in range(0, len(texts), BATCH):
            tokens += sum(len(e.ids) for e in encode(texts[i : i + BATCH], add_special_tokens=False))
        return time.perf_counter() - started, tokens

    return work


def reference_datasets_map(texts: list[str], tokenizer: Tokenizer):
    import datasets

    datasets.disable_progress_bars()
    datasets.disable_caching()

    def tokenize_function(examples):  # what a fast tokenizer's __call__ returns (with BOS, as Llama's adds)
        encodings = tokenizer.encode_batch(examples["text"])
        return {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings]}

    def group_texts(examples):  # as in the Neuron example
        concatenated = {k: list(chain(*examples[k])) for k in examples.keys()}
        total = (len(concatenated["input_ids"]) // LENGTH) * LENGTH
        result = {k: [t[i : i + LENGTH] for i in range(0, total, LENGTH)] for k, t in concatenated.items()}
        result["labels"] = result["input_ids"].copy()
        return result

    def work():
        raw = datasets.Dataset.from_dict({"text": texts})
        started = time.perf_counter()
        tokenized = raw.map(tokenize_function, batched=True, remove_columns=["text"])
        tokenized.map(group_texts, batched=True)
        seconds = time.perf_counter() - started
        return seconds, sum(len(ids) for ids in tokenized["input_ids"])

    return work


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True, help="a Llama 2 tokenizer.json")
    parser.add_argument("--megabytes", type=float, default=8.0, help="text to tokenize per method (default 8)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    raw = Path(args.tokenizer).read_bytes()
    spec = check_tokenizer(raw, args.tokenizer, add_eos=False)
    tokenizer = Tokenizer.from_str(raw.decode())
    options = parse_options(
        [
            "--run",
            "bench",
            "--domain-uri",
            "-",
            "--format",
            "jsonl",
            "--text-field",
            "text",
            "--output-uri",
            "-",
            "--scratch-uri",
            "-",
            "--sequence-length",
            str(LENGTH),
            "--general-share",
            "0",
            "--held-out-share",
            "0.001",
            "--seed",
            "42",
            "--tokenizer-uri",
            args.tokenizer,
        ]
    )
    lines = corpus_lines(args.megabytes)
    texts = [json.loads(line)["text"] for line in lines]
    print(f"text: {sum(map(len, lines)) / 2**20:.1f} MiB, {len(lines)} documents; best of {args.repeats}; one core\n")

    results = {}
    for name, work in (
        ("job core path", job_core_path(lines, spec, options)),
        ("tokenizer encode_batch alone", tokenizer_alone(texts, tokenizer.encode_batch)),
        ("tokenizer encode_batch_fast alone", tokenizer_alone(texts, tokenizer.encode_batch_fast)),
        ("reference datasets.map + group_texts", reference_datasets_map(texts, tokenizer)),
    ):
        seconds, tokens = best_of(args.repeats, work)
        results[name] = tokens / seconds
        print(f"{name:40s} {tokens / seconds:>12,.0f} tokens/s   ({tokens:,} tokens in {seconds:.2f} s)")

    job = results["job core path"]
    print(
        f"\njob / encode_batch alone:      {job / results['tokenizer encode_batch alone']:.1%}   (target: at least 85%)"
    )
    print(
        f"job / encode_batch_fast alone: {job / results['tokenizer encode_batch_fast alone']:.1%}   (the job calls this one: no offsets)"
    )
    print(
        f"job / reference:               {job / results['reference datasets.map + group_texts']:.2f}x   (target: above 1)"
    )
    dpu_hours = SEED_TOKENS / (job * VCPU_PER_DPU) / 3600
    print(
        f"\nprojection for {SEED_TOKENS / 1e9:.0f} billion tokens, at this rate on each of {VCPU_PER_DPU} vCPUs of a DPU: "
        f"{dpu_hours:,.0f} DPU-hours, about ${dpu_hours * USD_PER_DPU_HOUR:,.0f} at ${USD_PER_DPU_HOUR} per DPU-hour "
        "(tokenizing only: reading, the shuffle and writing add to it; a Glue vCPU may be slower or faster than this core)"
    )


if __name__ == "__main__":
    main()
