"""Work order lists at 1,000,000 orders, the second round (the first is 0009): indexes that
answer a technician's, a client user's and a limited manager's lists, and My work, from the
index alone, without reading a row of the table.

- wo_list_scope_project and wo_list_scope_client, led by the project and by the client,
  carry every column the list filters and sorts on (INCLUDEd on PostgreSQL), so the few
  thousand orders of a technician's projects or of a client are counted and sorted from
  them. Before, a technician's "any status" list walked the organisation's sort index
  looking up each row for its project (2% match: 500,000 lookups for page 400), or read
  their 18,500 rows one by one from the table: 150-700 ms. The (project, status, due) and
  (client, status, due) indexes of 0004 are their prefixes and go.
- (location, status, due) of 0004 gains the organisation after the status, so a limited
  manager's list is counted from it (SQLite read each row for its organisation). Not
  before the status: SQLite then preferred it, with two columns matched, to the open work
  index for the active list, and counted 280,000 entries to find 10,001.
- The open work's indexes of 0009 also carry the status: SQLite checks "status NOT IN
  (finished)" again on the rows of an index whose WHERE clause already says so, and read
  the table for it (10,000 rows for page 400 of the active list). The backwards due date
  one also carries the estimated hours, like its forward twin: PostgreSQL spells
  "(due_at IS NULL) = FALSE" as "due_at IS NOT NULL", its first column, so the board's
  week of workload is read from it.
- My work's two indexes of 0009 (a technician's projects' open work by due date, and
  finished work by completion time) carry the organisation, priority, status and id My
  work reads. The organisation comes second, or SQLite prefers the scope index, on which
  it matches two columns to this one's one.

Frozen: the column lists are written out here, not imported from 0009 or models/.
"""

from peewee import PostgresqlDatabase

OPEN = "status NOT IN ('completed', 'closed', 'cancelled')"
# (name, leading scope column, the other scope column)
SCOPES = (
    ("wo_list_scope_project", "project_id", "client_id"),
    ("wo_list_scope_client", "client_id", "project_id"),
)
SCOPE_KEY = "organisation_id, status, due_at"
SCOPE_CARRIED = "created_at, number, priority, type, title, location_id, {other}, asset_id, id"
# 0004's indexes, as they were, and what takes the place of the location one.
REPLACED = (
    ("workorder_project_id_status_due_at", "project_id, status, due_at"),
    ("workorder_client_id_status_due_at", "client_id, status, due_at"),
    ("workorder_location_id_status_due_at", "location_id, status, due_at"),
)
LOCATION = (
    "workorder_location_id_status_organisation_id_due_at",
    "location_id, status, organisation_id, due_at",
)
# 0009's open work sort indexes: sort key -> columns between the organisation and location.
RANK = (
    "(CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 "
    "WHEN 'urgent' THEN 3 END)"
)
OPEN_SORT_KEYS = {
    "due": "(due_at IS NULL), due_at, id",
    "due_desc": "(due_at IS NOT NULL), due_at, id",
    "priority": f"{RANK}, id",
    "created": "created_at, id",
    "number": "number, id",
    "title": "title, id",
    "status": "status, id",
}
# My work's indexes of 0009: name -> (columns then, columns now, WHERE)
MY_WORK = {
    "wo_list_open_project": (
        "project_id, due_at",
        "project_id, organisation_id, due_at, priority, status, id",
        OPEN,
    ),
    "wo_list_done": (
        "project_id, completed_at",
        "project_id, organisation_id, completed_at, status, id",
        "completed_at IS NOT NULL",
    ),
}


def _open_sort_columns(key, now):
    """A wo_list_open_* index's columns, as 0009 made them or as they are now."""
    columns = f"organisation_id, {OPEN_SORT_KEYS[key]}, location_id, project_id, client_id"
    if key == "due" or (key == "due_desc" and now):
        columns += ", estimated_hours"
    return columns + (", status" if now and key != "status" else "")


def _rebuild(db, now):
    for key in OPEN_SORT_KEYS:
        db.execute_sql(f"DROP INDEX IF EXISTS wo_list_open_{key}")
        columns = _open_sort_columns(key, now)
        db.execute_sql(f"CREATE INDEX wo_list_open_{key} ON work_order ({columns}) WHERE {OPEN}")
    for name, (before, after, where) in MY_WORK.items():
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
        columns = after if now else before
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns}) WHERE {where}")


def up(migrator, db):
    postgres = isinstance(db, PostgresqlDatabase)
    for name, scope, other in SCOPES:
        carried = SCOPE_CARRIED.format(other=other)
        key = f"{scope}, {SCOPE_KEY}"
        columns = f"{key}) INCLUDE ({carried}" if postgres else f"{key}, {carried}"
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns})")
    for name, _columns in REPLACED:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    db.execute_sql('CREATE INDEX "{}" ON "work_order" ({})'.format(*LOCATION))
    _rebuild(db, now=True)
    if not postgres and "sqlite_stat1" in db.get_tables():
        db.execute_sql("ANALYZE work_order")  # statistics for the new indexes too


def down(migrator, db):
    _rebuild(db, now=False)
    db.execute_sql(f'DROP INDEX IF EXISTS "{LOCATION[0]}"')
    for name, columns in REPLACED:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "work_order" ({columns})')
    for name, _scope, _other in SCOPES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
