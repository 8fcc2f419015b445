"""The client's signature on a work order: drawn on the technician's screen, checked here,
stored as a PNG with the signer's name and time.

A signature is taken while the work is in progress, because the client signs for work
they have just seen done; taking it again replaces the earlier one (a wrong name, a
smudge), and the audit log keeps who signed before.
"""

import base64
import binascii
import io
import secrets
import warnings

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField

from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .organisation import Organisation
from .user import User
from .work_order import Activity, TransitionError, WorkOrder

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 256 * 1024  # a drawn signature is 10-60 KB; this leaves room
MAX_SIDE = 2400  # pixels: a phone at 3x or a wide screen at 2x stays under it
MIN_INK_PIXELS = 60  # fewer dark pixels than this is a tap, not a signature


class SignatureError(ValueError):
    """A signature we refuse; the message is shown at the signature pad."""


def read_signature(data_url):
    """The PNG bytes of a drawn signature, re-encoded (no stray chunks kept), or
    SignatureError saying what is wrong with it."""
    from PIL import Image

    data_url = (data_url or "").strip()
    if not data_url:
        raise SignatureError("Ask the client to sign in the box.")
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureError("The signature must be a PNG image drawn in the box.")
    encoded = data_url[len(DATA_URL_PREFIX) :]
    if len(encoded) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise SignatureError("The signature image is too large: clear it and sign again.")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("The signature must be a PNG image drawn in the box.") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
                if max(image.size) > MAX_SIDE:
                    raise SignatureError(
                        "The signature image is too large: clear it and sign again."
                    )
                image.load()
                rgba = image.convert("RGBA")
    except SignatureError:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise SignatureError("The signature must be a PNG image drawn in the box.") from None
    if _ink_pixels(rgba) < MIN_INK_PIXELS:
        raise SignatureError("The signature is blank: ask the client to sign in the box.")
    out = io.BytesIO()
    rgba.save(out, "PNG", optimize=True)
    return out.getvalue()


def _ink_pixels(rgba):
    """Pixels that are visibly drawn: not transparent and not (near) white."""
    from PIL import ImageChops

    opaque = rgba.getchannel("A").point(lambda a: 255 if a > 40 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    ink = ImageChops.multiply(opaque, dark)
    return ink.histogram()[255]


class Signature(BaseModel):
    """The client's signature on a work order: one per order, the latest taken."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="signatures", on_delete="CASCADE", unique=True)
    signer_name = CharField(max_length=120)
    signed_at = DateTimeField()
    storage_key = CharField(max_length=300, unique=True)
    size = IntegerField()
    taken_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "work_order_signature"

    @classmethod
    def of(cls, order):
        """The order's signature with the name of who took it, or None (one query)."""
        return (
            cls.select(cls, User.id, User.name)
            .join(User, JOIN.LEFT_OUTER, on=(cls.taken_by == User.id))
            .where(cls.work_order == order.id)
            .first()
        )

    @classmethod
    def take(cls, actor, order, png, signer_name, storage):
        """Store a checked signature (from read_signature) for an order in progress, with
        its timeline and audit rows in one transaction. Returns the signature."""
        key = f"work-orders/{order.organisation_id}/{order.id}/signature-{secrets.token_hex(8)}.png"
        storage.put(key, png, "image/png")
        try:
            with db.atomic():
                current = (
                    WorkOrder.select(WorkOrder.status, WorkOrder.requires_signature)
                    .where(WorkOrder.id == order.id)
                    .get()
                )
                if not current.requires_signature:
                    raise TransitionError("This work order does not ask for a signature.")
                if current.status != "in_progress":
                    raise TransitionError(
                        "The client signs while the work is in progress: start the work first."
                    )
                old = cls.get_or_none(cls.work_order == order.id)
                fields = {
                    "signer_name": signer_name,
                    "signed_at": utcnow(),
                    "storage_key": key,
                    "size": len(png),
                    "taken_by": actor.id,
                }
                if old is None:
                    signature = cls.create(
                        organisation=order.organisation_id, work_order=order.id, **fields
                    )
                else:
                    cls.update(updated_at=utcnow(), **fields).where(cls.id == old.id).execute()
                    signature = cls.get_by_id(old.id)
                Activity.note(order, actor, "signature", f"Signed by {signer_name}")
                AuditEvent.record(
                    actor,
                    "sign",
                    order,
                    {"signed_by": (old.signer_name if old else None, signer_name)},
                )
        except Exception:
            storage.delete(key)
            raise
        if old is not None:
            storage.delete(old.storage_key)  # the audit log keeps who signed before
        return signature
