"""The job's real entry point (tokenize_job.main) under real PySpark 3.5.4 in local mode, on the sample corpus with the
real Llama 2 tokenizer. Rows are decoded back into documents to check what the job promises."""

import json
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer

from conftest import sample_documents
from cpt_data.hashing import document_unit
from cpt_data.pipeline import InputError
from cpt_data.tokenizer import TokenizerError
from tokenize_job import main

LENGTH = 256
SEED = 42
HELD_OUT = 0.05
GENERAL_SHARE = 0.05
BOS = 1

BAD_LINES = [
    b"this line is not JSON\n",
    b'{"id": "no-text"}\n',
    b'{"id": "blank", "text": "   "}\n',
    b'{"id": "latin1", "text": "caf\xe9"}\n',
    b'{"id": "number", "text": 12}\n',
]


def job_argv(corpus: Path, out: Path, tokenizer: str, **changes) -> list:
    values = {
        "run": "sample",
        "domain-uri": str(corpus / "domain"),
        "general-uri": str(corpus / "general"),
        "format": "jsonl",
        "text-field": "text",
        "tokenizer-uri": tokenizer,
        "output-uri": str(out / "datasets"),
        "scratch-uri": str(out / "scratch"),
        "sequence-length": str(LENGTH),
        "general-share": str(GENERAL_SHARE),
        "held-out-share": str(HELD_OUT),
        "seed": str(SEED),
        "code-version": "test",
    }
    values.update({k.replace("_", "-"): v for k, v in changes.items()})
    return [item for flag, value in values.items() for item in (f"--{flag}", value)]


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first(spark, llama_tokenizer, tmp_path_factory):
    root = tmp_path_factory.mktemp("job")
    corpus = root / "corpus"
    for name in ("domain", "general"):
        (corpus / name).mkdir(parents=True)
        for path in sorted((Path(__file__).resolve().parents[2] / "data/sample" / name).glob("*.jsonl")):
            (corpus / name / path.name).write_bytes(path.read_bytes())
    (corpus / "domain" / "part-bad.jsonl").write_bytes(b"".join(BAD_LINES))
    argv = job_argv(corpus, root, llama_tokenizer["path"])
    manifest = main(argv, spark)
    attempt = root / "datasets" / "sample" / manifest["attempt"]
    return {"root": root, "corpus": corpus, "argv": argv, "manifest": manifest, "files": snapshot(attempt)}


@pytest.fixture(scope="module")
def documents(llama_tokenizer):
    """Every sample document with its ids, set (by the job's rule) and place in its file's stream."""
    tokenizer = Tokenizer.from_file(llama_tokenizer["path"])
    found = {}
    for corpus in ("domain", "general"):
        docs = sample_documents(corpus)
        encodings = tokenizer.encode_batch([d["text"] for d in docs], add_special_tokens=False)
        position = {}
        for doc, encoding in zip(docs, encodings):
            split = "eval" if document_unit(doc["text"], SEED) < HELD_OUT else "train"
            stream = (corpus, split, doc["file"])
            position[stream] = position.get(stream, -1) + 1
            found[doc["id"]] = {
                **doc,
                "corpus": corpus,
                "split": split,
                "ids": encoding.ids,
                "stream": stream,
                "index": position[stream],
            }
    last = {}
    for doc in found.values():
        last[doc["stream"]] = max(last.get(doc["stream"], -1), doc["index"])
    for doc in found.values():
        doc["last_in_file"] = doc["index"] == last[doc["stream"]]
    return found


def load(manifest: dict, name: str):
    return datasets.load_from_disk(manifest["sets"][name]["path"])


def pieces(row: list) -> list:
    """A row cut before each BOS: [tail of a document?, BOS+document, ..., BOS+head of a document]."""
    cuts = [i for i, token in enumerate(row) if token == BOS]
    bounds = [0, *cuts, len(row)]
    return [row[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def candidates(piece: list, documents: dict) -> list:
    """The documents that a BOS-led piece can start (the piece is a whole document or its head): one, unless the
    piece is a few tokens cut at the end of a row."""
    body = piece[1:]
    matches = [d for d in documents.values() if d["ids"][: len(body)] == body]
    assert matches, f"a piece of {len(body)} tokens matches no document"
    assert len(matches) == 1 or len(body) < 8, "a long piece identifies its document"
    return matches


def follows(after: dict, before: dict) -> bool:
    """True if `after` comes right after `before` in some partition's stream of documents."""
    if before["stream"] == after["stream"] and after["index"] == before["index"] + 1:
        return True
    # Spark may put several small files in one partition, in an order of its own.
    return before["last_in_file"] and after["index"] == 0 and before["stream"][:2] == after["stream"][:2]


def check_rows(dataset, documents: dict, split: str) -> dict:
    """Checks each row holds documents of `split` in input order; returns how many rows each corpus has."""
    rows_per_corpus = {"domain": 0, "general": 0}
    for row in dataset["input_ids"]:
        parts = pieces(row)
        led = [p for p in parts if p[0] == BOS]
        options = [candidates(p, documents) for p in led]
        for choices in options:
            assert any(d["split"] == split for d in choices), f"a document of another set is in a {split} row"
        for piece, (doc,) in zip(led[:-1], options[:-1]):
            assert piece[1:] == doc["ids"], "a document inside a row is whole"
        for before, after in zip(options, options[1:]):
            assert any(follows(a, before[0]) for a in after), f"{after[0]['id']} does not follow {before[0]['id']}"
        if parts[0][0] != BOS and options:
            tail = parts[0]
            assert any(
                follows(first, d) and d["ids"][-len(tail) :] == tail for first in options[0] for d in documents.values()
            ), "a row starts with the end of the document before its first one"
        corpora = {d["corpus"] for choices in options for d in choices if len(choices) == 1}
        if not corpora:  # the row lies inside one long document, or starts only a few tokens of the next
            corpora = {d["corpus"] for d in documents.values() if contains(d["ids"], parts[0])}
        assert len(corpora) == 1, "domain and general documents are packed apart"
        rows_per_corpus[corpora.pop()] += 1
    return rows_per_corpus


def contains(ids: list, part: list) -> bool:
    haystack, needle = np.array(ids, np.int32).tobytes(), np.array(part, np.int32).tobytes()
    at = haystack.find(needle)
    while at >= 0 and at % 4:
        at = haystack.find(needle, at + 1)
    return at >= 0


def test_every_row_has_exactly_the_sequence_length_and_loads_with_datasets(first):
    for name in ("train", "eval_domain", "eval_general"):
        dataset = load(first["manifest"], name)
        assert dataset.column_names == ["input_ids", "attention_mask", "labels"]
        assert str(dataset.features["input_ids"].feature.dtype) == "int32"
        assert len(dataset) == first["manifest"]["sets"][name]["rows"]
        table = dataset.data.table
        assert set(pa.compute.list_value_length(table["input_ids"]).to_pylist()) <= {LENGTH}
        assert table["labels"].equals(table["input_ids"])
        assert set(pa.compute.list_flatten(table["attention_mask"]).to_pylist()) <= {1}
    assert len(load(first["manifest"], "train")) > 100
    assert len(load(first["manifest"], "eval_domain")) >= 1


def test_rows_decode_to_whole_documents_in_input_order_and_no_held_out_document_is_trained_on(first, documents):
    train = check_rows(load(first["manifest"], "train"), documents, "train")
    evaluation = check_rows(load(first["manifest"], "eval_domain"), documents, "eval")
    assert train["domain"] > 0 and evaluation["general"] == 0
    held_out = {d["id"] for d in documents.values() if d["split"] == "eval"}
    assert len(held_out) >= 5


def test_general_share_is_the_target_within_one_row(first, documents):
    mixing = first["manifest"]["mixing"]
    rows = check_rows(load(first["manifest"], "train"), documents, "train")
    assert rows["general"] == mixing["generalRowsPicked"] > 0
    assert mixing["trainRows"] == rows["domain"] + rows["general"]
    # Tolerance: one row, from rounding the number of general rows to a whole row.
    assert abs(mixing["achievedGeneralShare"] - GENERAL_SHARE) <= 1 / mixing["trainRows"]


def test_manifest_counts_documents_tokens_rows_and_bad_records(first, documents):
    manifest = first["manifest"]
    for corpus in ("domain", "general"):
        for split in ("train", "eval"):
            docs = [d for d in documents.values() if d["corpus"] == corpus and d["split"] == split]
            counts = manifest["corpora"][corpus]["splits"][split]
            assert counts["documents"] == len(docs)
            assert counts["tokens"] == sum(len(d["ids"]) + 1 for d in docs)
            assert counts["tokens"] == counts["rows"] * LENGTH + counts["dropped_tokens"]
    domain = manifest["corpora"]["domain"]
    assert domain["records"] == len(sample_documents("domain")) + len(BAD_LINES)
    assert domain["bad_records"] == {
        "not_json": 1,
        "missing_text": 1,
        "empty_text": 1,
        "invalid_utf8": 1,
        "text_not_a_string": 1,
    }
    assert {s["reason"] for s in domain["bad_samples"]} == set(domain["bad_records"])
    assert (
        manifest["tokenizer"]["sha256"]
        == __import__("hashlib").sha256(Path(manifest["tokenizer"]["source"]).read_bytes()).hexdigest()
    )
    assert manifest["parameters"] == {
        "sequenceLength": LENGTH,
        "generalShare": GENERAL_SHARE,
        "heldOutShare": HELD_OUT,
        "seed": SEED,
        "addEos": False,
    }
    assert manifest["codeVersion"] == "test"


def test_a_rerun_with_the_same_seed_is_byte_identical_and_replaces_the_previous_attempt(first, spark):
    run_dir = first["root"] / "datasets" / "sample"
    before = first["manifest"]["attempt"]
    again = main(first["argv"], spark)
    assert again["attempt"] != before
    assert snapshot(run_dir / again["attempt"]) == first["files"]
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([again["attempt"], "manifest.json"])
    assert json.loads((run_dir / "manifest.json").read_text())["attempt"] == again["attempt"]
    first["manifest"] = again  # later tests read the current attempt


def test_another_seed_shuffles_differently(first, spark):
    other = main(
        job_argv(
            first["corpus"],
            first["root"],
            first["argv"][first["argv"].index("--tokenizer-uri") + 1],
            run="other-seed",
            seed="7",
        ),
        spark,
    )
    shard = lambda m: Path(m["sets"]["train"]["path"], m["sets"]["train"]["shards"][0]["file"]).read_bytes()  # noqa: E731
    assert shard(other) != shard(first["manifest"])


def test_a_failed_rerun_leaves_the_previous_dataset_in_place(first, spark):
    run_dir = first["root"] / "datasets" / "sample"
    before = snapshot(run_dir)
    argv = list(first["argv"])
    argv[argv.index("--tokenizer-uri") + 1] = str(first["root"] / "missing-tokenizer.json")
    with pytest.raises(TokenizerError, match="no file at --tokenizer-uri"):
        main(argv, spark)
    assert snapshot(run_dir) == before


def test_parquet_input_with_another_text_field(first, spark, tmp_path):
    corpus = tmp_path / "parquet"
    for name in ("domain", "general"):
        (corpus / name).mkdir(parents=True)
        docs = sample_documents(name)
        pq.write_table(pa.table({"abstract": [d["text"] for d in docs]}), corpus / name / "part-00000.parquet")
    tokenizer = first["argv"][first["argv"].index("--tokenizer-uri") + 1]
    manifest = main(job_argv(corpus, tmp_path, tokenizer, format="parquet", text_field="abstract"), spark)
    for corpus_name in ("domain", "general"):
        got = manifest["corpora"][corpus_name]["splits"]
        want = first["manifest"]["corpora"][corpus_name]["splits"]
        for split in ("train", "eval"):
            assert (got[split]["documents"], got[split]["tokens"]) == (want[split]["documents"], want[split]["tokens"])


class TestRefusedBeforeWriting:
    """A missing input, an empty corpus or an unusable tokenizer stop the job with a message that says which,
    and nothing is written to the output."""

    def run(self, spark, tmp_path, corpus, tokenizer, **changes):
        with pytest.raises((InputError, TokenizerError)) as error:
            main(job_argv(corpus, tmp_path, tokenizer, **changes), spark)
        assert not (tmp_path / "datasets").exists()
        return str(error.value)

    def test_missing_input(self, spark, tmp_path, corpus_copy, llama_tokenizer):
        message = self.run(spark, tmp_path, corpus_copy, llama_tokenizer["path"], domain_uri=str(tmp_path / "nowhere"))
        assert message == f"domain corpus: no input files at {tmp_path / 'nowhere'}"

    def test_empty_corpus(self, spark, tmp_path, corpus_copy, llama_tokenizer):
        for path in (corpus_copy / "general").glob("*.jsonl"):
            path.write_bytes(b"")
        message = self.run(spark, tmp_path, corpus_copy, llama_tokenizer["path"])
        assert message.startswith(f"general corpus at {corpus_copy / 'general'} is empty (2 file(s), 0 bytes)")

    def test_corpus_of_bad_records_only(self, spark, tmp_path, corpus_copy, llama_tokenizer):
        for path in (corpus_copy / "general").glob("*.jsonl"):
            path.unlink()
        (corpus_copy / "general" / "bad.jsonl").write_bytes(b"".join(BAD_LINES))
        message = self.run(spark, tmp_path, corpus_copy, llama_tokenizer["path"])
        assert message.startswith(f"general corpus at {corpus_copy / 'general'} has no usable document (bad records: ")
        assert "'not_json': 1" in message

    def test_tokenizer_that_is_not_json(self, spark, tmp_path, corpus_copy):
        bad = tmp_path / "tokenizer.json"
        bad.write_text("{ not a tokenizer")
        assert self.run(spark, tmp_path, corpus_copy, str(bad)).startswith(f"tokenizer from {bad} is unusable:")

    def test_tokenizer_without_bos(self, spark, tmp_path, corpus_copy, llama_tokenizer):
        spec = json.loads(Path(llama_tokenizer["path"]).read_text())
        spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] != "<s>"]
        spec["post_processor"] = None
        del spec["model"]["vocab"]["<s>"]
        bad = tmp_path / "tokenizer.json"
        bad.write_text(json.dumps(spec))
        assert (
            self.run(spark, tmp_path, corpus_copy, str(bad)) == f"tokenizer from {bad} has no <s> token: is it Llama's?"
        )

    def test_parquet_without_the_text_column(self, spark, tmp_path, llama_tokenizer):
        corpus = tmp_path / "corpus"
        for name in ("domain", "general"):
            (corpus / name).mkdir(parents=True)
            pq.write_table(pa.table({"body": ["Some text."]}), corpus / name / "part.parquet")
        message = self.run(spark, tmp_path, corpus, llama_tokenizer["path"], format="parquet")
        assert message == f"Parquet files at {corpus / 'domain'} have no column 'text' (columns: ['body'])"
