"""The job's arguments: the contract with lib/data/job-arguments.ts, checked before anything is read or written."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

RUN_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FORMATS = ("jsonl", "parquet")


class OptionError(ValueError):
    """A bad argument: the message names the flag, the value and what is accepted."""


@dataclass(frozen=True)
class JobOptions:
    run: str
    domain_uri: str
    general_uri: str  # "" for none
    format: str
    text_field: str
    tokenizer_uri: str  # "" to download the tokenizer of tokenizer_model_id from Hugging Face
    tokenizer_model_id: str
    hf_token_secret_arn: str
    output_uri: str
    scratch_uri: str
    sequence_length: int
    general_share: float
    held_out_share: float
    seed: int
    add_eos: bool
    code_version: str

    @property
    def run_uri(self) -> str:
        """Everything a run writes to the output lives under this prefix."""
        return join_uri(self.output_uri, self.run)


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


def _check(flag: str, value: object, ok: bool, accepted: str) -> None:
    if not ok:
        raise OptionError(f"--{flag} = {value!r}: not accepted. Accepted: {accepted}.")


def _number(flag: str, text: str, kind: type) -> float | int:
    try:
        return kind(text)
    except ValueError:
        raise OptionError(
            f"--{flag} = {text!r}: not a number. Accepted: {'an integer' if kind is int else 'a number'}."
        ) from None


def parse_options(argv: list[str]) -> JobOptions:
    """Parses the job's flags; flags Glue adds itself (--JOB_ID, --TempDir, ...) are ignored."""
    parser = argparse.ArgumentParser(prog="tokenize_job", add_help=False, allow_abbrev=False)
    for flag in (
        "run",
        "domain-uri",
        "format",
        "text-field",
        "output-uri",
        "scratch-uri",
        "sequence-length",
        "general-share",
        "held-out-share",
        "seed",
    ):
        parser.add_argument(f"--{flag}", required=True)
    for flag, default in (
        ("general-uri", ""),
        ("tokenizer-uri", ""),
        ("tokenizer-model-id", ""),
        ("hf-token-secret-arn", ""),
        ("add-eos", "false"),
        ("code-version", "unknown"),
    ):
        parser.add_argument(f"--{flag}", default=default)
    try:
        args, _glue_own = parser.parse_known_args(argv)
    except SystemExit:
        raise OptionError(f"missing arguments: {parser.format_usage().strip()}") from None

    _check("run", args.run, bool(RUN_NAME.match(args.run)), "1 to 63 lowercase letters, digits and hyphens")
    _check("format", args.format, args.format in FORMATS, " | ".join(FORMATS))
    _check("text-field", args.text_field, bool(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", args.text_field)), "an identifier")
    _check("add-eos", args.add_eos, args.add_eos in ("true", "false"), "true | false")
    sequence_length = _number("sequence-length", args.sequence_length, int)
    _check("sequence-length", sequence_length, 1 <= sequence_length <= 4096, "an integer from 1 to 4096")
    general_share = _number("general-share", args.general_share, float)
    _check("general-share", general_share, 0 <= general_share < 1, "a number from 0 up to, not including, 1")
    held_out_share = _number("held-out-share", args.held_out_share, float)
    _check("held-out-share", held_out_share, 0 < held_out_share <= 0.2, "a number above 0 and at most 0.2")
    seed = _number("seed", args.seed, int)
    _check("seed", seed, 0 <= seed < 2**31, "an integer from 0 to 2147483647")
    _check(
        "general-uri",
        args.general_uri,
        not (general_share > 0 and args.general_uri == ""),
        "a corpus location when --general-share is above 0",
    )
    _check(
        "tokenizer-model-id",
        args.tokenizer_model_id,
        bool(args.tokenizer_uri or args.tokenizer_model_id),
        "a Hugging Face model ID when --tokenizer-uri is empty",
    )
    return JobOptions(
        run=args.run,
        domain_uri=args.domain_uri,
        general_uri=args.general_uri,
        format=args.format,
        text_field=args.text_field,
        tokenizer_uri=args.tokenizer_uri,
        tokenizer_model_id=args.tokenizer_model_id,
        hf_token_secret_arn=args.hf_token_secret_arn,
        output_uri=args.output_uri,
        scratch_uri=args.scratch_uri,
        sequence_length=int(sequence_length),
        general_share=float(general_share),
        held_out_share=float(held_out_share),
        seed=int(seed),
        add_eos=args.add_eos == "true",
        code_version=args.code_version,
    )
