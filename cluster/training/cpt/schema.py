"""A validator of the few JSON Schema (draft 2020-12) keywords that request.schema.json uses: the per-field limits
of a request, which `npm run request-schema` generates from the TypeScript schema (cli/request-schema/main.ts).
The rules between fields are decided in TypeScript before a request is made; only their results travel (`derived`).

Any other keyword makes the schema unusable (SchemaError), so that a limit the TypeScript side adds is never
silently ignored here. Patterns are read as JavaScript reads them: `$` is the very end of the text (Python's `$`
also matches before a final newline), and \\d, \\w and \\s are ASCII only. String lengths count UTF-16 code units,
as JavaScript's `length` does.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "const",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "anyOf",
        "items",
        "minItems",
        "maxItems",
        "description",
    }
)
TYPES = ("object", "integer", "number", "string", "boolean", "null", "array")
SAFE_INTEGER = 2**53 - 1


class SchemaError(Exception):
    """request.schema.json holds something this validator does not read."""


def load(path: str) -> dict:
    """The schemas of `path`'s $defs (submit and run), each checked for keywords this validator knows."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    defs = document.get("$defs") if isinstance(document, dict) else None
    if not isinstance(defs, dict) or not {"submit", "run"} <= set(defs):
        raise SchemaError(f"{path}: no $defs with submit and run")
    for name, schema in defs.items():
        check_keywords(schema, f"$defs.{name}")
    return defs


def check_keywords(schema, where: str) -> None:
    if not isinstance(schema, dict):
        raise SchemaError(f"{where}: a schema must be an object")
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        raise SchemaError(
            f"{where}: keyword(s) {', '.join(unknown)} not supported (only {', '.join(sorted(KEYWORDS))})"
        )
    types = schema.get("type", [])
    if any(kind not in TYPES for kind in (types if isinstance(types, list) else [types])):
        raise SchemaError(f"{where}: type {types!r} is not among {', '.join(TYPES)}")
    if schema.get("additionalProperties", False) is not False:
        raise SchemaError(f"{where}: additionalProperties may only be false")
    if "pattern" in schema:
        javascript_pattern(schema["pattern"])
    for name, child in schema.get("properties", {}).items():
        check_keywords(child, f"{where}.{name}")
    for i, child in enumerate(schema.get("anyOf", [])):
        check_keywords(child, f"{where}.anyOf[{i}]")
    if "items" in schema:
        check_keywords(schema["items"], f"{where}.items")


@lru_cache(maxsize=None)
def javascript_pattern(pattern: str) -> re.Pattern:
    """`pattern` compiled to match as a JavaScript RegExp does: each `$` outside a character class becomes \\Z."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
    try:
        return re.compile("".join(out), re.ASCII)
    except re.error as error:
        raise SchemaError(f"pattern {pattern!r}: {error}") from None


def show(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_type(value, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    # An integer is a JSON number without a fraction written: 2.0 is refused, as it was before the schema.
    return number and (kind == "number" or isinstance(value, int))


def _same(a, b) -> bool:
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return (type(a) is type(b) or all(isinstance(x, (int, float)) for x in (a, b))) and a == b


def _scalar_ok(schema: dict, value) -> bool:
    if "const" in schema and not _same(value, schema["const"]):
        return False
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"] or "maximum" in schema and value > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return False
    if isinstance(value, str):
        length = len(value.encode("utf-16-le")) // 2
        if (
            "minLength" in schema
            and length < schema["minLength"]
            or "maxLength" in schema
            and length > schema["maxLength"]
        ):
            return False
        if "pattern" in schema and not javascript_pattern(schema["pattern"]).search(value):
            return False
    return True


def describe(schema: dict) -> str:
    """What `schema` accepts, in words: "an integer from 1 to 4096", "one of 1, 2, 4", "null"."""
    if "anyOf" in schema:
        return " or ".join(describe(option) for option in schema["anyOf"])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(option) for option in schema["enum"])
    kinds = schema.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = {"integer": "an integer", "array": "an array", "object": "an object", "null": "null"}
    text = " or ".join(words.get(kind, f"a {kind}") for kind in kinds) or "a value"
    low, high = schema.get("minimum"), schema.get("maximum")
    if high == SAFE_INTEGER:  # zod's .int() states JavaScript's safe-integer range: no limit of the field's own
        high = None
    if low == -SAFE_INTEGER:
        low = None
    bounds = [f"above {schema['exclusiveMinimum']}"] if "exclusiveMinimum" in schema else []
    if low is not None and high is not None:
        bounds.append(f"from {low} to {high}")
    else:
        bounds += [f"of at least {low}"] if low is not None else []
        bounds += [f"of at most {high}"] if high is not None else []
    bounds += [f"below {schema['exclusiveMaximum']}"] if "exclusiveMaximum" in schema else []
    limits = [" and ".join(bounds)] if bounds else []
    for keyword, words_ in (("minLength", "at least {} characters"), ("maxLength", "at most {} characters")):
        if keyword in schema:
            limits.append(words_.format(schema[keyword]))
    if "pattern" in schema:
        limits.append(f"matching {schema['pattern']}")
    return " ".join([text, *limits])


def problems(schema: dict, value, path: str) -> list[str]:
    """Every way `value` breaks `schema`, each as "<dotted path>: <what is wrong>" (an empty list: valid)."""
    kinds = schema.get("type")
    if kinds is not None and not any(_is_type(value, kind) for kind in (kinds if isinstance(kinds, list) else [kinds])):
        return [f"{path}: must be {describe(schema)} (got {show(value)})"]
    if not _scalar_ok(schema, value):
        return [f"{path}: must be {describe(schema)} (got {show(value)})"]
    if "anyOf" in schema and not any(not problems(option, value, path) for option in schema["anyOf"]):
        return [f"{path}: must be {describe(schema)} (got {show(value)})"]
    found: list[str] = []
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            found.append(f"{path}: must have at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{path}: must have at most {schema['maxItems']} item(s)")
        for i, item in enumerate(value):
            found += problems(schema.get("items", {}), item, f"{path}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        prefix = f"{path}." if path else ""
        for name in value:
            if name not in properties and schema.get("additionalProperties", True) is False:
                found.append(f"{prefix}{name}: unknown field ({path or 'the request'} has {', '.join(properties)})")
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{prefix}{name}: missing")
        for name, child in properties.items():
            if name in value:
                found += problems(child, value[name], f"{prefix}{name}")
    return found
