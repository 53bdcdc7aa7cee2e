"""The Python side of the request's per-field limits: request.schema.json, generated from the TypeScript schema
(npm run request-schema), read by cpt/schema.py. Each probe of fixtures/request-probes.json (generated with it: the
zod schema's own verdicts) gets the same verdict here, and a refusal names the probe's field: a change of either
side alone fails this test or its jest twin."""

import json
import re
import sys

import pytest

from training_sandbox import PROBES, TRAINING

sys.path.insert(0, str(TRAINING))
from cpt import schema  # noqa: E402
from cpt.request import SCHEMA_FILE, RequestError, validate  # noqa: E402

ALL_PROBES = json.loads(PROBES.read_text())


def verdict(probe) -> tuple[bool, list[str]]:
    try:
        validate(probe["request"], probe["action"])
    except RequestError as error:
        return False, str(error).removeprefix("invalid request: ").split("; ")
    return True, []


def names_field(problems: list[str], field: str) -> bool:
    """A problem is about `field` (its dotted path), or about a field inside it."""
    return any(problem.startswith((f"{field}: ", f"{field}.")) for problem in problems)


def test_the_probes_hold_valid_and_invalid_requests_of_each_schema():
    kinds = {(probe["action"], probe["valid"]) for probe in ALL_PROBES}
    assert {("submit", True), ("submit", False), ("status", True), ("status", False), ("cancel", True)} <= kinds


@pytest.mark.parametrize("probe", ALL_PROBES, ids=[probe["name"] for probe in ALL_PROBES])
def test_each_probe_gets_the_typescript_verdict_and_a_refusal_names_its_field(probe):
    valid, problems = verdict(probe)
    assert valid == probe["valid"], problems
    if not valid:
        assert names_field(problems, probe["field"]), problems


def test_the_schema_file_uses_only_the_keywords_the_validator_reads():
    defs = schema.load(SCHEMA_FILE)
    assert set(defs) >= {"submit", "run"}


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"type": "string", "format": "uri"}, "keyword(s) format not supported"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}}, "$defs.submit.a: keyword(s) $ref"),
        ({"type": "object", "additionalProperties": True}, "additionalProperties may only be false"),
        ({"type": "tuple"}, "type 'tuple' is not among"),
        ({"anyOf": [{"type": "string", "pattern": "("}]}, "pattern '('"),
    ],
)
def test_a_keyword_the_validator_does_not_read_makes_the_schema_unusable(tmp_path, bad, message):
    path = tmp_path / "request.schema.json"
    path.write_text(json.dumps({"$defs": {"submit": bad, "run": {"type": "object"}}}))
    with pytest.raises(schema.SchemaError, match=re.escape(message)):
        schema.load(str(path))


@pytest.mark.parametrize(
    "pattern, value, matches",
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),  # Python's $ alone would match before the newline
        ("^[$a]+$", "$a$", True),  # a $ in a class is a character
        (r"^a\$$", "a$", True),  # an escaped $ too
        (r"^[0-9]+$", "\u0663", False),  # ASCII digits only, as [0-9] in JavaScript
        (r"^\d+$", "\u0663", False),  # \d too (re.ASCII)
        ("b", "abc", True),  # unanchored patterns search, as JSON Schema's do
    ],
)
def test_patterns_match_as_javascript_matches(pattern, value, matches):
    assert bool(schema.javascript_pattern(pattern).search(value)) is matches


def test_lengths_are_counted_as_javascript_counts_them():
    """In UTF-16 code units: an emoji is 2."""
    limits = {"type": "string", "maxLength": 3}
    assert schema.problems(limits, "ab\U0001f600", "x") != []
    assert schema.problems(limits, "abc", "x") == []


@pytest.mark.parametrize(
    "limits, value, ok",
    [
        ({"const": 2}, 2, True),
        ({"const": 2}, 2.0, True),
        ({"const": 1}, True, False),
        ({"enum": [1, 2]}, False, False),
        ({"type": "integer"}, 3.0, False),
        ({"type": "number", "exclusiveMaximum": 1}, 1, False),
        ({"type": ["string", "null"]}, None, True),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}, [1, 2], True),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}, [], False),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}, [1, "2"], False),
        ({"type": "string", "minLength": 1}, "", False),
    ],
)
def test_each_keyword(limits, value, ok):
    assert (schema.problems(limits, value, "x") == []) is ok


@pytest.mark.parametrize("field, value", [("version", 2.0), ("tensorParallel", 8.0), ("derived.coresPerNode", 32.0)])
def test_an_integer_written_with_a_fraction_is_refused(field, value):
    """JSON allows 8.0 for 8, and so would `const`/`enum` alone; the cluster puts these values in shell arithmetic
    ($((REQ_TENSOR_PARALLEL - 1))) and integer flags, so the schema types integer literals as integers."""
    request = json.loads(json.dumps(ALL_PROBES[0]["request"]))
    *path, name = field.split(".")
    target = request
    for part in path:
        target = target[part]
    target[name] = value
    with pytest.raises(RequestError, match=re.escape(f"{field}: ")):
        validate(request, "submit")
