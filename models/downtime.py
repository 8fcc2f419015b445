"""Periods an asset was out of service, recorded on the work order that dealt with it.

Stored as UTC start and end plus the minutes between them, and with the asset's id on the
row, so that reports sum downtime per asset (or per order) with one indexed aggregate.
Times are typed in the site's local time; periods on one order never overlap, so the sums
do not count a minute twice.
"""

import datetime

from peewee import CharField, Check, DateTimeField, ForeignKeyField, IntegerField

from .asset import Asset
from .base import BaseModel, db, utcnow
from .clock import local_to_utc
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder
from .work_order_records import RecordError, check_open_for_records, format_minutes, log

MAX_DAYS = 366
FUTURE_SLACK = datetime.timedelta(minutes=5)  # phones and servers disagree a little


class Downtime(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(WorkOrder, backref="downtime", on_delete="CASCADE", index=False)
    asset = ForeignKeyField(Asset, on_delete="CASCADE", index=False)
    started_at = DateTimeField()
    ended_at = DateTimeField()
    minutes = IntegerField(constraints=[Check("minutes > 0")])
    note = CharField(max_length=300, default="")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

    class Meta:
        indexes = (
            (("work_order", "started_at"), False),
            (("asset", "started_at"), False),
        )

    @property
    def duration(self):
        return format_minutes(self.minutes)

    @classmethod
    def record(cls, actor, order, start_local, end_local, note, tz_name):
        """A period typed in the site's local time; refused when it ends before it starts,
        lies in the future, is longer than a year or overlaps one already recorded."""
        if not order.asset_id:
            raise RecordError("This order is not on an asset, so it has no downtime.")
        if start_local is None:
            raise RecordError("Enter when the asset went down.", "started_at")
        if end_local is None:
            raise RecordError("Enter when it was back in service.", "ended_at")
        start, end = local_to_utc(start_local, tz_name), local_to_utc(end_local, tz_name)
        if end <= start:
            raise RecordError("The end must be after the start.", "ended_at")
        if end > utcnow() + FUTURE_SLACK:
            raise RecordError(
                "Record downtime once it is over: this end is in the future.", "ended_at"
            )
        if end - start > datetime.timedelta(days=MAX_DAYS):
            raise RecordError("One period can be at most a year long.", "ended_at")
        minutes = max(1, round((end - start).total_seconds() / 60))
        with db.atomic():
            check_open_for_records(order)
            overlap = cls.select(cls.id).where(
                cls.work_order == order.id, cls.started_at < end, cls.ended_at > start
            )
            if overlap.exists():
                raise RecordError(
                    "This overlaps a period already recorded on this order.", "started_at"
                )
            period = cls.create(
                organisation=order.organisation_id,
                work_order=order.id,
                asset=order.asset_id,
                started_at=start,
                ended_at=end,
                minutes=minutes,
                note=note[:300],
                recorded_by=actor.id,
            )
            log(
                order,
                actor,
                "downtime",
                f"Recorded {period.duration} of downtime",
                "downtime_add",
                period,
                {"minutes": (None, minutes)},
            )
        return period

    def remove(self, actor, order):
        with db.atomic():
            check_open_for_records(order)
            log(
                order,
                actor,
                "downtime",
                f"Removed {self.duration} of downtime",
                "downtime_delete",
                self,
                {"minutes": (self.minutes, None)},
            )
            self.delete_instance()

    @classmethod
    def minutes_by_asset(cls, asset_ids, since=None, until=None):
        """Downtime minutes per asset (for reports), summed by the database."""
        from peewee import fn

        query = cls.select(cls.asset, fn.SUM(cls.minutes)).where(cls.asset.in_(list(asset_ids)))
        if since is not None:
            query = query.where(cls.started_at >= since)
        if until is not None:
            query = query.where(cls.started_at < until)
        return dict(query.group_by(cls.asset).tuples())
