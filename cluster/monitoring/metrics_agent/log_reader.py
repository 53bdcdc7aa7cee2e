"""Reading a growing log file a sample at a time: the complete lines since the last read (Cursor)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from .run_files import open_no_link
from .state import Remembered

MAX_READ_BYTES = 64 << 20  # read at most this much of one log per sample (the rest at the next sample)
MAX_PARTIAL_LINE = 1 << 20  # an unterminated "line" longer than this is skipped: no step line is that long


@dataclass(frozen=True)
class Cursor(Remembered):
    """Where reading of one log file stopped: the file (inode, a hash of its first bytes) and the offset after its
    last complete line. A partial last line stays in the file until its newline arrives."""

    inode: int | None = None
    offset: int = 0
    head: str = ""  # sha256 of the file's first min(offset, 256) bytes: a file truncated and written again differs

    @classmethod
    def from_dict(cls, value: dict) -> "Cursor":
        return cls(inode=value.get("inode"), offset=int(value.get("offset", 0)), head=str(value.get("head", "")))


HEAD_BYTES = 256


def _head_hash(handle, length: int) -> str:
    handle.seek(0)
    return hashlib.sha256(handle.read(min(length, HEAD_BYTES))).hexdigest()


def read_new_lines(path: str, cursor: Cursor, limit: int = MAX_READ_BYTES) -> tuple[list[str], Cursor, str | None]:
    """The complete lines of `path` after `cursor`, the cursor after them, and a note when the file was replaced
    or truncated (reading starts again at its beginning). A missing file gives no lines and the same cursor."""
    try:
        handle = open_no_link(path, "rb")
    except FileNotFoundError:
        return [], cursor, None
    except OSError as error:
        return [], cursor, f"not read: {error}"
    with handle:
        status = os.fstat(handle.fileno())
        note = None
        offset = cursor.offset
        if cursor.inode is not None and cursor.inode != status.st_ino:
            note, offset = "replaced (new inode)", 0
        elif status.st_size < offset:
            note, offset = f"truncated ({status.st_size} bytes, had read {offset})", 0
        elif offset and _head_hash(handle, offset) != cursor.head:
            note, offset = "rewritten (its first bytes changed)", 0
        handle.seek(offset)
        data = handle.read(limit)
        end = data.rfind(b"\n")
        if end < 0:
            complete = b""
            # An endless unterminated "line" (a progress bar drawn with \r) would stop reading for good: skip it.
            consumed = len(data) if len(data) >= MAX_PARTIAL_LINE else 0
        else:
            complete = data[: end + 1]
            consumed = end + 1
            remainder = len(data) - consumed
            if remainder >= MAX_PARTIAL_LINE:
                consumed = len(data)
        new_offset = offset + consumed
        head = _head_hash(handle, new_offset) if new_offset else ""
        text = complete.decode("utf-8", errors="replace")
        lines = text.split("\n")[:-1] if text else []
        return lines, Cursor(inode=status.st_ino, offset=new_offset, head=head), note
