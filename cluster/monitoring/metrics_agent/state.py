"""What the agent remembers across samples and restarts: its state file."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

from .output import warn
from .run_files import read_json_file

STATE_VERSION = 1
COUNTED_RETENTION = 2 * 86400


class Remembered:
    """A frozen dataclass that the state file keeps (a log's Cursor, a training log's Progress): to_json, and
    from_json, which gives the empty value for anything it cannot read back (an older or a damaged state file)."""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, value):
        if not isinstance(value, dict):
            return cls()
        try:
            return cls.from_dict(value)
        except (TypeError, ValueError):
            return cls()

    @classmethod
    def from_dict(cls, value: dict):
        """The value from its to_json form; may raise TypeError or ValueError. By default: the fields it knows."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: item for key, item in value.items() if key in names})


def load_state(path: str) -> dict:
    """The state file, or a fresh state (a broken file is kept aside as PATH.broken)."""
    try:
        state = read_json_file(path)
        if isinstance(state, dict) and state.get("version") == STATE_VERSION:
            return state
        warn(f"{path}: not a version {STATE_VERSION} state file; starting afresh")
    except FileNotFoundError:
        return {"version": STATE_VERSION}
    except (OSError, ValueError) as error:
        warn(f"{path}: unreadable ({error}); starting afresh")
    try:
        os.replace(path, path + ".broken")
    except OSError:
        pass
    return {"version": STATE_VERSION}


def save_state(path: str, state: dict) -> None:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".state-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
