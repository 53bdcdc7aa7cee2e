"""Shared fixtures: a real Llama 2 tokenizer built from the npm package llama-tokenizer-js, and a local Spark."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GLUE = Path(__file__).resolve().parent.parent
ROOT = GLUE.parent
sys.path.insert(0, str(GLUE / "src"))
sys.path.insert(0, str(GLUE))

SAMPLE = ROOT / "data" / "sample"


def sample_documents(corpus: str) -> list[dict]:
    """The sample corpus in file order: [{id, text, file}]."""
    found = []
    for path in sorted((SAMPLE / corpus).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            found.append({**json.loads(line), "file": path.name})
    return found


@pytest.fixture(scope="session")
def llama_tokenizer(tmp_path_factory) -> dict:
    """tokenizer.json and the npm package's own ids for its test strings and for 60 sample documents."""
    out = tmp_path_factory.mktemp("tokenizer")
    texts = [d["text"] for d in sample_documents("domain")[:50] + sample_documents("general")[:10]]
    (out / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    subprocess.run(
        ["node", str(ROOT / "scripts" / "build-llama-tokenizer.mjs"), str(out), str(out / "texts.json")],
        check=True,
        capture_output=True,
    )
    return {
        "path": str(out / "tokenizer.json"),
        "reference": json.loads((out / "reference-ids.json").read_text(encoding="utf-8")),
    }


@pytest.fixture(scope="session")
def spark():
    from local_run import local_spark

    session = local_spark("2")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the sample corpus, to add bad records to."""
    target = tmp_path / "corpus"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("README.md"))
    return target
