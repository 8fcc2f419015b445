"""Meters on an asset (runtime hours, cycles, ...) and their readings."""

import math

from peewee import (
    JOIN,
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
)

from .asset import Asset
from .audit import AuditEvent
from .base import BaseModel, db, utcnow
from .client import Client
from .location import Location
from .organisation import Organisation
from .project import Project
from .user import User


class ReadingError(ValueError):
    """A reading the meter cannot accept; the message is shown at the field."""


class Meter(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    location = ForeignKeyField(Location, on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    project = ForeignKeyField(Project, on_delete="RESTRICT")
    asset = ForeignKeyField(Asset, backref="meters", on_delete="CASCADE")
    name = CharField(max_length=80)
    unit = CharField(max_length=20)
    # Runtime hours and cycle counters only go up; a temperature does not.
    increasing = BooleanField(default=True)
    lower_limit = DoubleField(null=True)
    upper_limit = DoubleField(null=True)
    last_value = DoubleField(null=True)
    last_read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("asset", "name"), True),)

    def __str__(self):
        return f"{self.name} ({self.unit})"

    def save(self, *args, **kwargs):
        if self.asset_id is not None:
            row = (
                Asset.select(Asset.organisation, Asset.location, Asset.client, Asset.project)
                .where(Asset.id == self.asset_id)
                .get()
            )
            self.organisation_id, self.location_id = row.organisation_id, row.location_id
            self.client_id, self.project_id = row.client_id, row.project_id
        return super().save(*args, **kwargs)

    @classmethod
    def create_for(cls, actor, asset, **data):
        with db.atomic():
            meter = cls.create(asset=asset, **data)
            AuditEvent.record(actor, "create", meter, {k: (None, v) for k, v in data.items()})
        return meter

    def out_of_limits(self, value):
        return (self.lower_limit is not None and value < self.lower_limit) or (
            self.upper_limit is not None and value > self.upper_limit
        )

    def add_reading(self, actor, value, read_at=None, note=""):
        """Record a reading; an increasing meter refuses one lower than the reading before
        it (or higher than a later one, for a back-dated reading)."""
        if value is None or not math.isfinite(value):
            raise ReadingError("Enter a number.")
        read_at = read_at or utcnow()
        if read_at > utcnow():
            raise ReadingError("A reading cannot be in the future.")
        with db.atomic():
            before = (
                self.readings.where(MeterReading.read_at <= read_at)
                .order_by(MeterReading.read_at.desc(), MeterReading.id.desc())
                .first()
            )
            after = (
                self.readings.where(MeterReading.read_at > read_at)
                .order_by(MeterReading.read_at.asc(), MeterReading.id.asc())
                .first()
            )
            if self.increasing and before is not None and value < before.value:
                raise ReadingError(
                    f"This meter only goes up: the reading before was {before.value:g} "
                    f"{self.unit}. Check the value, or ask a manager if the meter was replaced."
                )
            if self.increasing and after is not None and value > after.value:
                raise ReadingError(
                    f"This meter only goes up: a later reading is {after.value:g} {self.unit}."
                )
            reading = MeterReading.create(
                organisation=self.organisation_id,
                meter=self,
                value=value,
                read_at=read_at,
                recorded_by=actor.id,
                note=note or "",
            )
            if after is None:
                self.last_value, self.last_read_at = value, read_at
                type(self).update(last_value=value, last_read_at=read_at).where(
                    type(self).id == self.id
                ).execute()
            AuditEvent.record(
                actor,
                "reading",
                self.asset,
                {self.name: (None, value)},
                summary=f"{self.name}: {value:g} {self.unit}",
            )
            if after is None:  # the newest reading: meter schedules it triggers
                from .alert_events import meter_out_of_limits
                from .meter_schedules import on_reading

                on_reading(self, value, read_at, actor)
                meter_out_of_limits(self, reading, before.value if before else None, actor)
        return reading

    def recent_readings(self, limit=200):
        return list(
            self.readings.select(MeterReading, User.id, User.name)
            .join(User, JOIN.LEFT_OUTER, on=(MeterReading.recorded_by == User.id))
            .order_by(MeterReading.read_at.desc(), MeterReading.id.desc())
            .limit(limit)
        )


class MeterReading(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    meter = ForeignKeyField(Meter, backref="readings", on_delete="CASCADE")
    value = DoubleField()
    read_at = DateTimeField()
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    note = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("meter", "read_at"), False),)


def chart_points(readings, width=320, height=90, pad=6):
    """SVG polyline points for readings (oldest first), scaled into the box."""
    if len(readings) < 2:
        return ""
    times = [r.read_at.timestamp() for r in readings]
    values = [r.value for r in readings]
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    span_t, span_v = (t1 - t0) or 1, (v1 - v0) or 1
    return " ".join(
        f"{pad + (t - t0) / span_t * (width - 2 * pad):.1f},"
        f"{height - pad - (v - v0) / span_v * (height - 2 * pad):.1f}"
        for t, v in zip(times, values, strict=True)
    )
