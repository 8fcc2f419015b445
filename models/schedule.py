"""Preventive maintenance schedules: recurring work for one asset or a group of assets, and
the occurrences they have generated.

A schedule keeps its next calendar due time (`next_due_at`) and the time its work order is
to be created (`generate_at` = due minus the lead time) in indexed columns, so the periodic
pass finds what is due with one query instead of working out every schedule in Python.
An occurrence row is unique per (schedule, asset, key): the database, not only the code,
makes sure each occurrence yields one work order however often or concurrently generation
runs. Rules for the less obvious cases:

- A group schedule (an asset category in a project) is resolved when it generates, so assets
  added later are picked up; it runs on the fixed calendar only. Floating and meter schedules
  belong to one asset, whose completions and meter they follow.
- "Whichever comes first" (trigger "either") is floating on both counts: when its order is
  completed, the next calendar due is counted from the completion day and the next meter
  threshold from the meter's value then, whichever of the two triggered it.
- Editing changes future occurrences only: generated orders keep what they were given, and
  the next due is recomputed from the edit day (never before it, so nothing missed is
  created by an edit).
"""

import datetime

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    DecimalField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
    TimeField,
)

from .asset import Asset
from .base import AuditedModel, BaseModel, choice_check
from .client import Client
from .clock import local_day_bounds
from .location import Location
from .meter import Meter
from .organisation import Organisation
from .procedure import Procedure
from .project import Project
from .recurrence import UNITS, Rule, local_date
from .user import User
from .work_order import PRIORITIES, WorkOrder

TRIGGERS = ("calendar", "meter", "either")
TRIGGER_LABELS = {
    "calendar": "By calendar",
    "meter": "By meter",
    "either": "Meter or calendar, whichever comes first",
}
MODES = ("fixed", "floating")
MISSED_POLICIES = ("all", "latest")
MISSED_LABELS = {
    "all": "Create every missed occurrence",
    "latest": "Create only the latest, marked late",
}


class ScheduleError(ValueError):
    """A schedule we refuse to save or generate; `field` names where the message goes."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class Schedule(AuditedModel):
    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
    client = ForeignKeyField(Client, on_delete="RESTRICT", index=False)
    project = ForeignKeyField(Project, on_delete="RESTRICT", index=False)
    asset = ForeignKeyField(Asset, null=True, on_delete="RESTRICT", index=False)
    category = CharField(max_length=80, default="")  # a group: this category in the project
    title = CharField(max_length=200)
    description = TextField(default="")
    procedure = ForeignKeyField(Procedure, null=True, on_delete="SET NULL", index=False)
    estimated_hours = DecimalField(
        max_digits=7, decimal_places=2, null=True, constraints=[Check("estimated_hours >= 0")]
    )
    priority = CharField(
        max_length=20, default="medium", constraints=[choice_check("priority", PRIORITIES)]
    )
    requires_signature = BooleanField(default=False)
    lead_days = IntegerField(default=0, constraints=[Check("lead_days >= 0")])
    missed_policy = CharField(
        max_length=10,
        default="latest",
        constraints=[choice_check("missed_policy", MISSED_POLICIES)],
    )
    one_open = BooleanField(default=False)
    paused = BooleanField(default=False)
    trigger = CharField(
        max_length=10, default="calendar", constraints=[choice_check("trigger", TRIGGERS)]
    )
    unit = CharField(max_length=10, default="month", constraints=[choice_check("unit", UNITS)])
    interval = IntegerField(default=1, constraints=[Check("interval >= 1")])
    weekdays = CharField(max_length=20, default="")  # "0,3": Monday and Thursday
    month_day = IntegerField(null=True)
    mode = CharField(max_length=10, default="fixed", constraints=[choice_check("mode", MODES)])
    time_of_day = TimeField(default=datetime.time(8, 0))
    start_date = DateField()
    end_date = DateField(null=True)
    meter = ForeignKeyField(Meter, null=True, on_delete="SET NULL", index=False)
    meter_interval = DoubleField(null=True)
    next_meter_at = DoubleField(null=True)  # the meter value that triggers the next order
    next_due_at = DateTimeField(null=True)  # UTC; NULL: waiting (completion, meter, or ended)
    generate_at = DateTimeField(null=True)  # next_due_at minus the lead time
    waiting = BooleanField(default=False)  # for its last order to be completed or cancelled
    last_order = ForeignKeyField(WorkOrder, null=True, on_delete="SET NULL", index=False)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

    class Meta:
        indexes = (
            (("organisation", "title"), False),
            (("project", "title"), False),
            (("location", "title"), False),
            (("client", "title"), False),
            (("asset",), False),
            (("meter",), False),
            # The periodic pass's one query: schedules whose order is due to be created
            # (paused and archived schedules have none), and those waiting for an order.
            (("generate_at",), False),
            (("waiting", "last_order"), False),
        )
        constraints = [Check("end_date IS NULL OR end_date >= start_date")]

    def __str__(self):
        return self.title

    def breadcrumbs(self):
        return [self.location, self.client, self.project, self]

    @property
    def is_group(self):
        return self.asset_id is None

    @property
    def is_active(self):
        return not self.paused and self.archived_at is None

    def weekday_list(self):
        return tuple(int(d) for d in self.weekdays.split(",") if d.strip().isdigit())

    def rule(self, tz=None):
        """The calendar rule in the site's time zone."""
        return Rule(
            unit=self.unit,
            interval=max(1, self.interval or 1),
            start=self.start_date,
            end=self.end_date,
            weekdays=self.weekday_list() if self.unit == "week" else (),
            month_day=self.month_day if self.unit == "month" else None,
            time_of_day=self.time_of_day,
            tz=tz or self.location.timezone,
        )

    @property
    def uses_calendar(self):
        return self.trigger in ("calendar", "either")

    @property
    def uses_meter(self):
        return self.trigger in ("meter", "either")

    @property
    def floating(self):
        return self.trigger == "either" or (self.trigger == "calendar" and self.mode == "floating")

    def archive(self, actor):
        """Archived: no more orders; the orders it made stay as they are."""
        from .forecast import rebuild_forecast

        super().archive(actor)
        Schedule.update(generate_at=None).where(Schedule.id == self.id).execute()
        rebuild_forecast([self.id])

    def assignee_ids(self):
        return [
            user_id
            for (user_id,) in ScheduleAssignee.select(ScheduleAssignee.user)
            .where(ScheduleAssignee.schedule == self.id)
            .tuples()
        ]


class ScheduleAssignee(BaseModel):
    """The people a schedule's orders are assigned to (members of its project's team)."""

    schedule = ForeignKeyField(Schedule, backref="assignees", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("schedule", "user"), True),)


class Occurrence(BaseModel):
    """One due occurrence of a schedule for one asset, and the order it yielded. The key is
    the local due date ("2026-03-31") or the meter threshold ("m:1500")."""

    organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
    schedule = ForeignKeyField(Schedule, backref="occurrences", on_delete="CASCADE", index=False)
    asset = ForeignKeyField(Asset, on_delete="CASCADE", index=False)
    key = CharField(max_length=40)
    due_at = DateTimeField()
    deadline_at = DateTimeField()  # the end of the due date at the site: on time if done by then
    late = BooleanField(default=False)
    work_order = ForeignKeyField(WorkOrder, null=True, on_delete="SET NULL", index=False)

    class Meta:
        indexes = (
            (("schedule", "asset", "key"), True),
            (("work_order",), False),
            (("schedule", "due_at"), False),
            (("organisation", "due_at"), False),
        )

    @staticmethod
    def deadline_for(due, tz):
        """Compliance counts a PM order on time when it is done by the end of its due date."""
        return local_day_bounds(local_date(due, tz), tz)[1]
