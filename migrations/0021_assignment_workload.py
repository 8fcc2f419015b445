"""The board by technician at 1,000,000 orders: each assignment carries its order's open flag,
due date and estimated hours, kept right by triggers, so an organisation-wide viewer's
workload is summed from one partial index of assignment alone.

Before, an admin's sums joined 20,000 overdue open orders to their assignments: a hash join
that read all 580,000 assignments (137 ms on PostgreSQL) or 20,000 index probes (75 ms).

The copies are the database's to keep, never the code's: an assignment takes its order's
values when it is inserted or its order id is written (as Model.save() does), and an
order's assignments follow it when its status leaves or re-enters the open ones, or its due
date or estimate changes, by whatever UPDATE (a transition, an edit, a bulk reschedule).
Deleting an order deletes its assignments already (ON DELETE CASCADE).

Frozen: the open statuses are written out here, as in 0009.
"""

from peewee import DateTimeField, DecimalField, PostgresqlDatabase

OPEN = "status NOT IN ('completed', 'closed', 'cancelled')"  # models/work_order.py is_open()
INDEX = "assignment_open_work"
# (organisation, due date) leads, for the overdue, week and undated ranges; the technician
# and hours are carried, so the sums read nothing else.
KEY, CARRIED = "organisation_id, due_at", "user_id, estimated_hours"


def _changed(differs):
    """The order's values changed, as far as its assignments care (`differs`: the dialect's
    null-safe "not equal": IS DISTINCT FROM, or IS NOT on SQLite before 3.39)."""
    return (
        f"(OLD.{OPEN}) {differs} (NEW.{OPEN}) OR OLD.due_at {differs} NEW.due_at"
        f" OR OLD.estimated_hours {differs} NEW.estimated_hours"
    )


FOLLOW = (
    f"UPDATE assignment SET is_open = (NEW.{OPEN}), due_at = NEW.due_at,"
    " estimated_hours = NEW.estimated_hours WHERE work_order_id = NEW.id"
)

POSTGRES_UP = (
    f"""CREATE FUNCTION assignment_takes_order() RETURNS trigger AS $$
    DECLARE w record;
    BEGIN
        SELECT ({OPEN}) AS is_open, due_at, estimated_hours INTO w
        FROM work_order WHERE id = NEW.work_order_id;
        IF FOUND THEN  -- else the foreign key refuses the row, with its own message
            NEW.is_open := w.is_open;
            NEW.due_at := w.due_at;
            NEW.estimated_hours := w.estimated_hours;
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER assignment_takes_order BEFORE INSERT OR UPDATE OF work_order_id"
    " ON assignment FOR EACH ROW EXECUTE FUNCTION assignment_takes_order()",
    f"""CREATE FUNCTION assignment_follows_order() RETURNS trigger AS $$
    BEGIN
        {FOLLOW};
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER assignment_follows_order AFTER UPDATE OF status, due_at, estimated_hours"
    f" ON work_order FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')})"
    " EXECUTE FUNCTION assignment_follows_order()",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS assignment_follows_order ON work_order",
    "DROP FUNCTION IF EXISTS assignment_follows_order()",
    "DROP TRIGGER IF EXISTS assignment_takes_order ON assignment",
    "DROP FUNCTION IF EXISTS assignment_takes_order()",
)

# SQLite cannot change NEW in a BEFORE trigger: the row is updated after it is written.
# An UPDATE ... FROM changes nothing when the order is missing, so the foreign key refuses
# the row with its own message.
TAKE = (
    f"UPDATE assignment SET is_open = (w.{OPEN}), due_at = w.due_at,"
    " estimated_hours = w.estimated_hours FROM work_order AS w"
    " WHERE w.id = NEW.work_order_id AND assignment.id = NEW.id"
)
SQLITE_UP = (
    f"CREATE TRIGGER assignment_takes_order AFTER INSERT ON assignment BEGIN {TAKE}; END",
    "CREATE TRIGGER assignment_takes_other_order AFTER UPDATE OF work_order_id ON assignment"
    f" BEGIN {TAKE}; END",
    "CREATE TRIGGER assignment_follows_order AFTER UPDATE OF status, due_at, estimated_hours"
    f" ON work_order WHEN {_changed('IS NOT')} BEGIN {FOLLOW}; END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS assignment_follows_order",
    "DROP TRIGGER IF EXISTS assignment_takes_other_order",
    "DROP TRIGGER IF EXISTS assignment_takes_order",
)


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    flag = "BOOLEAN NOT NULL DEFAULT FALSE" if postgres else "INTEGER NOT NULL DEFAULT 0"
    db.execute_sql(f"ALTER TABLE assignment ADD COLUMN is_open {flag}")  # no table rewrite
    migrator.migrate(
        migrator.add_column("assignment", "due_at", DateTimeField(null=True)),
        migrator.add_column(
            "assignment", "estimated_hours", DecimalField(max_digits=7, decimal_places=2, null=True)
        ),
    )
    db.execute_sql(
        f"UPDATE assignment AS a SET is_open = (w.{OPEN}), due_at = w.due_at,"
        " estimated_hours = w.estimated_hours FROM work_order AS w WHERE w.id = a.work_order_id"
    )
    if postgres:
        # Every row was written again: rewrite the table compactly, or it stays twice its
        # size (VACUUM FULL cannot run in the migration's transaction; CLUSTER can).
        db.execute_sql("CLUSTER assignment USING assignment_pkey")
        db.execute_sql("ALTER TABLE assignment SET WITHOUT CLUSTER")
    for sql in POSTGRES_UP if postgres else SQLITE_UP:
        db.execute_sql(sql)
    columns = f"{KEY}) INCLUDE ({CARRIED}" if postgres else f"{KEY}, {CARRIED}"
    db.execute_sql(f"CREATE INDEX {INDEX} ON assignment ({columns}) WHERE is_open")
    if postgres or "sqlite_stat1" in db.get_tables():
        db.execute_sql("ANALYZE assignment")  # statistics for the new columns and index


def down(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    for sql in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        db.execute_sql(sql)
    db.execute_sql(f"DROP INDEX IF EXISTS {INDEX}")
    migrator.migrate(
        migrator.drop_column("assignment", "estimated_hours"),
        migrator.drop_column("assignment", "due_at"),
        migrator.drop_column("assignment", "is_open"),
    )
