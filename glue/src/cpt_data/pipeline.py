"""The job, as two Spark stages and a commit.

1. Tokenize and pack (once; the expensive part): each input partition reads its documents in order, holds out
   documents by a hash of their text, tokenizes in batches with one tokenizer per partition, and packs rows. Rows and
   one line of counts per partition go to scratch as Parquet (Spark commits it), so the counts are exact and no token
   reaches the driver.
2. Mix, shuffle and write: the driver adds up the counts, picks the share of general rows that gives the configured
   share of tokens, and each output set is shuffled by a seeded key and written as Arrow shards in the layout of
   `datasets.save_to_disk`, by the executors.
3. Commit: `state.json` of each set, then the manifest, are written last. Every attempt writes into a folder of its
   own; the manifest names the attempt it describes, so a failed rerun leaves the previous complete dataset in use.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa

from . import hashing, hf_dataset, records, storage
from .options import JobOptions, join_uri
from .packing import RowPacker
from .stats import PartitionStats, combine
from .tokenizer import TokenizerSpec, load_tokenizer

STAGE_ONE_SCHEMA = "kind string, corpus string, split string, key long, pick double, input_ids array<int>, stats string"
SHARD_SUMMARY_SCHEMA = "shard string, partition int, rows long"
DOCUMENTS_PER_BATCH = 1024
SHUFFLE_STREAM, PICK_STREAM = 1, 2
CORPUS_STREAMS = {"domain": 0, "general": 16}  # keeps the keys of the two corpora independent
# About 512 MiB of tokens per shard: large enough for few files, small enough to upload in one go.
TARGET_SHARD_BYTES = 512 * 2**20


class InputError(RuntimeError):
    """A missing or empty input: the job stops before it writes anything."""


Log = Callable[[str], None]


def run(spark, options: JobOptions, log: Log = print) -> dict:
    started = time.time()
    # Documents per Arrow batch: bounds a task's memory whatever the corpus size.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(DOCUMENTS_PER_BATCH))
    inputs = {"domain": options.domain_uri, **({"general": options.general_uri} if options.general_uri else {})}
    for corpus, uri in inputs.items():
        check_input(corpus, uri)
    spec = load_tokenizer(options)
    log(f"tokenizer {spec.source}: vocabulary {spec.vocab_size}, sha256 {spec.sha256[:12]}…")

    # Sortable, and unique even for two runs within a second.
    attempt = time.strftime("attempt-%Y%m%dT%H%M%SZ-", time.gmtime(started)) + os.urandom(3).hex()
    scratch = join_uri(options.scratch_uri, options.run, attempt)
    try:
        return tokenize_mix_and_write(spark, options, spec, inputs, scratch, attempt, started, log)
    finally:
        storage.delete_tree(scratch)


def tokenize_mix_and_write(spark, options, spec, inputs, scratch, attempt, started, log) -> dict:
    log(f"stage 1/2: tokenizing and packing {', '.join(inputs)} into {scratch}")
    tokenize_to_scratch(spark, options, spec, inputs, scratch)

    packed = spark.read.parquet(storage.spark_path(scratch))
    counts = combine([row.stats for row in packed.where("kind = 'stats'").select("stats").collect()])
    check_usable(counts, inputs)
    mix = general_mix(packed, counts, options.general_share)

    attempt_uri = join_uri(options.run_uri, attempt)
    log(f"stage 2/2: mixing {mix.picked} general rows in, shuffling and writing to {attempt_uri}")
    row_bytes = options.sequence_length * 9  # input_ids and labels int32, attention_mask int8
    sets = {}
    for name, (condition, expected) in output_sets(counts, mix).items():
        shards = max(1, math.ceil(expected * row_bytes / TARGET_SHARD_BYTES))
        files = write_set(
            packed.where(f"kind = 'row' AND {condition}"), join_uri(attempt_uri, name), shards, options.sequence_length
        )
        sets[name] = {"path": join_uri(attempt_uri, name), "rows": sum(f["rows"] for f in files), "shards": files}
        log(f"  {name}: {sets[name]['rows']} rows in {len(files)} shard(s)")

    manifest = build_manifest(options, spec, inputs, counts, sets, mix, attempt, time.time() - started)
    storage.write_bytes(join_uri(options.run_uri, "manifest.json"), json.dumps(manifest, indent=2).encode())
    for old in storage.child_names(options.run_uri):
        if old.startswith("attempt-") and old != attempt:
            storage.delete_tree(join_uri(options.run_uri, old))
    log(f"manifest: {join_uri(options.run_uri, 'manifest.json')}")
    return manifest


def check_input(corpus: str, uri: str) -> None:
    files = storage.list_files(uri)
    if not files:
        raise InputError(f"{corpus} corpus: no input files at {uri}")
    if sum(f.size for f in files) == 0:
        raise InputError(f"{corpus} corpus at {uri} is empty ({len(files)} file(s), 0 bytes)")


def check_usable(counts: dict, inputs: dict) -> None:
    for corpus, uri in inputs.items():
        found = counts.get(corpus, {"splits": {}})
        documents = sum(s.get("documents", 0) for s in found["splits"].values())
        if documents == 0:
            bad = found.get("bad_records") or {}
            raise InputError(f"{corpus} corpus at {uri} has no usable document (bad records: {bad or 'none'})")
    if counts["domain"]["splits"]["train"].get("rows", 0) == 0:
        raise InputError(f"domain corpus at {inputs['domain']} is too small for one training row")


@dataclass(frozen=True)
class GeneralMix:
    """Which general training rows go into the training set: those whose seeded `pick` is at most `threshold`."""

    available: int
    picked: int
    threshold: float | None  # None: every general row

    @property
    def condition(self) -> str:
        if self.picked == 0:
            return "FALSE"
        return "TRUE" if self.threshold is None else f"pick <= {self.threshold!r}"


def rows_of(counts: dict, corpus: str, split: str) -> int:
    return counts.get(corpus, {}).get("splits", {}).get(split, {}).get("rows", 0)


def general_mix(packed, counts: dict, share: float, buckets: int = 4096) -> GeneralMix:
    """Picks exactly the number of general rows that makes general tokens `share` of the training tokens (rows all
    have the same length, so a share of rows is a share of tokens), without collecting rows on the driver: a
    histogram of the uniform `pick` finds the bucket of the cut, and only that bucket's values are fetched."""
    domain, available = rows_of(counts, "domain", "train"), rows_of(counts, "general", "train")
    wanted = min(available, round(share / (1 - share) * domain)) if share > 0 else 0
    if wanted in (0, available):
        return GeneralMix(available, wanted, None)
    general = packed.where("kind = 'row' AND corpus = 'general' AND split = 'train'")
    histogram = dict(general.selectExpr(f"CAST(FLOOR(pick * {buckets}) AS INT) AS b").groupBy("b").count().collect())
    below = 0
    for bucket in range(buckets):
        if below + histogram.get(bucket, 0) >= wanted:
            break
        below += histogram.get(bucket, 0)
    cut = (
        general.where(f"CAST(FLOOR(pick * {buckets}) AS INT) = {bucket}")
        .select("pick")
        .orderBy("pick")
        .limit(wanted - below)
        .collect()
    )
    return GeneralMix(available, wanted, cut[-1].pick)


def output_sets(counts: dict, mix: GeneralMix) -> dict[str, tuple[str, int]]:
    """Each output set: its filter over the packed rows, and how many rows it will have."""
    return {
        "train": (
            f"split = 'train' AND (corpus = 'domain' OR {mix.condition})",
            rows_of(counts, "domain", "train") + mix.picked,
        ),
        "eval_domain": ("split = 'eval' AND corpus = 'domain'", rows_of(counts, "domain", "eval")),
        "eval_general": ("split = 'eval' AND corpus = 'general'", rows_of(counts, "general", "eval")),
    }


def read_corpus(spark, options: JobOptions, uri: str):
    """One column `raw` of bytes: decoding happens in the job, so invalid UTF-8 is seen and counted."""
    path = storage.spark_path(uri)
    if options.format == "jsonl":
        frame = spark.read.option("recursiveFileLookup", "true").text(path)
        return frame.selectExpr("CAST(value AS BINARY) AS raw")
    frame = spark.read.option("recursiveFileLookup", "true").parquet(path)
    if options.text_field not in frame.columns:
        raise InputError(f"Parquet files at {uri} have no column {options.text_field!r} (columns: {frame.columns})")
    return frame.selectExpr(f"CAST(`{options.text_field}` AS BINARY) AS raw")


def tokenize_to_scratch(spark, options: JobOptions, spec: TokenizerSpec, inputs: dict, scratch: str) -> None:
    shared = spark.sparkContext.broadcast(spec)
    frames = [
        read_corpus(spark, options, uri).mapInArrow(tokenize_partitions(shared, options, corpus), STAGE_ONE_SCHEMA)
        for corpus, uri in inputs.items()
    ]
    packed = frames[0]
    for frame in frames[1:]:
        packed = packed.unionByName(frame)
    packed.write.mode("overwrite").parquet(storage.spark_path(scratch))


def tokenize_partitions(shared, options: JobOptions, corpus: str):
    """The function each input partition runs in Spark (mapInArrow)."""

    def tokenize(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        yield from tokenize_partition(batches, shared.value, options, corpus, TaskContext.get().partitionId())

    return tokenize


def tokenize_partition(
    batches: Iterator[pa.RecordBatch], spec: TokenizerSpec, options: JobOptions, corpus: str, partition: int
) -> Iterator[pa.RecordBatch]:
    """The job's core path: raw records in, batches of packed rows and, last, one line of counts out."""
    # Spark runs one task per core: the tokenizer must not start threads of its own on top.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    is_json_line = options.format == "jsonl"
    tokenizer = spec.build()
    packers = {split: RowPacker(options.sequence_length, spec.bos_id, spec.eos_id) for split in ("train", "eval")}
    stats = PartitionStats(corpus, partition)
    rows_so_far = 0
    for batch in batches:
        texts = {"train": [], "eval": []}
        for raw in batch.column(0).to_pylist():
            stats.records += 1
            text, reason = records.document_text(raw, options.text_field, is_json_line)
            if reason:
                stats.record_bad(reason, records.sample_of(raw))
                continue
            held_out = hashing.document_unit(text, options.seed) < options.held_out_share
            texts["eval" if held_out else "train"].append(text)
        for split, split_texts in texts.items():
            if not split_texts:
                continue
            encodings = tokenizer.encode_batch_fast(split_texts, add_special_tokens=False)
            rows = packers[split].add([e.ids for e in encodings])
            if len(rows):
                yield row_batch(rows, corpus, split, options.seed, partition, rows_so_far)
                rows_so_far += len(rows)
    yield stats_batch(stats.close(packers), corpus)


def row_batch(rows: np.ndarray, corpus: str, split: str, seed: int, partition: int, first: int) -> pa.RecordBatch:
    count, length = rows.shape
    stream = CORPUS_STREAMS[corpus]
    offsets = pa.array(np.arange(0, (count + 1) * length, length, dtype=np.int32))
    return pa.RecordBatch.from_pydict(
        {
            "kind": pa.array(["row"] * count),
            "corpus": pa.array([corpus] * count),
            "split": pa.array([split] * count),
            "key": pa.array(
                hashing.as_signed(hashing.row_hashes(seed, stream + SHUFFLE_STREAM, partition, first, count))
            ),
            "pick": pa.array(hashing.as_unit(hashing.row_hashes(seed, stream + PICK_STREAM, partition, first, count))),
            "input_ids": pa.ListArray.from_arrays(offsets, pa.array(rows.reshape(-1))),
            "stats": pa.nulls(count, pa.string()),
        }
    )


def stats_batch(stats_json: str, corpus: str) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "kind": pa.array(["stats"]),
            "corpus": pa.array([corpus]),
            "split": pa.nulls(1, pa.string()),
            "key": pa.nulls(1, pa.int64()),
            "pick": pa.nulls(1, pa.float64()),
            "input_ids": pa.nulls(1, pa.list_(pa.int32())),
            "stats": pa.array([stats_json]),
        }
    )


def write_set(rows, directory_uri: str, shards: int, length: int) -> list[dict]:
    """Shuffles rows into `shards` partitions by their seeded key, writes one shard each, then commits the set."""
    shuffled = rows.repartition(shards, "key").sortWithinPartitions("key").select("input_ids")
    summaries = shuffled.mapInArrow(write_shards(directory_uri, shards, length), SHARD_SUMMARY_SCHEMA).collect()
    files = sorted(({"file": s.shard, "rows": s.rows} for s in summaries if s.rows > 0), key=lambda f: f["file"])
    if not files:
        files = [{"file": hf_dataset.write_empty_shard(directory_uri), "rows": 0}]
    # Same rows in the same shards, same fingerprint: a rerun with the same seed is byte-identical.
    hf_dataset.write_dataset_metadata(directory_uri, [f["file"] for f in files], json.dumps(files))
    return files


def write_shards(directory_uri: str, shards: int, length: int):
    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        partition = TaskContext.get().partitionId()
        name = hf_dataset.shard_name(partition, shards)
        written = 0
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, name)
            with pa.OSFile(local, "wb") as sink, pa.ipc.new_stream(sink, hf_dataset.SCHEMA) as writer:
                for batch in batches:
                    if batch.num_rows:
                        writer.write_batch(hf_dataset.training_batch(batch.column(0), length))
                        written += batch.num_rows
            if written:
                storage.put_file(local, join_uri(directory_uri, name))
        yield pa.RecordBatch.from_pydict(
            {"shard": [name], "partition": pa.array([partition], pa.int32()), "rows": pa.array([written], pa.int64())}
        )

    return write


def build_manifest(
    options: JobOptions,
    spec: TokenizerSpec,
    inputs: dict,
    counts: dict,
    sets: dict,
    mix: GeneralMix,
    attempt: str,
    seconds: float,
) -> dict:
    train_rows = sets["train"]["rows"]
    return {
        "run": options.run,
        "attempt": attempt,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "codeVersion": options.code_version,
        "durationSeconds": round(seconds, 1),
        "inputs": {
            corpus: {"uri": uri, "format": options.format, "textField": options.text_field}
            for corpus, uri in inputs.items()
        },
        "tokenizer": {
            "source": spec.source,
            "sha256": spec.sha256,
            "vocabSize": spec.vocab_size,
            "bosId": spec.bos_id,
            "eosId": spec.eos_id,
        },
        "parameters": {
            "sequenceLength": options.sequence_length,
            "generalShare": options.general_share,
            "heldOutShare": options.held_out_share,
            "seed": options.seed,
            "addEos": options.add_eos,
        },
        "corpora": counts,
        "mixing": {
            "targetGeneralShare": options.general_share,
            "generalRowsAvailable": mix.available,
            "generalRowsPicked": mix.picked,
            "trainRows": train_rows,
            "trainTokens": train_rows * options.sequence_length,
            "achievedGeneralShare": mix.picked / train_rows if train_rows else 0.0,
        },
        "sets": sets,
        "options": {k: v for k, v in asdict(options).items() if k != "hf_token_secret_arn"},
    }
