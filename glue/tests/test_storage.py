"""File operations on local paths (real files) and on S3 (botocore's Stubber answers as S3 would)."""

import io

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cpt_data import storage


def test_local_writes_are_atomic_and_listing_skips_markers(tmp_path):
    storage.write_bytes(str(tmp_path / "a" / "manifest.json"), b"{}")
    storage.write_bytes(str(tmp_path / "a" / "part-0.jsonl"), b"x")
    (tmp_path / "a" / "_SUCCESS").write_bytes(b"")
    (tmp_path / "a" / ".part-0.crc").write_bytes(b"")
    assert [f.uri.split("/")[-1] for f in storage.list_files(str(tmp_path / "a"))] == ["manifest.json", "part-0.jsonl"]
    assert not list((tmp_path / "a").glob(".manifest.json.*")), "no temporary file is left"
    assert storage.list_files(str(tmp_path / "missing")) == []
    assert storage.child_names(str(tmp_path)) == ["a"]
    storage.delete_tree(str(tmp_path / "a"))
    assert not (tmp_path / "a").exists()


@pytest.fixture()
def s3(monkeypatch):
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    monkeypatch.setattr(storage, "_s3", lambda: client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def test_s3_read(s3):
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(b"{}"), 2)},
        {"Bucket": "raw", "Key": "tokenizer/tokenizer.json"},
    )
    assert storage.read_bytes("s3://raw/tokenizer/tokenizer.json") == b"{}"


def test_s3_missing_object_is_file_not_found(s3):
    s3.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with pytest.raises(FileNotFoundError):
        storage.read_bytes("s3://raw/nothing.json")


def test_s3_listing_pages_and_skips_markers(s3):
    s3.add_response(
        "list_objects_v2",
        {
            "Contents": [{"Key": "corpus/domain/a.jsonl", "Size": 10}, {"Key": "corpus/domain/_SUCCESS", "Size": 0}],
            "IsTruncated": True,
            "NextContinuationToken": "t",
        },
        {"Bucket": "raw", "Prefix": "corpus/domain/"},
    )
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "corpus/domain/sub/b.jsonl", "Size": 5}], "IsTruncated": False},
        {"Bucket": "raw", "Prefix": "corpus/domain/", "ContinuationToken": "t"},
    )
    found = storage.list_files("s3://raw/corpus/domain/")
    assert [(f.uri, f.size) for f in found] == [
        ("s3://raw/corpus/domain/a.jsonl", 10),
        ("s3://raw/corpus/domain/sub/b.jsonl", 5),
    ]


def test_s3_delete_tree_deletes_every_key_under_the_folder_only(s3):
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "datasets/run/attempt-1/train/state.json", "Size": 1}], "IsTruncated": False},
        {"Bucket": "datasets", "Prefix": "datasets/run/attempt-1/"},
    )
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "datasets",
            "Delete": {"Objects": [{"Key": "datasets/run/attempt-1/train/state.json"}], "Quiet": True},
        },
    )
    storage.delete_tree("s3://datasets/datasets/run/attempt-1")


def test_s3_child_names_and_writes(s3):
    s3.add_response(
        "list_objects_v2",
        {
            "CommonPrefixes": [{"Prefix": "datasets/run/attempt-1/"}, {"Prefix": "datasets/run/attempt-2/"}],
            "IsTruncated": False,
        },
        {"Bucket": "datasets", "Prefix": "datasets/run/", "Delimiter": "/"},
    )
    assert storage.child_names("s3://datasets/datasets/run") == ["attempt-1", "attempt-2"]
    s3.add_response("put_object", {}, {"Bucket": "datasets", "Key": "datasets/run/manifest.json", "Body": b"{}"})
    storage.write_bytes("s3://datasets/datasets/run/manifest.json", b"{}")
