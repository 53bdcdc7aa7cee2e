import json
from pathlib import Path

import pytest

from cpt_data.options import OptionError, parse_options

REPO = Path(__file__).resolve().parents[2]
BASE = {
    "--run": "pubmed-v1",
    "--domain-uri": "s3://raw/domain/",
    "--general-uri": "s3://raw/general/",
    "--format": "jsonl",
    "--text-field": "text",
    "--tokenizer-uri": "s3://raw/tokenizer.json",
    "--output-uri": "s3://datasets/datasets/",
    "--scratch-uri": "s3://scratch/tokenize/",
    "--sequence-length": "4096",
    "--general-share": "0.01",
    "--held-out-share": "0.001",
    "--seed": "42",
}


def argv(**changes):
    values = {**BASE, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}
    return [item for flag, value in values.items() if value is not None for item in (flag, value)]


def test_parses_and_ignores_glues_own_arguments():
    options = parse_options(
        argv() + ["--JOB_ID", "j_1", "--TempDir", "s3://scratch/glue-temp/", "--enable-metrics", "true"]
    )
    assert options.run == "pubmed-v1" and options.sequence_length == 4096 and options.general_share == 0.01
    assert options.add_eos is False
    assert options.run_uri == "s3://datasets/datasets/pubmed-v1"


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"run": "Pubmed V1"}, "--run = 'Pubmed V1'"),
        ({"format": "csv"}, "--format = 'csv': not accepted. Accepted: jsonl | parquet"),
        ({"sequence_length": "8192"}, "--sequence-length = 8192"),
        ({"sequence_length": "long"}, "--sequence-length = 'long': not a number"),
        ({"general_share": "1"}, "--general-share = 1.0"),
        ({"held_out_share": "0"}, "--held-out-share = 0.0"),
        ({"seed": "-3"}, "--seed = -3"),
        ({"add_eos": "yes"}, "--add-eos = 'yes'"),
        ({"text_field": "doc.text"}, "--text-field = 'doc.text'"),
        (
            {"general_uri": ""},
            "--general-uri = '': not accepted. Accepted: a corpus location when --general-share is above 0",
        ),
        ({"tokenizer_uri": ""}, "--tokenizer-model-id = ''"),
        ({"seed": None}, "missing arguments"),
    ],
)
def test_bad_arguments_are_named(changes, words):
    with pytest.raises(OptionError) as error:
        parse_options(argv(**changes))
    assert words in str(error.value)


def test_no_general_corpus_without_mixing():
    options = parse_options(argv(general_uri="", general_share="0"))
    assert options.general_uri == ""


def test_the_longest_sequence_is_the_one_the_app_allows():
    """Llama 2's context is set once, in lib/run/hardware.ts; the job checks its own copy (a Glue job reads no file of
    the app), held here to the request schema that TypeScript generates (npm run request-schema)."""
    schema = json.loads((REPO / "cluster/training/request.schema.json").read_text(encoding="utf-8"))
    longest = schema["$defs"]["submit"]["properties"]["sequenceLength"]["maximum"]
    assert parse_options(argv(sequence_length=str(longest))).sequence_length == longest
    with pytest.raises(OptionError, match=f"--sequence-length = {longest + 1}"):
        parse_options(argv(sequence_length=str(longest + 1)))
