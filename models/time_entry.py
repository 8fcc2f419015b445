"""Time spent on a work order, per technician: a start/stop timer or a duration typed in.

A person has at most one running timer in the whole organisation (a partial unique index
says so in the database too): starting one on another order stops the one that runs, and
the timeline of both orders says so. Every entry is between one minute and 24 hours.
"""

import datetime
import re

from peewee import CharField, Check, DateTimeField, ForeignKeyField, IntegerField, IntegrityError

from .base import BaseModel, choice_check, db, is_postgres, utcnow
from .clock import local_to_utc, utc_to_local
from .organisation import Organisation
from .user import User
from .work_order import WorkOrder
from .work_order_records import (
    RecordError,
    check_open_for_records,
    format_minutes,
    log,
)

MAX_MINUTES = 24 * 60
SOURCES = ("timer", "manual")
# Timers run while the work can happen; a completed order takes late manual entries only.
TIMER_STATUSES = ("open", "in_progress", "on_hold")
OLDEST_DAYS = 366

_HOURS_MINUTES = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_DECIMAL_HOURS = re.compile(r"^(\d{1,3})(?:[.,](\d{1,3}))?\s*h?$")
_UNITS = re.compile(r"^(?:(\d{1,3})\s*h)?\s*(?:(\d{1,4})\s*m(?:in)?)?$")


def parse_duration(text):
    """Minutes from what a person types: "1:30", "1.5", "1,5", "2h", "45m", "1h 30m".
    Refuses zero, negative, unreadable and over-24-hour durations with a message."""
    value = (text or "").strip().lower()
    if not value:
        raise RecordError("Enter how long, e.g. 1:30 or 1.5.", "duration")
    if value.startswith("-"):
        raise RecordError("A duration cannot be negative.", "duration")
    minutes = None
    if match := _HOURS_MINUTES.match(value):
        minutes = int(match[1]) * 60 + int(match[2])
    elif match := _DECIMAL_HOURS.match(value):
        fraction = float("0." + match[2]) if match[2] else 0.0
        minutes = round((int(match[1]) + fraction) * 60)
    elif (match := _UNITS.match(value)) and (match[1] or match[2]):
        minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if minutes is None:
        raise RecordError("Write hours and minutes as 1:30, or hours as 1.5.", "duration")
    if minutes < 1:
        raise RecordError("Enter at least one minute.", "duration")
    if minutes > MAX_MINUTES:
        raise RecordError("One entry can be at most 24 hours; split longer work.", "duration")
    return minutes


def check_day(day, tz_name):
    """A working day at the site: not in the future, not more than a year back."""
    today = utc_to_local(utcnow(), tz_name).date()
    if day is None:
        raise RecordError("Enter the date.", "day")
    if day > today:
        raise RecordError("Time cannot be logged for a day still to come.", "day")
    if day < today - datetime.timedelta(days=OLDEST_DAYS):
        raise RecordError("Enter a date within the last year.", "day")


class TimeEntry(BaseModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
    work_order = ForeignKeyField(
        WorkOrder, backref="time_entries", on_delete="CASCADE", index=False
    )
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    source = CharField(max_length=10, constraints=[choice_check("source", SOURCES)])
    started_at = DateTimeField()
    ended_at = DateTimeField(null=True)  # none while the timer runs
    minutes = IntegerField(null=True, constraints=[Check(f"minutes BETWEEN 0 AND {MAX_MINUTES}")])
    note = CharField(max_length=300, default="")

    class Meta:
        indexes = (
            (("work_order", "started_at"), False),
            (("user", "started_at"), False),
        )

    @property
    def running(self):
        return self.ended_at is None

    @property
    def duration(self):
        return format_minutes(self.minutes) if self.minutes is not None else ""

    def local_day(self, tz_name):
        return utc_to_local(self.started_at, tz_name).date()

    @classmethod
    def running_for(cls, user):
        """The person's running timer, anywhere, with its order's number (or None)."""
        return (
            cls.select(cls, WorkOrder.id, WorkOrder.number, WorkOrder.title)
            .join(WorkOrder)
            .where(cls.user == user.id, cls.ended_at.is_null())
            .first()
        )

    @classmethod
    def start(cls, actor, order):
        """Start the person's timer here; returns (entry, the order whose timer was stopped
        to allow it, or None)."""
        with db.atomic():
            check_open_for_records(order)
            if order.status not in TIMER_STATUSES:
                raise RecordError("Timers run on open work; log the time by hand instead.")
            query = cls.select().where(cls.user == actor.id, cls.ended_at.is_null())
            running = (query.for_update() if is_postgres() else query).first()
            stopped = None
            if running is not None:
                if running.work_order_id == order.id:
                    raise RecordError("Your timer is already running on this order.")
                stopped = WorkOrder.get_by_id(running.work_order_id)
                running._finish(actor, stopped, utcnow())
            try:
                with db.atomic():
                    entry = cls.create(
                        organisation=order.organisation_id,
                        work_order=order.id,
                        user=actor.id,
                        source="timer",
                        started_at=utcnow(),
                    )
            except IntegrityError:  # a second start at the same moment lost the race
                raise RecordError("Your timer is already running.") from None
            body = "Started the timer" + (
                f" (stopped it on {stopped.reference})" if stopped else ""
            )
            log(order, actor, "time", body, "timer_start", entry)
        return entry, stopped

    @classmethod
    def stop(cls, actor, order, owner_id=None):
        """Stop the timer of `owner_id` (default: the actor's own) on this order; returns the
        entry, or None when it ran for less than a minute (then nothing is kept). A manager
        may stop someone's forgotten timer; the view checks that."""
        owner_id = owner_id or actor.id
        with db.atomic():
            query = cls.select().where(
                cls.user == owner_id, cls.work_order == order.id, cls.ended_at.is_null()
            )
            running = (query.for_update() if is_postgres() else query).first()
            if running is None:
                raise RecordError(
                    "Your timer is not running on this order."
                    if owner_id == actor.id
                    else "That timer is not running any more."
                )
            return running._finish(actor, order, utcnow())

    def _finish(self, actor, order, now):
        minutes = round((now - self.started_at).total_seconds() / 60)
        if minutes < 1:
            log(
                order,
                actor,
                "time",
                "Stopped the timer within a minute: nothing logged",
                "timer_discard",
                self,
            )
            self.delete_instance()
            return None
        capped = minutes > MAX_MINUTES
        self.minutes, self.ended_at = min(minutes, MAX_MINUTES), now
        self.save()
        body = f"Logged {self.duration} by the timer" + (
            " (it ran over 24 hours and was cut to 24:00: correct it if needed)" if capped else ""
        )
        log(order, actor, "time", body, "timer_stop", self, {"minutes": (None, self.minutes)})
        self.capped = capped
        return self

    @classmethod
    def add_manual(cls, actor, order, day, minutes, note, tz_name):
        """A duration typed in for a day at the site."""
        check_day(day, tz_name)
        with db.atomic():
            check_open_for_records(order)
            started = local_to_utc(datetime.datetime.combine(day, datetime.time()), tz_name)
            entry = cls.create(
                organisation=order.organisation_id,
                work_order=order.id,
                user=actor.id,
                source="manual",
                started_at=started,
                ended_at=started + datetime.timedelta(minutes=minutes),
                minutes=minutes,
                note=note[:300],
            )
            log(
                order,
                actor,
                "time",
                f"Logged {entry.duration} on {day:%d %b %Y}",
                "time_add",
                entry,
                {"minutes": (None, minutes), "note": (None, note)},
            )
        return entry

    def change(self, actor, order, day, minutes, note, tz_name):
        """Correct a finished entry: its day (keeping the time of day), length and note."""
        if self.running:
            raise RecordError("Stop the timer before changing the entry.")
        check_day(day, tz_name)
        local_start = utc_to_local(self.started_at, tz_name)
        started = local_to_utc(datetime.datetime.combine(day, local_start.time()), tz_name)
        changes = {
            name: (old, new)
            for name, old, new in (
                ("minutes", self.minutes, minutes),
                ("started_at", self.started_at, started),
                ("note", self.note, note),
            )
            if old != new
        }
        if not changes:
            return changes
        with db.atomic():
            check_open_for_records(order)
            self.started_at, self.minutes, self.note = started, minutes, note[:300]
            self.ended_at = started + datetime.timedelta(minutes=minutes)
            self.save()
            log(
                order,
                actor,
                "time",
                f"Changed a time entry to {self.duration} on {day:%d %b %Y}",
                "time_update",
                self,
                changes,
            )
        return changes

    def remove(self, actor, order):
        with db.atomic():
            check_open_for_records(order)
            what = "a running timer" if self.running else f"a time entry of {self.duration}"
            log(
                order,
                actor,
                "time",
                f"Removed {what}",
                "time_delete",
                self,
                {"minutes": (self.minutes, None)},
            )
            self.delete_instance()


# One running timer per person, kept by the database as well as by `start`.
TimeEntry.add_index(
    TimeEntry.index(
        TimeEntry.user, unique=True, where=TimeEntry.ended_at.is_null(), name="time_entry_running"
    )
)


def timer_blockers(order):
    """Running timers keep an order from completing: their time is not counted yet."""
    names = [
        name or "Someone"
        for (name,) in TimeEntry.select(User.name)
        .join(User, on=(TimeEntry.user == User.id))
        .where(TimeEntry.work_order == order.id, TimeEntry.ended_at.is_null())
        .tuples()
    ]
    if not names:
        return []
    who = ", ".join(names)
    return [f"Stop the timer of {who} first: running time is not counted yet."]
