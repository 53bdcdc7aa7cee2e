"""Turns one raw record into a document's text, or into the reason it is skipped."""

from __future__ import annotations

import json

# Reasons a record is counted and skipped.
INVALID_UTF8 = "invalid_utf8"
NOT_JSON = "not_json"
NOT_AN_OBJECT = "not_an_object"
MISSING_TEXT = "missing_text"
NOT_TEXT = "text_not_a_string"
EMPTY_TEXT = "empty_text"

SAMPLE_CHARS = 200


def document_text(raw: bytes | None, text_field: str, is_json_line: bool) -> tuple[str | None, str | None]:
    """Returns (text, None) for a usable document, (None, reason) for a bad record."""
    if raw is None:
        return None, MISSING_TEXT
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, INVALID_UTF8
    if not is_json_line:
        text = decoded
    else:
        if decoded.strip() == "":
            return None, EMPTY_TEXT
        try:
            record = json.loads(decoded)
        except ValueError:
            return None, NOT_JSON
        if not isinstance(record, dict):
            return None, NOT_AN_OBJECT
        if text_field not in record or record[text_field] is None:
            return None, MISSING_TEXT
        text = record[text_field]
        if not isinstance(text, str):
            return None, NOT_TEXT
    if text.strip() == "":
        return None, EMPTY_TEXT
    return text, None


def sample_of(raw: bytes | None) -> str:
    """A short, printable excerpt of a bad record for the manifest."""
    if raw is None:
        return "<null>"
    return raw[: SAMPLE_CHARS * 4].decode("utf-8", errors="backslashreplace")[:SAMPLE_CHARS]
