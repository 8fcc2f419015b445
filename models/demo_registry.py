"""The demo's meters with a few months of readings, and its manuals, certificates and
site photos, drawn with Pillow so the demo needs no files of its own."""

import datetime
import io

from .asset import Asset
from .base import utcnow
from .document import Document
from .meter import Meter, MeterReading

# category: (meter name, unit, increasing, lower, upper, start range, weekly change range)
METERS = {
    "Standby generator": ("Runtime", "h", True, None, None, (800, 4000), (1, 6)),
    "Chiller": ("Runtime", "h", True, None, None, (9000, 40000), (60, 120)),
    "Passenger lift": ("Trips", "trips", True, None, None, (150000, 900000), (2500, 6000)),
    "Escalator": ("Running hours", "h", True, None, None, (20000, 60000), (80, 110)),
    "Boiler": ("Flow temperature", "°C", False, 60, 85, (70, 78), (-4, 4)),
    "Air handling unit": ("Filter pressure drop", "Pa", False, None, 250, (80, 120), (4, 14)),
    "Cold room": ("Air temperature", "°C", False, -25, -15, (-21, -19), (-2, 2)),
    "UPS": ("Battery temperature", "°C", False, 15, 30, (21, 24), (-1, 1)),
}
WEEKS = 16


def add_meters(org, technician, rng):
    """Meters on the assets that have them, with a reading a week for four months."""
    assets = (
        Asset.select()
        .where(
            Asset.organisation == org.id, Asset.parent.is_null(), Asset.category.in_(list(METERS))
        )
        .order_by(Asset.id)
    )
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for asset in assets:
        name, unit, increasing, lower, upper, start, step = METERS[asset.category]
        meter = Meter.create(
            asset=asset,
            name=name,
            unit=unit,
            increasing=increasing,
            lower_limit=lower,
            upper_limit=upper,
        )
        value, rows = rng.uniform(*start), []
        for week in range(WEEKS, -1, -1):
            read_at = now - datetime.timedelta(weeks=week, hours=rng.randint(0, 48))
            if increasing:
                value += rng.uniform(*step)
            else:  # wanders around its start, filters clog until they are changed
                value = rng.uniform(*start) + (
                    rng.uniform(*step) * (WEEKS - week) / 4
                    if name == "Filter pressure drop"
                    else rng.uniform(*step)
                )
            rows.append(
                {
                    "organisation": org.id,
                    "meter": meter.id,
                    "value": round(value, 1),
                    "read_at": read_at,
                    "recorded_by": technician.id,
                    "note": "",
                    "created_at": read_at,
                    "updated_at": read_at,
                }
            )
        MeterReading.insert_many(rows).execute()
        Meter.update(last_value=rows[-1]["value"], last_read_at=rows[-1]["read_at"]).where(
            Meter.id == meter.id
        ).execute()


def _page(title, lines, size=(1240, 1754)):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 150), fill=(18, 52, 59))
    draw.text((80, 50), title, fill="white", font=ImageFont.load_default(size=56))
    font = ImageFont.load_default(size=30)
    for n, line in enumerate(lines):
        draw.text((80, 230 + n * 52), line, fill=(30, 30, 30), font=font)
    return image


def _pdf(title, lines):
    out = io.BytesIO()
    _page(title, lines).save(out, "PDF", resolution=150)
    return out.getvalue()


def _photo(asset, rng):
    from PIL import Image, ImageDraw, ImageFont

    base = tuple(rng.randint(60, 140) for _ in range(3))
    image = Image.new("RGB", (1200, 900), base)
    draw = ImageDraw.Draw(image)
    for _ in range(14):  # plant-room shapes: panels, pipes, a unit
        x, y = rng.randint(0, 1100), rng.randint(0, 800)
        shade = tuple(min(255, c + rng.randint(20, 90)) for c in base)
        draw.rectangle((x, y, x + rng.randint(80, 400), y + rng.randint(30, 260)), fill=shade)
    draw.rectangle((0, 800, 1200, 900), fill=(20, 20, 20))
    draw.text(
        (30, 820), f"{asset.tag}  {asset.name}", fill="white", font=ImageFont.load_default(size=40)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def add_documents(org, storage, uploader, rng):
    """Manuals on the big plant, certificates on lifts, photos on a dozen assets."""
    big = list(
        Asset.select()
        .where(
            Asset.organisation == org.id,
            Asset.parent.is_null(),
            Asset.category.in_(["Chiller", "Standby generator"]),
        )
        .order_by(Asset.id)
        .limit(6)
    )
    for asset in big:
        lines = [
            f"Equipment: {asset.make} {asset.model_name}",
            f"Serial: {asset.serial}",
            f"Site tag: {asset.tag}",
            "",
            "1. Safety",
            "2. Description",
            "3. Commissioning",
            "4. Planned maintenance schedule",
            "5. Fault finding",
            "6. Spare parts",
        ]
        Document.upload(
            uploader,
            asset,
            storage,
            _pdf("Operation & maintenance manual", lines),
            f"{asset.make} {asset.model_name} O&M manual.pdf",
            "manual",
        )
    lifts = list(
        Asset.select()
        .where(Asset.organisation == org.id, Asset.category == "Passenger lift")
        .order_by(Asset.id)
        .limit(4)
    )
    for asset in lifts:
        lines = [
            "Thorough examination report (LOLER 1998, regulation 9)",
            f"Lift: {asset.tag} {asset.name}",
            f"Make/model: {asset.make} {asset.model_name}",
            "Safe working load: 1000 kg / 13 persons",
            "Result: safe to operate",
            "Next examination due within 6 months",
        ]
        Document.upload(
            uploader,
            asset,
            storage,
            _pdf("Certificate of examination", lines),
            f"LOLER certificate {asset.tag}.pdf",
            "certificate",
        )
    pictured = list(
        Asset.select()
        .where(Asset.organisation == org.id, Asset.parent.is_null())
        .order_by(Asset.id)
        .limit(60)
    )
    for asset in rng.sample(pictured, 12):
        Document.upload(
            uploader,
            asset,
            storage,
            _photo(asset, rng),
            f"{asset.tag} on site.jpg",
            "photo",
            title=f"{asset.tag} on site",
        )
