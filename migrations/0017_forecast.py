"""The calendar's forecast: schedule occurrences not generated yet, as rows for the next 13
months (see models/forecast.py), indexed by the scope columns and due time.

The table starts empty: the periodic top-up (tasks/schedules.py, `extend_forecast`) builds
every schedule that has no rows, within the hour after the upgrade; `flask schedules
forecast` does it at once.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation, Location, Client, Project, Schedule, Asset = (
        _stub(db, n) for n in ("organisation", "location", "client", "project", "schedule", "asset")
    )

    class ForecastOccurrence(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        location = ForeignKeyField(Location, on_delete="CASCADE", index=False)
        client = ForeignKeyField(Client, on_delete="CASCADE", index=False)
        project = ForeignKeyField(Project, on_delete="CASCADE", index=False)
        schedule = ForeignKeyField(Schedule, on_delete="CASCADE", index=False)
        asset = ForeignKeyField(Asset, null=True, on_delete="CASCADE", index=False)
        assets = IntegerField(default=1)
        due_at = DateTimeField()

        class Meta:
            database = db
            table_name = "forecast_occurrence"
            indexes = (
                (("organisation", "due_at", "id"), False),
                (("location", "due_at", "id"), False),
                (("client", "due_at", "id"), False),
                (("project", "due_at", "id"), False),
                (("schedule", "due_at"), True),
            )

    db.create_tables([ForecastOccurrence])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("forecast_occurrence"))
