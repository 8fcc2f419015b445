"""Notifications (the in-app alerts) and the email outbox with its attachments: each row
unique by its idempotency key, so an alert is written once however often it is raised.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def choice(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation, User, WorkOrder = (_stub(db, n) for n in ("organisation", "user", "work_order"))

    class Notification(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)
        kind = CharField(max_length=30)
        occurrence = CharField(max_length=120)
        title = CharField(max_length=300)
        body = TextField(default="")
        url = CharField(max_length=500, default="")
        work_order = ForeignKeyField(WorkOrder, null=True, on_delete="CASCADE", index=False)
        in_app = BooleanField(default=True)
        email = CharField(
            max_length=10,
            default="none",
            constraints=[choice("email", ("none", "immediate", "digest"))],
        )
        digested_at = DateTimeField(null=True)
        read_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "notification"
            indexes = (
                (("user", "kind", "occurrence"), True),
                (("user", "in_app", "read_at"), False),
                (("user", "created_at"), False),
                (("work_order",), False),
            )

    class OutboxEmail(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, null=True, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        event = CharField(max_length=40)
        recipient = CharField(max_length=254)
        occurrence = CharField(max_length=120)
        subject = CharField(max_length=500)
        text_body = TextField()
        html_body = TextField(default="")
        headers = TextField(default="{}")
        message_id = CharField(max_length=200)
        status = CharField(
            max_length=10,
            default="pending",
            constraints=[
                choice("status", ("pending", "sending", "sent", "failed", "kept", "cancelled"))
            ],
        )
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        claim = CharField(max_length=32, null=True)
        sent_at = DateTimeField(null=True)
        last_error = CharField(max_length=500, default="")

        class Meta:
            database = db
            table_name = "outbox_email"
            indexes = (
                (("event", "recipient", "occurrence"), True),
                (("status", "next_attempt_at"), False),
                (("organisation", "status", "id"), False),
            )

    class OutboxAttachment(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        email = ForeignKeyField(OutboxEmail, on_delete="CASCADE")
        filename = CharField(max_length=200)
        content_type = CharField(max_length=100)
        content = BlobField()

        class Meta:
            database = db
            table_name = "outbox_attachment"

    db.create_tables([Notification, OutboxEmail, OutboxAttachment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("outbox_attachment"))
    migrator.migrate(migrator.drop_table("outbox_email"))
    migrator.migrate(migrator.drop_table("notification"))
