"""The organisation's logo on its reports: checked, scaled to letterhead size, stored as PNG.

One logo per organisation; a new one replaces the old (the audit log says who changed it).
Reports embed it as a data: URL, so a PDF renders without fetching anything.
"""

import base64
import io
import secrets
import warnings

from .audit import AuditEvent
from .base import db
from .document import UploadError, sniff
from .organisation import Organisation
from .storage import MissingFile

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_BOX = (900, 300)  # pixels: sharp at 60 mm x 20 mm in print
ACCEPTED = ("image/png", "image/jpeg", "image/webp", "image/gif")
_cache = {}  # storage key -> data: URL (keys are random, so a new logo is a new key)


def _scaled_png(data):
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image.thumbnail(LOGO_BOX)
                out = io.BytesIO()
                image.convert("RGBA").save(out, "PNG", optimize=True)
                return out.getvalue()
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise UploadError("That image could not be read. Is it complete?") from None


def store_logo(actor, storage, data):
    """Check, scale and store a logo for the actor's organisation; returns the new key."""
    if not data:
        raise UploadError("Choose an image file.")
    if len(data) > MAX_LOGO_BYTES:
        raise UploadError("A logo can be at most 2 MB.")
    if sniff(data) not in ACCEPTED:
        raise UploadError("Upload the logo as a PNG, JPEG, WebP or GIF image.")
    png = _scaled_png(data)
    org = Organisation.get_by_id(actor.organisation_id)
    key = f"{org.id}/branding/logo-{secrets.token_hex(8)}.png"
    storage.put(key, png, "image/png")
    old = org.logo_key
    try:
        with db.atomic():
            Organisation.update(logo_key=key).where(Organisation.id == org.id).execute()
            AuditEvent.record(actor, "logo", org, {"logo": (old, key)})
    except Exception:
        storage.delete(key)
        raise
    if old:
        storage.delete(old)
    return key


def remove_logo(actor, storage):
    org = Organisation.get_by_id(actor.organisation_id)
    if not org.logo_key:
        return
    with db.atomic():
        Organisation.update(logo_key=None).where(Organisation.id == org.id).execute()
        AuditEvent.record(actor, "logo", org, {"logo": (org.logo_key, None)})
    storage.delete(org.logo_key)


def logo_data_url(org, storage):
    """The logo as a data: URL, or None (no logo, or lost from storage)."""
    key = org.logo_key
    if not key:
        return None
    if key not in _cache:
        try:
            data = storage.get(key)
        except MissingFile:
            return None
        if len(_cache) > 100:
            _cache.clear()
        _cache[key] = "data:image/png;base64," + base64.b64encode(data).decode()
    return _cache[key]
