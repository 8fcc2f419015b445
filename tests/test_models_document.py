"""Documents and photos: type by content, safe names, thumbnails, storage on disk and S3."""

import io

import pytest
from PIL import Image

from models import AuditEvent, Document
from models.document import UploadError, safe_filename, sniff
from models.storage import LocalStorage, MissingFile, S3Storage


def png_bytes(size=(800, 600)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def asset_and_user(make_asset, make_user):
    asset = make_asset()
    return asset, make_user("technician", organisation=asset.organisation_id)


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"plain words\n", "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", None),  # a Windows executable
        (b"\x00\x01\x02binary", None),
    ],
)
def test_type_is_judged_by_content(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Manual v2.PDF", "Manual v2.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("", "file.pdf"),
        ("report.exe", "report.pdf"),
    ],
)
def test_safe_file_names_take_the_extension_of_the_real_type(name, expected):
    assert safe_filename(name, "application/pdf") == expected


def test_photo_upload_stores_file_and_thumbnail(asset_and_user, tmp_path):
    asset, user = asset_and_user
    storage = LocalStorage(tmp_path)
    doc = Document.upload(user, asset, storage, png_bytes(), "roof.png", "photo")
    assert doc.content_type == "image/png" and doc.filename == "roof.png"
    assert storage.get(doc.storage_key) == png_bytes()
    thumb = Image.open(io.BytesIO(storage.get(doc.thumbnail_key)))
    assert max(thumb.size) <= 320
    assert (doc.location_id, doc.project_id) == (asset.location_id, asset.project_id)
    assert AuditEvent.select().where(AuditEvent.action == "upload").count() == 1


def test_disguised_and_oversized_uploads_are_refused(asset_and_user, tmp_path, monkeypatch):
    asset, user = asset_and_user
    storage = LocalStorage(tmp_path)
    with pytest.raises(UploadError, match="not accepted"):
        Document.upload(user, asset, storage, b"MZ\x90\x00" + b"\x00" * 100, "manual.pdf", "manual")
    with pytest.raises(UploadError, match="must be an image"):
        Document.upload(user, asset, storage, b"%PDF-1.4 x", "photo.jpg", "photo")
    with pytest.raises(UploadError, match="could not be read"):
        Document.upload(user, asset, storage, b"\x89PNG\r\n\x1a\n" + b"junk", "x.png", "photo")
    monkeypatch.setattr("models.document.MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(UploadError, match="at most"):
        Document.upload(user, asset, storage, b"%PDF-" + b"x" * 2000, "big.pdf", "manual")
    assert Document.select().count() == 0
    assert not any(tmp_path.rglob("*.*"))


def test_remove_deletes_record_and_files(asset_and_user, tmp_path):
    asset, user = asset_and_user
    storage = LocalStorage(tmp_path)
    doc = Document.upload(user, asset, storage, png_bytes(), "a.png", "photo")
    doc.remove(user, storage)
    assert Document.select().count() == 0
    assert not any(tmp_path.rglob("*.png")) and not any(tmp_path.rglob("*.jpg"))


def test_local_storage_refuses_keys_outside_its_root(tmp_path):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path / "root").put("../escape.txt", b"x", "text/plain")


def test_s3_compatible_storage_round_trip(monkeypatch):
    """Against a real S3-compatible server on loopback (moto's), through boto3."""
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("S3_ENDPOINT_URL", f"http://{host}:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        storage = S3Storage("fettle-files", prefix="tenant")
        storage.client.create_bucket(Bucket="fettle-files")
        storage.put("1/a.pdf", b"%PDF-1.4 hello", "application/pdf")
        assert storage.get("1/a.pdf") == b"%PDF-1.4 hello"
        head = storage.client.head_object(Bucket="fettle-files", Key="tenant/1/a.pdf")
        assert head["ContentType"] == "application/pdf"
        storage.delete("1/a.pdf")
        with pytest.raises(MissingFile):
            storage.get("1/a.pdf")
        listing = storage.client.list_objects_v2(Bucket="fettle-files")
        assert listing.get("KeyCount", 0) == 0
    finally:
        server.stop()
