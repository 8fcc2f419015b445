"""Work orders with their human numbers, assignees and activity timeline.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def choice(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def up(migrator, db):
    class Asset(Model):
        class Meta:
            database = db
            table_name = "asset"

    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class Location(Model):
        class Meta:
            database = db
            table_name = "location"

    class Organisation(Model):
        class Meta:
            database = db
            table_name = "organisation"

    class Project(Model):
        class Meta:
            database = db
            table_name = "project"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class WorkOrder(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        location = ForeignKeyField(Location, on_delete="RESTRICT", index=False)
        client = ForeignKeyField(Client, on_delete="RESTRICT", index=False)
        project = ForeignKeyField(Project, on_delete="RESTRICT", index=False)
        asset = ForeignKeyField(Asset, null=True, on_delete="RESTRICT", index=False)
        number = IntegerField()
        title = CharField(max_length=200)
        description = TextField(default="")
        type = CharField(
            max_length=20,
            default="corrective",
            constraints=[choice("type", ("corrective", "preventive", "inspection", "emergency"))],
        )
        priority = CharField(
            max_length=20,
            default="medium",
            constraints=[choice("priority", ("low", "medium", "high", "urgent"))],
        )
        status = CharField(
            max_length=20,
            default="open",
            constraints=[
                choice(
                    "status", ("open", "in_progress", "on_hold", "completed", "closed", "cancelled")
                )
            ],
        )
        due_at = DateTimeField(null=True)
        estimated_hours = DecimalField(
            null=True, max_digits=7, decimal_places=2, constraints=[Check("estimated_hours >= 0")]
        )
        asset_down = BooleanField(default=False)
        status_reason = CharField(max_length=300, default="")
        completion_notes = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
        started_at = DateTimeField(null=True)
        completed_at = DateTimeField(null=True)
        completed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
        closed_at = DateTimeField(null=True)
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "work_order"
            indexes = (
                (("organisation", "number"), True),
                (("organisation", "status", "due_at"), False),
                (("project", "status", "due_at"), False),
                (("client", "status", "due_at"), False),
                (("location", "status", "due_at"), False),
                (("asset", "created_at"), False),
            )

    db.create_tables([WorkOrder])

    class Activity(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        kind = CharField(max_length=20)
        body = TextField()

        class Meta:
            database = db
            table_name = "activity"
            indexes = ((("work_order", "created_at"), False),)

    db.create_tables([Activity])

    class Assignment(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "assignment"
            indexes = ((("work_order", "user"), True), (("user", "work_order"), False))

    db.create_tables([Assignment])

    class Counter(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        name = CharField(max_length=40)
        value = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "counter"
            indexes = ((("organisation", "name"), True),)

    db.create_tables([Counter])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("counter"))
    migrator.migrate(migrator.drop_table("assignment"))
    migrator.migrate(migrator.drop_table("activity"))
    migrator.migrate(migrator.drop_table("work_order"))
