"""The few file operations the job needs, on S3 (s3://bucket/key) or on local paths, so one code path serves Glue,
the local runner and the tests. Local writes go to a temporary name and are renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    uri: str
    size: int


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def _bucket_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _local(uri: str) -> Path:
    return Path(uri[len("file://") :] if uri.startswith("file://") else uri)


def _s3():
    import boto3  # Glue provides boto3; local runs never import it

    return boto3.client("s3")


def _visible(name: str) -> bool:
    """Spark skips files whose names start with _ or . (markers, checksums): so does the job."""
    return not name.startswith(("_", "."))


def read_bytes(uri: str) -> bytes:
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        client = _s3()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            raise FileNotFoundError(uri) from None
    return _local(uri).read_bytes()


def write_bytes(uri: str, data: bytes) -> None:
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        _s3().put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = _local(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)


def put_file(local_path: str, uri: str) -> None:
    if is_s3(uri):
        bucket, key = _bucket_key(uri)
        _s3().upload_file(local_path, bucket, key)
        return
    path = _local(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    shutil.copyfile(local_path, tmp)
    os.replace(tmp, path)


def list_files(uri: str) -> list[StoredFile]:
    """Files at uri: the object or file itself, or every visible one below that prefix or directory."""
    if is_s3(uri):
        bucket, prefix = _bucket_key(uri)
        found = []
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :].lstrip("/")
                if item["Key"] == prefix or all(_visible(part) for part in relative.split("/") if part):
                    found.append(StoredFile(f"s3://{bucket}/{item['Key']}", item["Size"]))
        return found
    root = _local(uri)
    if root.is_file():
        return [StoredFile(str(root), root.stat().st_size)]
    if not root.is_dir():
        return []
    return [
        StoredFile(str(path), path.stat().st_size)
        for path in sorted(root.rglob("*"))
        if path.is_file() and all(_visible(part) for part in path.relative_to(root).parts)
    ]


def child_names(uri: str) -> list[str]:
    """Names of the immediate sub-folders (S3: common prefixes) of uri."""
    if is_s3(uri):
        bucket, prefix = _bucket_key(uri.rstrip("/") + "/")
        names = []
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return names
    root = _local(uri)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def delete_tree(uri: str) -> None:
    if is_s3(uri):
        bucket, prefix = _bucket_key(uri.rstrip("/") + "/")
        client = _s3()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        return
    shutil.rmtree(_local(uri), ignore_errors=True)


def spark_path(uri: str) -> str:
    """The form Spark reads: s3:// as is (EMRFS in Glue), local paths absolute."""
    return uri if is_s3(uri) else str(_local(uri).resolve())
