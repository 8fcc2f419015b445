"""Meters with readings, and documents and photos attached to assets.

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *


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

    class Document(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="RESTRICT")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        asset = ForeignKeyField(Asset, on_delete="CASCADE")
        kind = CharField(
            max_length=20,
            constraints=[
                Check("kind IN ('photo', 'manual', 'certificate', 'drawing', 'report', 'other')")
            ],
        )
        title = CharField(max_length=200)
        filename = CharField(max_length=200)
        content_type = CharField(max_length=100)
        size = IntegerField()
        sha256 = CharField(max_length=64)
        storage_key = CharField(unique=True, max_length=300)
        thumbnail_key = CharField(null=True, max_length=300)
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "document"
            indexes = ((("asset", "created_at"), False),)

    db.create_tables([Document])

    class Meter(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        location = ForeignKeyField(Location, on_delete="RESTRICT")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        asset = ForeignKeyField(Asset, on_delete="CASCADE")
        name = CharField(max_length=80)
        unit = CharField(max_length=20)
        increasing = BooleanField(default=True)
        lower_limit = DoubleField(null=True)
        upper_limit = DoubleField(null=True)
        last_value = DoubleField(null=True)
        last_read_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "meter"
            indexes = ((("asset", "name"), True),)

    db.create_tables([Meter])

    class MeterReading(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE")
        meter = ForeignKeyField(Meter, on_delete="CASCADE")
        value = DoubleField()
        read_at = DateTimeField()
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        note = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "meter_reading"
            indexes = ((("meter", "read_at"), False),)

    db.create_tables([MeterReading])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("meter_reading"))
    migrator.migrate(migrator.drop_table("meter"))
    migrator.migrate(migrator.drop_table("document"))
