"""Calendar feeds: one private iCalendar link per user, stored as a nonce and a token hash;
and the calendar's index on work orders (see models/calendar_feed.py).

Frozen copies of the models as they were at this migration; referenced tables are stubs.
"""

from peewee import *
from peewee import PostgresqlDatabase


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
    if isinstance(db, PostgresqlDatabase):
        columns = "organisation_id, due_at) INCLUDE (status, estimated_hours, id"
    else:
        columns = "organisation_id, due_at, status, estimated_hours"
    db.execute_sql(
        f"CREATE INDEX work_order_calendar ON work_order ({columns}) WHERE due_at IS NOT NULL"
    )
    if not isinstance(db, PostgresqlDatabase) and "sqlite_stat1" in db.get_tables():
        db.execute_sql("ANALYZE work_order")  # statistics for the new index too


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS work_order_calendar")
    migrator.migrate(migrator.drop_table("calendar_feed"))
