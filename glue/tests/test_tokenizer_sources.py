"""Where the tokenizer comes from: a file in storage, or Hugging Face with the token kept in Secrets Manager. The
Hugging Face side is a real HTTP server on loopback; Secrets Manager answers through botocore's Stubber."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from cpt_data import tokenizer as tokenizer_module
from cpt_data.options import parse_options
from cpt_data.tokenizer import TokenizerError, load_tokenizer

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf"
MODEL = "meta-llama/Llama-2-7b-hf"


def options(**changes):
    values = {
        "--run": "r",
        "--domain-uri": "d/",
        "--format": "jsonl",
        "--text-field": "text",
        "--output-uri": "o/",
        "--scratch-uri": "s/",
        "--sequence-length": "4096",
        "--general-share": "0",
        "--held-out-share": "0.01",
        "--seed": "1",
        "--tokenizer-model-id": MODEL,
        "--hf-token-secret-arn": SECRET,
    }
    values.update(changes)
    return parse_options([item for pair in values.items() for item in pair])


@pytest.fixture()
def hugging_face(llama_tokenizer, monkeypatch):
    """A loopback server that serves the model's tokenizer.json to the right token only."""
    body = Path(llama_tokenizer["path"]).read_bytes()
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            seen.append((self.path, self.headers.get("Authorization")))
            if self.path != f"/{MODEL}/resolve/main/tokenizer.json":
                self.send_response(404)
            elif self.headers.get("Authorization") != "Bearer hf_valid":
                self.send_response(403)
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    yield {"body": body, "seen": seen}
    server.shutdown()


@pytest.fixture()
def secret(monkeypatch):
    """Secrets Manager, answering with what each test queues."""
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    monkeypatch.setattr(boto3, "client", lambda service, **kwargs: client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def answer(stubber, value):
    stubber.add_response("get_secret_value", {"ARN": SECRET, "Name": "hf", "SecretString": value}, {"SecretId": SECRET})


def test_downloads_the_models_tokenizer_with_the_token_from_the_secret(hugging_face, secret):
    answer(secret, "hf_valid\n")
    spec = load_tokenizer(options())
    assert spec.source == f"huggingface.co/{MODEL}"
    assert spec.sha256 == __import__("hashlib").sha256(hugging_face["body"]).hexdigest()
    assert hugging_face["seen"] == [(f"/{MODEL}/resolve/main/tokenizer.json", "Bearer hf_valid")]


def test_licence_not_accepted(hugging_face, secret):
    answer(secret, "hf_not_granted")
    with pytest.raises(
        TokenizerError,
        match=r"Hugging Face refused the token for meta-llama/Llama-2-7b-hf \(HTTP 403\)\. Accept the model's licence",
    ):
        load_tokenizer(options())


def test_the_placeholder_the_app_creates_is_not_a_token(hugging_face, secret):
    answer(secret, "x7Q!generated-by-secrets-manager")
    with pytest.raises(TokenizerError) as error:
        load_tokenizer(options())
    assert "does not hold a Hugging Face token" in str(error.value)
    assert f"aws secretsmanager put-secret-value --secret-id {SECRET}" in str(error.value)
    assert hugging_face["seen"] == []


def test_secret_that_cannot_be_read(secret):
    secret.add_client_error("get_secret_value", service_error_code="AccessDeniedException", service_message="denied")
    with pytest.raises(TokenizerError, match=f"cannot read the Hugging Face token from secret {SECRET}"):
        load_tokenizer(options())


def test_a_tokenizer_file_needs_no_secret(llama_tokenizer, monkeypatch):
    monkeypatch.setattr(tokenizer_module, "_hugging_face_token", lambda arn: pytest.fail("no secret needed"))
    spec = load_tokenizer(options(**{"--tokenizer-uri": llama_tokenizer["path"]}))
    assert spec.source == llama_tokenizer["path"] and spec.bos_id == 1
