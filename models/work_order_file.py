"""Photos and PDFs attached to a work order, mostly from a technician's phone on site.

Files are judged by their bytes (not their name or the browser's word), limited in size,
given safe names and random storage keys, and images get a thumbnail. They are served only
through a route that checks the order's visibility.
"""

import hashlib
import secrets

from peewee import CharField, ForeignKeyField, IntegerField

from .base import BaseModel, db, utcnow
from .document import MAX_UPLOAD_BYTES, TYPES, UploadError, make_thumbnail, safe_filename, sniff
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder
from .work_order_records import check_open_for_records, log

ACCEPTED = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")
MAX_FILES = 10


class WorkOrderFile(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="files", on_delete="CASCADE", index=False)
    filename = CharField(max_length=200)
    content_type = CharField(max_length=100)
    size = IntegerField()
    sha256 = CharField(max_length=64)
    storage_key = CharField(max_length=300, unique=True)
    thumbnail_key = CharField(max_length=300, null=True)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

    class Meta:
        table_name = "work_order_file"
        indexes = ((("work_order", "created_at"), False),)

    @property
    def is_image(self):
        return self.content_type.startswith("image/")

    @classmethod
    def upload(cls, actor, order, storage, files):
        """Store (bytes, name) pairs: every file is checked before any is kept, so a bad one
        refuses the lot; one timeline line names them all."""
        if not files:
            raise UploadError("Choose a photo or a file to upload.")
        if len(files) > MAX_FILES:
            raise UploadError(f"Upload at most {MAX_FILES} files at a time.")
        check_open_for_records(order)
        checked = [_check(data, name) for data, name in files]
        stored = [_store(order, storage, *item) for item in checked]
        try:
            with db.atomic():
                check_open_for_records(order)
                rows = [
                    cls.create(
                        organisation=order.organisation_id,
                        work_order=order.id,
                        uploaded_by=actor.id,
                        **fields,
                    )
                    for fields in stored
                ]
                names = ", ".join(row.filename for row in rows)
                log(
                    order,
                    actor,
                    "upload",
                    f"Uploaded {names}",
                    "upload",
                    rows[0],
                    {"files": (None, [row.filename for row in rows])},
                )
        except Exception:
            for fields in stored:  # nothing recorded: leave no files behind either
                _delete_keys(storage, fields["storage_key"], fields["thumbnail_key"])
            raise
        return rows

    def remove(self, actor, order, storage):
        """Delete the record, then the stored files (a left-over file harms nobody)."""
        with db.atomic():
            check_open_for_records(order)
            log(
                order,
                actor,
                "upload",
                f"Removed {self.filename}",
                "delete_file",
                self,
                {"file": (self.filename, None)},
            )
            self.delete_instance()
        _delete_keys(storage, self.storage_key, self.thumbnail_key)


def _check(data, name):
    if not data:
        raise UploadError(f"{name or 'The file'} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"Files can be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    content_type = sniff(data)
    if content_type not in ACCEPTED:
        raise UploadError(
            f"{safe_name(name)} is not a photo or a PDF. Upload JPEG, PNG, WebP or GIF "
            "photos, or PDF documents."
        )
    thumbnail = make_thumbnail(data) if content_type.startswith("image/") else None
    if content_type.startswith("image/") and thumbnail is None:
        raise UploadError(f"{safe_name(name)} could not be read as an image. Is it complete?")
    return data, name, content_type, thumbnail


def safe_name(name):
    """A name fit to repeat in a message, whatever was posted."""
    return safe_filename(name, "text/plain").rsplit(".", 1)[0] or "The file"


def _store(order, storage, data, name, content_type, thumbnail):
    suffix = TYPES[content_type]
    key = f"{order.organisation_id}/work-orders/{utcnow():%Y/%m}/{secrets.token_hex(16)}{suffix}"
    storage.put(key, data, content_type)
    thumb_key = None
    if thumbnail is not None:
        thumb_key = key.rsplit(".", 1)[0] + "-thumb.jpg"
        storage.put(thumb_key, thumbnail, "image/jpeg")
    return {
        "filename": safe_filename(name, content_type),
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "storage_key": key,
        "thumbnail_key": thumb_key,
    }


def _delete_keys(storage, *keys):
    for key in filter(None, keys):
        storage.delete(key)
