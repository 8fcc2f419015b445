"""Recording the work on an order: time entries, parts used, comments and their mentions,
files and photos, downtime periods.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def _stub(db, name):
    class Meta:
        database = db
        table_name = name

    return type(name.title().replace("_", ""), (Model,), {"Meta": Meta})


def up(migrator, db):
    Organisation, User = _stub(db, "organisation"), _stub(db, "user")
    WorkOrder, Asset, Activity = _stub(db, "work_order"), _stub(db, "asset"), _stub(db, "activity")

    class TimeEntry(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
        source = CharField(max_length=10, constraints=[Check("source IN ('timer', 'manual')")])
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        minutes = IntegerField(null=True, constraints=[Check("minutes BETWEEN 0 AND 1440")])
        note = CharField(max_length=300, default="")

        class Meta:
            database = db
            table_name = "time_entry"
            indexes = ((("work_order", "started_at"), False), (("user", "started_at"), False))

    TimeEntry.add_index(
        TimeEntry.index(
            TimeEntry.user,
            unique=True,
            where=TimeEntry.ended_at.is_null(),
            name="time_entry_running",
        )
    )

    class PartUsed(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", index=False)
        description = CharField(max_length=200)
        quantity = DecimalField(
            max_digits=10, decimal_places=3, constraints=[Check("quantity > 0")]
        )
        unit_cost = DecimalField(
            max_digits=10, decimal_places=2, constraints=[Check("unit_cost >= 0")]
        )
        added_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            table_name = "part_used"
            indexes = ((("work_order", "created_at"), False),)

    class Downtime(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", index=False)
        asset = ForeignKeyField(Asset, on_delete="CASCADE", index=False)
        started_at = DateTimeField()
        ended_at = DateTimeField()
        minutes = IntegerField(constraints=[Check("minutes > 0")])
        note = CharField(max_length=300, default="")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            table_name = "downtime"
            indexes = ((("work_order", "started_at"), False), (("asset", "started_at"), False))

    class Comment(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
        body = TextField()
        activity = ForeignKeyField(Activity, null=True, on_delete="SET NULL", unique=True)

        class Meta:
            database = db
            table_name = "comment"
            indexes = ((("work_order", "created_at"), False),)

    class Mention(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        comment = ForeignKeyField(Comment, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, on_delete="CASCADE", index=False)

        class Meta:
            database = db
            table_name = "mention"
            indexes = ((("comment", "user"), True), (("user", "created_at"), False))

    class WorkOrderFile(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", index=False)
        filename = CharField(max_length=200)
        content_type = CharField(max_length=100)
        size = IntegerField()
        sha256 = CharField(max_length=64)
        storage_key = CharField(max_length=300, unique=True)
        thumbnail_key = CharField(max_length=300, null=True)
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)

        class Meta:
            database = db
            table_name = "work_order_file"
            indexes = ((("work_order", "created_at"), False),)

    db.create_tables([TimeEntry, PartUsed, Downtime, Comment, Mention, WorkOrderFile])


def down(migrator, db):
    for table in ("work_order_file", "mention", "comment", "downtime", "part_used", "time_entry"):
        migrator.migrate(migrator.drop_table(table))
