"""Demo sign-offs: a few completed orders signed by the client (a drawn-looking squiggle made
with Pillow), and some open orders that will need a signature before completion.

Called by the demo loader once its work orders exist:
`demo_signoff.load(org, users, orders, storage=storage)`.
"""

import datetime
import io
import json
import math
import random
import secrets

from .audit import AuditEvent
from .signoff import Signature
from .work_order import Activity, WorkOrder

SIGNERS = ("Ann Lee", "Marcus Reid", "Priya Shah", "J. Okonkwo", "Elena Petrova")
SIGNED_DEMO_ORDERS = 3
OPEN_ORDERS_NEEDING_SIGNATURE = 6


def squiggle_png(seed, width=640, height=240):
    """A PNG that looks like a hand-drawn signature: cursive loops along a baseline that
    drifts a little, then an underline flourish. Transparent, as the signature pad sends."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink = (16, 36, 62, 255)
    loops = rng.randint(6, 9)
    turn = 2 * math.pi * loops
    step = (width * 0.7) / turn  # pixels forward per radian; the loop radius beats it
    phase, slant = rng.uniform(0, 6), rng.uniform(0.25, 0.45)
    base = height * 0.55
    points = []
    for i in range(loops * 36 + 1):
        t = turn * i / (loops * 36)
        tall = 34 + 14 * math.sin(t / 3.1 + phase) + (26 if t < 2 * math.pi else 0)
        y = base - tall * (1 - math.cos(t)) / 2 - 3 * t / math.pi
        x = 48 + step * t - 1.6 * step * math.sin(t) + slant * (base - y)
        points.append((x, y))
    draw.line(points, fill=ink, width=4, joint="curve")
    left, right = 60 + rng.uniform(0, 30), points[-1][0] + 20
    under = base + 26
    flourish = [
        (right - (right - left) * s, under + 10 * math.sin(math.pi * s)) for s in _steps(30)
    ]
    draw.line(flourish, fill=ink, width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _steps(count):
    return [i / count for i in range(count + 1)]


def load(org, users, orders, storage=None):
    """Require a signature on some open orders; with a storage, sign a few completed ones.
    `users` maps roles to demo users; the technician takes signatures where the order does
    not say who completed it."""
    orders = list(orders)
    technician = users.get("technician")
    open_ids = [o.id for o in orders if o.status in ("open", "in_progress", "on_hold")]
    needing = open_ids[:: max(1, len(open_ids) // OPEN_ORDERS_NEEDING_SIGNATURE)]
    needing = needing[:OPEN_ORDERS_NEEDING_SIGNATURE]
    if needing:
        WorkOrder.update(requires_signature=True).where(WorkOrder.id.in_(needing)).execute()
    if storage is None:
        return []
    done = [o for o in orders if o.status in ("completed", "closed") and o.completed_at]
    signed = []
    for n, order in enumerate(done[:SIGNED_DEMO_ORDERS]):
        taker = order.completed_by if order.completed_by_id else technician
        signed.append(_sign(org, order, taker, SIGNERS[n % len(SIGNERS)], storage, seed=n))
    return signed


def _sign(org, order, taker, signer_name, storage, seed):
    png = squiggle_png(seed)
    key = f"work-orders/{org.id}/{order.id}/signature-{secrets.token_hex(8)}.png"
    storage.put(key, png, "image/png")
    signed_at = order.completed_at - datetime.timedelta(minutes=3 + seed)
    WorkOrder.update(requires_signature=True).where(WorkOrder.id == order.id).execute()
    signature = Signature.create(
        organisation=org.id,
        work_order=order.id,
        signer_name=signer_name,
        signed_at=signed_at,
        storage_key=key,
        size=len(png),
        taken_by=taker.id if taker else None,
        created_at=signed_at,
        updated_at=signed_at,
    )
    Activity.create(
        organisation=org.id,
        work_order=order.id,
        user=taker.id if taker else None,
        kind="signature",
        body=f"Signed by {signer_name}",
        created_at=signed_at,
        updated_at=signed_at,
    )
    AuditEvent.create(
        organisation=org.id,
        user=taker.id if taker else None,
        action="sign",
        entity_type="workorder",
        entity_id=order.id,
        summary=str(order)[:300],
        changes=json.dumps({"signed_by": [None, signer_name]}),
        created_at=signed_at,
        updated_at=signed_at,
    )
    return signature
