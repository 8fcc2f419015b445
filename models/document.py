"""Documents and photos attached to an asset: manuals, certificates, site photos."""

import hashlib
import io
import re
import secrets
import unicodedata
import warnings
import zipfile

from peewee import CharField, ForeignKeyField, IntegerField

from .asset import Asset
from .audit import AuditEvent
from .base import BaseModel, choice_check, db, utcnow
from .client import Client
from .location import Location
from .organisation import Organisation
from .project import Project
from .user import User

DOCUMENT_KINDS = ("photo", "manual", "certificate", "drawing", "report", "other")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)

# What we accept, recognised by content. Office files are ZIPs with a known part inside.
TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}


class UploadError(ValueError):
    """An upload we refuse; the message is shown at the file field."""


def sniff(data):
    """The content type of `data` judged by its bytes, or None when we do not accept it."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain" if "\x00" not in text else None


def safe_filename(name, content_type):
    """A file name safe to show and to offer for download, with the extension of its type."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = re.sub(r"[^\w.\- ]+", "_", name.rsplit(".", 1)[0]).strip(" ._")[:120] or "file"
    return stem + TYPES[content_type]


def make_thumbnail(data):
    """A JPEG thumbnail of an image, or None if the image cannot be read safely."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)
                image.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=82)
                return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


class Document(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    location = ForeignKeyField(Location, on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    project = ForeignKeyField(Project, on_delete="RESTRICT")
    asset = ForeignKeyField(Asset, backref="documents", on_delete="CASCADE")
    kind = CharField(max_length=20, constraints=[choice_check("kind", DOCUMENT_KINDS)])
    title = CharField(max_length=200)
    filename = CharField(max_length=200)
    content_type = CharField(max_length=100)
    size = IntegerField()
    sha256 = CharField(max_length=64)
    storage_key = CharField(max_length=300, unique=True)
    thumbnail_key = CharField(max_length=300, null=True)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("asset", "created_at"), False),)

    def __str__(self):
        return self.title

    @property
    def is_image(self):
        return self.content_type.startswith("image/")

    @classmethod
    def upload(cls, actor, asset, storage, data, filename, kind, title=""):
        """Check the file by its content, store it (and a thumbnail) and record it."""
        if not data:
            raise UploadError("The file is empty.")
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadError(f"Files can be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        content_type = sniff(data)
        if content_type is None:
            raise UploadError(
                "This type of file is not accepted. Upload a PDF, a photo "
                "(JPEG, PNG, WebP, GIF), a Word or Excel file, or plain text."
            )
        if kind == "photo" and not content_type.startswith("image/"):
            raise UploadError("A photo must be an image (JPEG, PNG, WebP or GIF).")
        name = safe_filename(filename, content_type)
        suffix = TYPES[content_type]
        key = f"{asset.organisation_id}/{utcnow():%Y/%m}/{secrets.token_hex(16)}{suffix}"
        thumbnail = make_thumbnail(data) if content_type.startswith("image/") else None
        if content_type.startswith("image/") and thumbnail is None:
            raise UploadError("This image could not be read. Is the file complete?")
        storage.put(key, data, content_type)
        thumb_key = None
        if thumbnail is not None:
            thumb_key = key.rsplit(".", 1)[0] + "-thumb.jpg"
            storage.put(thumb_key, thumbnail, "image/jpeg")
        with db.atomic():
            document = cls.create(
                organisation=asset.organisation_id,
                location=asset.location_id,
                client=asset.client_id,
                project=asset.project_id,
                asset=asset.id,
                kind=kind,
                title=(title or name.rsplit(".", 1)[0])[:200],
                filename=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=key,
                thumbnail_key=thumb_key,
                uploaded_by=actor.id,
            )
            AuditEvent.record(
                actor, "upload", asset, {"document": (None, name)}, summary=f"Uploaded {name}"
            )
        return document

    def remove(self, actor, storage):
        """Delete the record, then the stored files (a left-over file harms nobody)."""
        with db.atomic():
            AuditEvent.record(
                actor,
                "delete_document",
                self.asset,
                {"document": (self.filename, None)},
                summary=f"Deleted {self.filename}",
            )
            self.delete_instance()
        for key in filter(None, (self.storage_key, self.thumbnail_key)):
            storage.delete(key)
