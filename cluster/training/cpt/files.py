"""The run's files: JSON read whole, and written whole (a temporary file renamed over the old one)."""

from __future__ import annotations

import json
import os
import tempfile
import time


def read_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_text_atomically(path: str, text: str) -> None:
    """Writes `text` to a temporary file next to `path`, then renames it over `path`: readers see the old file or
    the whole new one, never a part."""
    directory = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_json_atomically(path: str, value) -> None:
    write_text_atomically(path, json.dumps(value, indent=2) + "\n")


def line(value) -> str:
    """`value` as one line of JSON (cpt-run.sh's answers)."""
    return json.dumps(value, separators=(",", ":"))


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
