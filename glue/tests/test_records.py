import pytest

from cpt_data import records


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b'{"text": "Aspirin 75 mg daily."}', ("Aspirin 75 mg daily.", None)),
        (b'{"text": "caf\xc3\xa9 \xc2\xb5g"}', ("café µg", None)),
        (b'{"text": "bad \xff byte"}', (None, records.INVALID_UTF8)),
        (b"not json", (None, records.NOT_JSON)),
        (b'{"text": "unterminated', (None, records.NOT_JSON)),
        (b'["a list"]', (None, records.NOT_AN_OBJECT)),
        (b'{"body": "wrong field"}', (None, records.MISSING_TEXT)),
        (b'{"text": null}', (None, records.MISSING_TEXT)),
        (b'{"text": 42}', (None, records.NOT_TEXT)),
        (b'{"text": "   \\n "}', (None, records.EMPTY_TEXT)),
        (b"   ", (None, records.EMPTY_TEXT)),
        (None, (None, records.MISSING_TEXT)),
    ],
)
def test_json_lines(raw, expected):
    assert records.document_text(raw, "text", is_json_line=True) == expected


def test_the_text_field_is_a_parameter():
    assert records.document_text(b'{"abstract": "x"}', "abstract", True) == ("x", None)


def test_parquet_values_are_the_text_itself():
    assert records.document_text("résumé".encode(), "text", is_json_line=False) == ("résumé", None)
    assert records.document_text(b"\xff", "text", is_json_line=False) == (None, records.INVALID_UTF8)


def test_samples_are_short_and_printable():
    sample = records.sample_of(b"\xff" + b"x" * 5000)
    assert sample.startswith("\\xff") and len(sample) == records.SAMPLE_CHARS
