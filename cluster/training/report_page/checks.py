"""Reading and checking perplexity.json: a normalised copy of the report, or a ReportError naming the field."""

from __future__ import annotations

import json
import math

SET_ORDER = ("domain", "general")


class ReportError(Exception):
    """A report that cannot be rendered; the message names the field."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _show(value) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _string(obj: dict, key: str, field: str, optional: bool = False):
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ReportError(f"{field}: must be a non-empty string (got {_show(value)})")
    return value


def _integer(obj: dict, key: str, field: str, minimum: int, optional: bool = False):
    value = obj.get(key)
    if value is None and optional:
        return None
    if not _is_int(value) or value < minimum:
        raise ReportError(f"{field}: must be an integer of at least {minimum} (got {_show(value)})")
    return value


def load_report(path: str) -> dict:
    """The report at `path`, checked; raises ReportError naming the first problem's field."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise ReportError(f"cannot read the report: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ReportError("the report is not UTF-8 text") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    return check_report(report)


def check_report(report) -> dict:
    """A normalised copy of the report: models sorted (base first, then by step), set names in display order,
    trained tokens and the change against the base model worked out for every model."""
    if not isinstance(report, dict):
        raise ReportError(f"the report must be a JSON object (got {type(report).__name__})")
    run = _string(report, "run", "run")
    base_model = _string(report, "baseModel", "baseModel")
    max_rows = _integer(report, "maxRowsPerSet", "maxRowsPerSet", 1)
    tokens_per_step = _integer(report, "tokensPerStep", "tokensPerStep", 1, optional=True)
    evaluated_at = _string(report, "evaluatedAt", "evaluatedAt", optional=True)
    eval_paths = report.get("evalPaths") or {}
    if not isinstance(eval_paths, dict) or not all(isinstance(v, (str, type(None))) for v in eval_paths.values()):
        raise ReportError(f"evalPaths: must be an object of set name to path (got {_show(eval_paths)})")

    raw_models = report.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        raise ReportError(f"models: must be a non-empty list of the evaluated models (got {_show(raw_models)})")
    models, names = [], set()
    for index, raw in enumerate(raw_models):
        field = f"models[{index}]"
        if not isinstance(raw, dict):
            raise ReportError(f"{field}: must be an object (got {_show(raw)})")
        name = _string(raw, "name", f"{field}.name")
        field = f"{field} ({name})"
        if name in names:
            raise ReportError(f"{field}.name: appears twice in models")
        names.add(name)
        step = _integer(raw, "step", f"{field}.step", 0)
        trained = _integer(raw, "trainedTokens", f"{field}.trainedTokens", 0, optional=True)
        if trained is None:
            if tokens_per_step is None:
                raise ReportError(
                    f"tokensPerStep: missing, and {field} has no trainedTokens either "
                    "(the chart's x axis needs one of them)"
                )
            trained = step * tokens_per_step
        sets = raw.get("sets")
        if not isinstance(sets, dict) or not sets:
            raise ReportError(f"{field}.sets: must be an object of set name to scores (got {_show(sets)})")
        checked = {}
        for set_name, scores in sets.items():
            set_field = f"{field}.sets.{set_name}"
            if not isinstance(scores, dict):
                raise ReportError(f"{set_field}: must be an object (got {_show(scores)})")
            perplexity = scores.get("perplexity")
            if not _is_number(perplexity) or perplexity <= 0:
                raise ReportError(f"{set_field}.perplexity: must be a positive number (got {_show(perplexity)})")
            seconds = scores.get("seconds")
            checked[set_name] = {
                "perplexity": float(perplexity),
                "rows": _integer(scores, "rows", f"{set_field}.rows", 0),
                "tokens": _integer(scores, "tokens", f"{set_field}.tokens", 0),
                "seconds": float(seconds) if _is_number(seconds) else None,
                "path": scores.get("path") if isinstance(scores.get("path"), str) else None,
            }
        models.append(
            {
                "name": name,
                "step": step,
                "trainedTokens": trained,
                "sets": checked,
                "model": raw.get("model") if isinstance(raw.get("model"), str) else None,
                "device": raw.get("device") if isinstance(raw.get("device"), str) else None,
                "dtype": raw.get("dtype") if isinstance(raw.get("dtype"), str) else None,
            }
        )

    base = next((m for m in models if m["name"] == "base"), None)
    if base is None:
        raise ReportError('models: no model named "base" (the base model\'s scores are the reference of the report)')
    if "domain" not in base["sets"]:
        raise ReportError("models[*] (base).sets.domain: missing (every report scores the domain held-out set)")
    set_names = [s for s in SET_ORDER if s in base["sets"]] + [s for s in base["sets"] if s not in SET_ORDER]
    for index, model in enumerate(models):
        for set_name in set_names:
            if set_name not in model["sets"]:
                raise ReportError(
                    f"models[{index}] ({model['name']}).sets.{set_name}: missing "
                    "(the base model was scored on it, so every model must be)"
                )
        for set_name in model["sets"]:
            if set_name not in base["sets"]:
                raise ReportError(
                    f"models[{index}] ({model['name']}).sets.{set_name}: not scored for the base "
                    "model, so there is nothing to compare it with"
                )
        for set_name in set_names:
            scores = model["sets"][set_name]
            scores["change"] = scores["perplexity"] / base["sets"][set_name]["perplexity"] - 1

    models.sort(key=lambda m: (m is not base, m["trainedTokens"], m["step"]))
    return {
        "run": run,
        "baseModel": base_model,
        "maxRowsPerSet": max_rows,
        "tokensPerStep": tokens_per_step,
        "evaluatedAt": evaluated_at,
        "evalPaths": eval_paths,
        "sets": set_names,
        "models": models,
    }
