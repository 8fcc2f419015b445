"""Work order lists of a technician (their projects' orders) or a client user (their
client's orders) at 1,000,000 orders: an index led by the project and one led by the client
that carry every column those lists filter and sort on, so a page of a few thousand visible
orders is counted and sorted from the index alone, without reading a row of the table.

Without them, the technician's "any status" list walked the organisation's sort index
looking up each row for its project (2% of them match: 500,000 lookups for page 400), or
read their 20,000 rows one by one from the table; 150-700 ms. The (project, status, due)
and (client, status, due) indexes of 0004 are their prefixes and go; (location, status, due)
gains the organisation, so a limited manager's lists are counted from that index alone.

On PostgreSQL the columns after the due date are INCLUDEd (carried, not sorted on).

The open work's backwards due date index of 0009 also carries the estimated hours, like its
forward twin: PostgreSQL spells "(due_at IS NULL) = FALSE" as "due_at IS NOT NULL", which is
this index's first column, so the board's week of workload is read from it, index-only.

My work's two indexes of 0009 (a technician's projects' open work by due date, and finished
work by completion time) carry what My work reads of them (organisation, priority, status,
id), so its few hundred rows are read from the indexes alone.
"""

from peewee import PostgresqlDatabase

# (name, leading scope column, the other scope column)
SCOPES = (
    ("wo_list_scope_project", "project_id", "client_id"),
    ("wo_list_scope_client", "client_id", "project_id"),
)
KEY = "organisation_id, status, due_at"
CARRIED = "created_at, number, priority, type, title, location_id, {other}, asset_id, id"
OPEN = "status NOT IN ('completed', 'closed', 'cancelled')"
DUE_DESC = "organisation_id, (due_at IS NOT NULL), due_at, id, location_id, project_id, client_id"
REPLACED = (
    ("workorder_project_id_status_due_at", "project_id, status, due_at"),
    ("workorder_client_id_status_due_at", "client_id, status, due_at"),
    ("workorder_location_id_status_due_at", "location_id, status, due_at"),
)
# A limited manager's orders (location_id IN their locations) counted from the index alone:
# SQLite counted them through the index above, reading each row for its organisation.
LOCATION = (
    "workorder_location_id_organisation_id_status_due_at",
    "location_id, organisation_id, status, due_at",
)


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    for name, scope, other in SCOPES:
        carried = CARRIED.format(other=other)
        columns = f"{scope}, {KEY}" + (f") INCLUDE ({carried}" if postgres else f", {carried}")
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns})")
    for name, _columns in REPLACED:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.execute_sql('CREATE INDEX "{}" ON "work_order" ({})'.format(*LOCATION))
    _due_desc(db, f"{DUE_DESC}, estimated_hours")
    _my_work(db, now=True)
    if not postgres and "sqlite_stat1" in db.get_tables():
        db.execute_sql("ANALYZE work_order")  # statistics for the new indexes too


def _due_desc(db, columns):
    db.execute_sql("DROP INDEX IF EXISTS wo_list_open_due_desc")
    db.execute_sql(f"CREATE INDEX wo_list_open_due_desc ON work_order ({columns}) WHERE {OPEN}")


# name -> (columns in 0009, columns now, WHERE)
MY_WORK = {
    "wo_list_open_project": (
        "project_id, due_at",
        "project_id, due_at, organisation_id, priority, id",
        OPEN,
    ),
    "wo_list_done": (
        "project_id, completed_at",
        "project_id, completed_at, organisation_id, status, id",
        "completed_at IS NOT NULL",
    ),
}


def _my_work(db, now):
    for name, (before, after, where) in MY_WORK.items():
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
        columns = after if now else before
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns}) WHERE {where}")


def down(migrator, db):
    _my_work(db, now=False)
    _due_desc(db, DUE_DESC)
    db.execute_sql(f'DROP INDEX IF EXISTS "{LOCATION[0]}"')
    for name, columns in REPLACED:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "work_order" ({columns})')
    for name, _scope, _other in SCOPES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
