"""The board by technician at 1,000,000 orders: each assignment carries its order's open flag,
and while the order is open its due date and estimated hours, kept right by triggers, so an
organisation-wide viewer's workload is summed from one partial index of assignment alone.

Before, an admin's sums joined 20,000 overdue open orders to their assignments: a hash join
that read all 580,000 assignments (137 ms on PostgreSQL) or 20,000 index probes (75 ms).

The copies are the database's to keep, never the code's: an assignment takes its order's
values when it is inserted or its order id is written (as Model.save() does), and an
order's assignments follow it when it becomes finished or open again, or its due date or
estimate changes while it is open, by whatever UPDATE (a transition, an edit, a bulk
reschedule). Deleting an order deletes its assignments already (ON DELETE CASCADE).

A finished order's assignments keep no due date or estimate (NULL), as nothing reads them:
so only the few open orders' assignments are written here (3%: 17,600 of 580,000 rows on the
bench data; copying every row left PostgreSQL's table twice its size until a VACUUM FULL,
which cannot run in the migration's transaction), and edits of finished orders leave them be.

Frozen: the open statuses are written out here, as in 0009.
"""

from peewee import DateTimeField, DecimalField, PostgresqlDatabase

OPEN = "status NOT IN ('completed', 'closed', 'cancelled')"  # models/work_order.py is_open()
COPIES = ("is_open", "open_due_at", "open_hours")
INDEX = "assignment_open_work"
# (organisation, due date) leads, for the overdue, week and undated ranges; the technician
# and hours are carried, so the sums read nothing else.
KEY, CARRIED = "organisation_id, open_due_at", "user_id, open_hours"


def _values(order):
    """The COPIES of a work order row (`order`: its alias, or NEW)."""
    is_open = f"({order}.{OPEN})"
    return (
        is_open,
        f"CASE WHEN {is_open} THEN {order}.due_at END",
        f"CASE WHEN {is_open} THEN {order}.estimated_hours END",
    )


def _pairs(order, form):
    """Each copy's column and value from `order`, written by `form` (a SET, a SELECT)."""
    pairs = zip(COPIES, _values(order), strict=True)
    return ", ".join(form.format(column=column, value=value) for column, value in pairs)


def _set(order):
    return _pairs(order, "{column} = {value}")


def _changed(differs):
    """An order's change that its assignments follow (`differs`: the dialect's null-safe
    "not equal": IS DISTINCT FROM, or IS NOT on SQLite before 3.39)."""
    return (
        f"(OLD.{OPEN}) {differs} (NEW.{OPEN}) OR ((NEW.{OPEN}) AND"
        f" (OLD.due_at {differs} NEW.due_at OR OLD.estimated_hours {differs} NEW.estimated_hours))"
    )


FOLLOW = f"UPDATE assignment SET {_set('NEW')} WHERE work_order_id = NEW.id"
TAKEN = _pairs("o", "{value} AS {column}")
POSTGRES_UP = (
    f"""CREATE FUNCTION assignment_takes_order() RETURNS trigger AS $$
    DECLARE w record;
    BEGIN
        SELECT {TAKEN} INTO w FROM work_order AS o WHERE o.id = NEW.work_order_id;
        IF FOUND THEN  -- else the foreign key refuses the row, with its own message
            NEW.is_open := w.is_open;
            NEW.open_due_at := w.open_due_at;
            NEW.open_hours := w.open_hours;
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
    f"UPDATE assignment SET {_set('o')} FROM work_order AS o"
    " WHERE o.id = NEW.work_order_id AND assignment.id = NEW.id"
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
    # NOT NULL with a default in one step (the migrator's add_column would fill the column
    # by an UPDATE of every row, and rebuild SQLite's table for the NOT NULL).
    flag = "BOOLEAN NOT NULL DEFAULT FALSE" if postgres else "INTEGER NOT NULL DEFAULT 0"
    db.execute_sql(f"ALTER TABLE assignment ADD COLUMN is_open {flag}")
    migrator.migrate(
        migrator.add_column("assignment", "open_due_at", DateTimeField(null=True)),
        migrator.add_column(
            "assignment", "open_hours", DecimalField(max_digits=7, decimal_places=2, null=True)
        ),
    )
    db.execute_sql(
        f"UPDATE assignment AS a SET {_set('o')} FROM work_order AS o"
        f" WHERE o.id = a.work_order_id AND o.{OPEN}"
    )
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
        migrator.drop_column("assignment", "open_hours"),
        migrator.drop_column("assignment", "open_due_at"),
        migrator.drop_column("assignment", "is_open"),
    )
