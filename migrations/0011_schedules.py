"""Preventive maintenance schedules, their default assignees, and the occurrences they have
generated (unique per schedule, asset and occurrence key: exactly once, in the database).

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

import datetime

from peewee import *


def choice(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation, Location, Client, Project, Asset, User, WorkOrder, Meter, Procedure = (
        _stub(db, n)
        for n in (
            "organisation", "location", "client", "project", "asset", "user", "work_order",
            "meter", "procedure",
        )
    )  # fmt: skip

    class Schedule(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        archived_at = DateTimeField(null=True)
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
        client = ForeignKeyField(Client, on_delete="RESTRICT", index=False)
        project = ForeignKeyField(Project, on_delete="RESTRICT", index=False)
        asset = ForeignKeyField(Asset, null=True, on_delete="RESTRICT", index=False)
        category = CharField(max_length=80, default="")
        title = CharField(max_length=200)
        description = TextField(default="")
        procedure = ForeignKeyField(Procedure, null=True, on_delete="SET NULL", index=False)
        estimated_hours = DecimalField(
            max_digits=7, decimal_places=2, null=True, constraints=[Check("estimated_hours >= 0")]
        )
        priority = CharField(
            max_length=20,
            default="medium",
            constraints=[choice("priority", ("low", "medium", "high", "urgent"))],
        )
        requires_signature = BooleanField(default=False)
        lead_days = IntegerField(default=0, constraints=[Check("lead_days >= 0")])
        missed_policy = CharField(
            max_length=10,
            default="latest",
            constraints=[choice("missed_policy", ("all", "latest"))],
        )
        one_open = BooleanField(default=False)
        paused = BooleanField(default=False)
        trigger = CharField(
            max_length=10,
            default="calendar",
            constraints=[choice("trigger", ("calendar", "meter", "either"))],
        )
        unit = CharField(
            max_length=10,
            default="month",
            constraints=[choice("unit", ("day", "week", "month", "year"))],
        )
        interval = IntegerField(default=1, constraints=[Check("interval >= 1")])
        weekdays = CharField(max_length=20, default="")
        month_day = IntegerField(null=True)
        mode = CharField(
            max_length=10, default="fixed", constraints=[choice("mode", ("fixed", "floating"))]
        )
        time_of_day = TimeField(default=datetime.time(8, 0))
        start_date = DateField()
        end_date = DateField(null=True)
        meter = ForeignKeyField(Meter, null=True, on_delete="SET NULL", index=False)
        meter_interval = DoubleField(null=True)
        next_meter_at = DoubleField(null=True)
        next_due_at = DateTimeField(null=True)
        generate_at = DateTimeField(null=True)
        waiting = BooleanField(default=False)
        last_order = ForeignKeyField(WorkOrder, null=True, on_delete="SET NULL", index=False)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            table_name = "schedule"
            indexes = (
                (("organisation", "title"), False),
                (("project", "title"), False),
                (("location", "title"), False),
                (("client", "title"), False),
                (("asset",), False),
                (("meter",), False),
                (("generate_at",), False),
                (("waiting", "last_order"), False),
            )
            constraints = [Check("end_date IS NULL OR end_date >= start_date")]

    class ScheduleAssignee(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        schedule = ForeignKeyField(Schedule, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "schedule_assignee"
            indexes = ((("schedule", "user"), True),)

    class Occurrence(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        schedule = ForeignKeyField(Schedule, on_delete="CASCADE", index=False)
        asset = ForeignKeyField(Asset, on_delete="CASCADE", index=False)
        key = CharField(max_length=40)
        due_at = DateTimeField()
        late = BooleanField(default=False)
        work_order = ForeignKeyField(WorkOrder, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            table_name = "occurrence"
            indexes = (
                (("schedule", "asset", "key"), True),
                (("work_order",), False),
                (("schedule", "due_at"), False),
            )

    db.create_tables([Schedule, ScheduleAssignee, Occurrence])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("occurrence"))
    migrator.migrate(migrator.drop_table("schedule_assignee"))
    migrator.migrate(migrator.drop_table("schedule"))
