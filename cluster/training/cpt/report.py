"""A run's outputs: the exported checkpoints (exports.json, the export stage) and the evaluation report
(perplexity.json, the evaluate stage), and their S3 addresses."""

from __future__ import annotations

from .checkpoints import checkpoint_step
from .files import read_json, utc_now, write_json_atomically


def cmd_exports_json(output: str, export_uri: str, export_directory: str, *tags: str) -> None:
    entries = [
        {
            "tag": tag,
            "step": checkpoint_step(tag),
            "path": f"{export_directory}/{tag}/hf",
            "s3Uri": join_s3(export_uri, tag) + "/",
        }
        for tag in tags
    ]
    write_json_atomically(output, {"checkpoints": entries, "final": tags[-1] if tags else None})


def cmd_export_tags(exports_file: str) -> None:
    for entry in read_json(exports_file)["checkpoints"]:
        print(f"{entry['tag']}\t{entry['path']}")


def cmd_report(output: str, request_file: str, max_rows: str, *results: str) -> None:
    """The evaluation report: one entry per model (base, then each exported checkpoint), each the output of
    evaluate_perplexity.py; given as name=file pairs. Each model also gets `trainedTokens` (its step times
    `tokensPerStep`, the request's derived globalBatch x sequenceLength: the tokens of CPT it has seen), and the report the
    time of the evaluation (`evaluatedAt`, UTC); render_report.py draws the report from this file."""
    request = read_json(request_file)
    tokens_per_step = request["derived"]["tokensPerStep"]
    models = []
    for pair in results:
        name, _, path = pair.partition("=")
        result = read_json(path)
        step = 0 if name == "base" else checkpoint_step(name)
        models.append({"name": name, "step": step, "trainedTokens": step * tokens_per_step, **result})
    base = next((m for m in models if m["name"] == "base"), None)
    for model in models:
        if base is None or model is base:
            continue
        for set_name, values in model.get("sets", {}).items():
            base_value = base.get("sets", {}).get(set_name, {}).get("perplexity")
            if base_value:
                values["perplexityChangeVsBase"] = values["perplexity"] / base_value - 1
    write_json_atomically(
        output,
        {
            "run": request["run"],
            "baseModel": request["baseModel"],
            "evalPaths": request["evalPaths"],
            "maxRowsPerSet": int(max_rows),
            "tokensPerStep": tokens_per_step,
            "evaluatedAt": utc_now(),
            "models": models,
        },
    )


def join_s3(prefix: str, *parts: str) -> str:
    return prefix.rstrip("/") + "/" + "/".join(parts)


def cmd_s3_join(prefix: str, *parts: str) -> None:
    print(join_s3(prefix, *parts))
