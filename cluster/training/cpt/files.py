"""The run's files: JSON read whole, and written whole (a temporary file renamed over the old one)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time


def read_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_json_no_link(path: str):
    """JSON of a file in a folder the jobs' user writes, read by root (cpt-run.sh status): no symbolic link is
    followed and nothing but a regular file is read (a FIFO would block), so a link the user planted there shows
    root nothing. OSError otherwise."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, encoding="utf-8") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
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
