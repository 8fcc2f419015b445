"""Calendar feeds: one private iCalendar link per user, stored as a nonce and a token hash.

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

    class CalendarFeed(Model):
        created_at = DateTimeField()
        updated_at = DateTimeField()
        organisation = ForeignKeyField(Organisation, on_delete="CASCADE", index=False)
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        nonce = CharField(max_length=64)
        token_hash = CharField(max_length=64, unique=True)
        last_fetched_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "calendar_feed"

    db.create_tables([CalendarFeed])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("calendar_feed"))
