"""Where uploaded files live: one small interface, local disk by default, S3-compatible when
STORAGE_URL=s3://bucket is set (endpoint and keys from the usual AWS_* / S3_ENDPOINT_URL)."""

import os
from pathlib import Path


class MissingFile(LookupError):
    """No stored file under that key (never stored, already deleted)."""


class LocalStorage:
    def __init__(self, root):
        self.root = Path(root).resolve()

    def _path(self, key):
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path

    def put(self, key, data, content_type):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, key):
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingFile(key) from None

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    def __init__(self, bucket, prefix=""):
        import boto3  # only needed when S3 storage is configured

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
            region_name=os.environ.get("S3_REGION", "us-east-1"),
        )

    def _key(self, key):
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key, data, content_type):
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def get(self, key):
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise MissingFile(key) from None
        return response["Body"].read()

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


_storages = {}


def get_storage(url, instance_path):
    """The storage for STORAGE_URL (None: instance/uploads on local disk), one per process."""
    key = (url, str(instance_path))
    if key not in _storages:
        if url and url.startswith("s3://"):
            bucket, _, prefix = url[len("s3://") :].partition("/")
            _storages[key] = S3Storage(bucket, prefix)
        elif url and url.startswith("file://"):
            _storages[key] = LocalStorage(url[len("file://") :])
        else:
            _storages[key] = LocalStorage(Path(instance_path) / "uploads")
    return _storages[key]
