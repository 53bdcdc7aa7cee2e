"""The request of cpt-run.sh: decoded from its base64 argument, checked against the per-field limits of
request.schema.json (schema.py), written to the run's request.json; and the run's stored request, which a resumed
run keeps.

The TypeScript side (lib/run/rules.ts, lib/run/derive.ts) decides the rules between fields and the values they
give (`derived`: data-parallel degree, gradient accumulation, --max_steps, ...) before it sends a request: this side
formats flags from them and never computes them again.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from functools import lru_cache

from . import schema
from .files import read_json, write_json_atomically
from .stop_by import stop_by_problem

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "request.schema.json")
MAX_REQUEST_BYTES = 16384
# Fields that came with the fused q/k/v layout (--fuse_qkv 1): a stored request without them was written by an
# earlier version, whose checkpoints this version cannot load.
EARLIER_VERSION_FIELDS = ("maxTrainRestarts", "timeLimits", "resume")
# Fields of each submission rather than of the run: a resumed run keeps its stored request but these (a new
# Capacity Block has its own end, stopBy).
PER_SUBMISSION_FIELDS = ("resume", "stopBy")


class RequestError(Exception):
    """A request that cannot be used; the message names every problem and its field."""


@lru_cache(maxsize=None)
def schemas() -> dict:
    """The JSON Schemas of a submit request and of a status or cancel request ("run")."""
    return schema.load(SCHEMA_FILE)


def action_schema(action: str) -> dict:
    return schemas()["submit" if action == "submit" else "run"]


def fields(action: str) -> tuple[str, ...]:
    """The fields of an `action` request, in the contract's order."""
    return tuple(action_schema(action)["properties"])


def _reject_constant(name: str):
    raise RequestError(f"request: {name} is not a JSON number")


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise RequestError(f"request: field {key!r} appears twice")
        seen[key] = value
    return seen


def decode(encoded: str) -> dict:
    """The JSON object in `encoded`: base64 (standard alphabet, padded, no newlines) of UTF-8 JSON."""
    if not encoded:
        raise RequestError("request: empty (expected base64 of a JSON object)")
    if len(encoded) > MAX_REQUEST_BYTES:
        raise RequestError(f"request: {len(encoded)} characters, more than the {MAX_REQUEST_BYTES} accepted")
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise RequestError("request: not base64 (standard alphabet, with padding, no newlines)") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("request: the decoded bytes are not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise RequestError(f"request: not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, dict):
        raise RequestError("request: not a JSON object")
    return value


def validate(request, action: str) -> dict:
    """The request, checked for `action` (submit, status or cancel) against the per-field limits of
    request.schema.json; raises RequestError naming every problem by its field's dotted path."""
    problems = schema.problems(action_schema(action), request, "")
    if isinstance(request, dict) and "stopBy" in request and not any(p.startswith("stopBy:") for p in problems):
        problem = stop_by_problem(request["stopBy"])
        problems += [problem] if problem else []
    version = action_schema(action)["properties"]["version"].get("const")
    if isinstance(request, dict) and "version" in request and any(p.startswith("version:") for p in problems):
        problems = [p for p in problems if not p.startswith("version:")]
        problems.insert(
            0,
            f"version: {schema.show(request['version'])}, but this cpt-run.sh takes requests of version {version} "
            "only (the caller and the cluster's training bundle come from different versions of trainium-cpt: "
            "deploy both from one)",
        )
    if problems:
        raise RequestError("invalid request: " + "; ".join(problems))
    return request


def cmd_decode(action: str, encoded: str, output: str) -> None:
    request = validate(decode(encoded), action)
    # The fields in the contract's order; an optional one (stopBy) only when given.
    write_json_atomically(output, {name: request[name] for name in fields(action) if name in request})


def cmd_validate_file(path: str, run: str = "") -> None:
    """A stored request.json (the run directory's, or its copy next to the checkpoints) is still a valid submit
    request of run `run` for this bundle (a resumed run submits it again)."""
    request = read_json(path)
    absent = [name for name in EARLIER_VERSION_FIELDS if isinstance(request, dict) and name not in request]
    if absent:
        raise RequestError(
            f"{path} was written by an earlier version of trainium-cpt (it has no {', '.join(absent)}), whose "
            f"checkpoints hold the separate q/k/v layout (--fuse_qkv 0) that this version cannot continue"
        )
    if isinstance(request, dict) and request.get("version") == 1:
        raise RequestError(
            f"{path} is a request of version 1, written by an earlier version of trainium-cpt: this one needs "
            "version 2, which carries the values derived from the run's settings (derived)"
        )
    try:
        validate(request, "submit")
    except RequestError as error:
        raise RequestError(f"{path}: {error}") from None
    if run and request["run"] != run:
        raise RequestError(f"{path} is the request of run {request['run']}, not of run {run}")


def cmd_resumed_request(stored: str, new: str, output: str) -> None:
    """Writes the stored request with the new request's PER_SUBMISSION_FIELDS (given or not) to `output`
    (atomically): the request of a resumed run."""
    request, submitted = read_json(stored), read_json(new)
    source = {name: submitted if name in PER_SUBMISSION_FIELDS else request for name in fields("submit")}
    write_json_atomically(output, {name: source[name][name] for name in source if name in source[name]})


def cmd_request_differences(stored: str, new: str) -> None:
    """The fields in which a new request differs from the run's stored one, one a line: those of each submission
    (PER_SUBMISSION_FIELDS) aside, and derived, which follows from the others."""
    old_request, new_request = read_json(stored), read_json(new)
    for name in fields("submit"):
        if name not in (*PER_SUBMISSION_FIELDS, "derived") and old_request.get(name) != new_request.get(name):
            print(name)
