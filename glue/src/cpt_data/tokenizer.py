"""Finds the tokenizer (a `tokenizer.json` in storage, or the model's on Hugging Face), and checks it can be used."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

from tokenizers import Tokenizer

from . import storage
from .options import JobOptions

BOS = "<s>"
EOS = "</s>"


class TokenizerError(RuntimeError):
    """The tokenizer cannot be found or used: the job stops before it writes anything."""


@dataclass(frozen=True)
class TokenizerSpec:
    """What executors need to build the tokenizer, and what the manifest records of it."""

    json: str
    source: str
    sha256: str
    bos_id: int
    eos_id: int | None
    vocab_size: int

    def build(self) -> Tokenizer:
        return Tokenizer.from_str(self.json)


def load_tokenizer(options: JobOptions) -> TokenizerSpec:
    if options.tokenizer_uri:
        source = options.tokenizer_uri
        try:
            raw = storage.read_bytes(source)
        except FileNotFoundError:
            raise TokenizerError(f"tokenizer: no file at --tokenizer-uri {source}") from None
    else:
        source = f"huggingface.co/{options.tokenizer_model_id}"
        raw = _download_from_hugging_face(options.tokenizer_model_id, _hugging_face_token(options.hf_token_secret_arn))
    return check_tokenizer(raw, source, options.add_eos)


def check_tokenizer(raw: bytes, source: str, add_eos: bool) -> TokenizerSpec:
    try:
        text = raw.decode("utf-8")
        tokenizer = Tokenizer.from_str(text)
    except Exception as error:  # the library raises plain Exceptions for malformed files
        raise TokenizerError(f"tokenizer from {source} is unusable: {error}") from None
    bos_id = tokenizer.token_to_id(BOS)
    eos_id = tokenizer.token_to_id(EOS)
    if bos_id is None or (add_eos and eos_id is None):
        raise TokenizerError(f"tokenizer from {source} has no {BOS if bos_id is None else EOS} token: is it Llama's?")
    if not tokenizer.encode("Hello world!", add_special_tokens=False).ids:
        raise TokenizerError(f"tokenizer from {source} turns text into no tokens")
    return TokenizerSpec(
        json=text,
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        bos_id=bos_id,
        eos_id=eos_id if add_eos else None,
        vocab_size=tokenizer.get_vocab_size(),
    )


def _hugging_face_token(secret_arn: str) -> str:
    if not secret_arn:
        raise TokenizerError("tokenizer: neither --tokenizer-uri nor --hf-token-secret-arn is set")
    import boto3  # only here: local runs with a tokenizer file need no AWS SDK

    try:
        token = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"].strip()
    except Exception as error:
        raise TokenizerError(
            f"tokenizer: cannot read the Hugging Face token from secret {secret_arn}: {error}"
        ) from None
    if not token.startswith("hf_"):
        raise TokenizerError(
            f"tokenizer: secret {secret_arn} does not hold a Hugging Face token (tokens start with hf_). Put yours in it: "
            f"aws secretsmanager put-secret-value --secret-id {secret_arn} --secret-string <token>"
        )
    return token


def _download_from_hugging_face(model_id: str, token: str) -> bytes:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    url = f"{endpoint}/{model_id}/resolve/main/tokenizer.json"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise TokenizerError(
                f"tokenizer: Hugging Face refused the token for {model_id} (HTTP {error.code}). Accept the model's "
                f"licence at {endpoint}/{model_id} with the account of the token, and check the token."
            ) from None
        raise TokenizerError(f"tokenizer: {url} answered HTTP {error.code}") from None
    except urllib.error.URLError as error:
        raise TokenizerError(f"tokenizer: cannot reach {url}: {error.reason}") from None
