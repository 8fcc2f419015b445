"""Scheduled delivery of monthly reports: per client or project, a day of the month and the
recipients, and the last month sent (see models/report_delivery.py).

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation, Location, Client, Project, User = (
        _stub(db, n) for n in ("organisation", "location", "client", "project", "user")
    )

    class ReportDelivery(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
        client = ForeignKeyField(Client, on_delete="CASCADE")
        project = ForeignKeyField(Project, null=True, on_delete="CASCADE")
        day = IntegerField(constraints=[Check("day BETWEEN 1 AND 28")])
        recipients = TextField()
        active = BooleanField(default=True)
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        last_period = CharField(max_length=7, default="")
        last_sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "report_delivery"
            indexes = ((("organisation", "active"), False),)

    db.create_tables([ReportDelivery])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("report_delivery"))
