"""Alerts: preferences per kind (the organisation's defaults and each person's own), alert
settings, marks of time-based alerts already raised (once per state), one-click action
tokens, and a client's choice to hear of completed work.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *

KINDS = (
    "assigned", "unassigned", "due_changed", "due_soon", "overdue", "escalation",
    "pm_generated", "completed", "mention", "warranty", "meter_limit",
)  # fmt: skip


def choice(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def _models(db):
    Organisation, User, WorkOrder = (_stub(db, n) for n in ("organisation", "user", "work_order"))

    class AlertPreference(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
        kind = CharField(max_length=30, constraints=[choice("kind", KINDS)])
        channel = CharField(
            max_length=10, constraints=[choice("channel", ("app", "email", "both"))]
        )
        timing = CharField(max_length=10, constraints=[choice("timing", ("immediate", "digest"))])

        class Meta:
            database = db
            table_name = "alert_preference"

    class AlertSettings(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
        digest_hour = IntegerField(null=True, constraints=[Check("digest_hour BETWEEN 0 AND 23")])
        due_soon_hours = IntegerField(null=True)
        escalate_after_hours = IntegerField(null=True)

        class Meta:
            database = db
            table_name = "alert_settings"

    for model, columns in ((AlertPreference, ("kind",)), (AlertSettings, ())):
        cols = [getattr(model, c) for c in columns]
        name = model._meta.table_name
        model.add_index(
            model.index(
                model.organisation,
                *cols,
                unique=True,
                where=model.user.is_null(),
                name=f"{name}_org",
            )
        )
        model.add_index(
            model.index(
                model.user, *cols, unique=True, where=model.user.is_null(False), name=f"{name}_user"
            )
        )

    class AlertMark(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        event = CharField(max_length=20)
        subject = IntegerField()
        marker = DateTimeField()

        class Meta:
            database = db
            table_name = "alert_mark"
            indexes = ((("event", "subject", "marker"), True),)

    class ActionToken(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        action = CharField(max_length=20, constraints=[choice("action", ("acknowledge", "start"))])
        nonce = CharField(max_length=32, unique=True)
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "action_token"

    return [AlertPreference, AlertSettings, AlertMark, ActionToken]


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("client", "completion_alerts", BooleanField(default=False))
    )
    db.create_tables(_models(db))


def down(migrator, db):
    for table in ("action_token", "alert_mark", "alert_settings", "alert_preference"):
        migrator.migrate(migrator.drop_table(table))
    migrator.migrate(migrator.drop_column("client", "completion_alerts"))
