"""Sign-off: a work order can require the client's signature, stored with the signer's name.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = "organisation"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class WorkOrder(Model):
        class Meta:
            database = db
            table_name = "work_order"

    migrator.migrate(
        migrator.add_column("work_order", "requires_signature", BooleanField(default=False))
    )

    class Signature(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        work_order = ForeignKeyField(WorkOrder, on_delete="CASCADE", unique=True)
        signer_name = CharField(max_length=120)
        signed_at = DateTimeField()
        storage_key = CharField(max_length=300, unique=True)
        size = IntegerField()
        taken_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "work_order_signature"

    db.create_tables([Signature])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("work_order_signature"))
    migrator.migrate(migrator.drop_column("work_order", "requires_signature"))
