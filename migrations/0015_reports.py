"""Reports: the organisation's logo on its reports, and the indexes the period report's
aggregates read (see models/kpi.py and models/reports.py).

A client's report reads every order of the client raised or completed over its trend (six
to twelve periods): thousands of rows. Read from the table they are thousands of random page
reads, so the two client indexes carry the columns the aggregates use, and the database
answers from the index alone (PostgreSQL: INCLUDE; SQLite: trailing key columns):

- raised in a range (raised counts, the backlog at each period end, failures for MTBF and
  the assets with the most corrective work): (client_id, created_at) + status, completed_at,
  due_at, type, asset_id, and the scope columns organisation_id and location_id;
- completed in a range (work done, MTTR, first-time fix, labour and parts): (client_id,
  completed_at) + type, status, created_at, asset_id and the scope columns.

A project's report reads a few hundred orders: (project_id, created_at) and migration 0009's
wo_list_done serve it. Failures on an asset in time order: MTBF's "previous failure" and
first-time fix's "failure within 7 days" are each one probe of a partial index whose WHERE
is spelt as models/kpi.py is_failure() spells it (literals), or neither database uses it.
"""

from peewee import CharField, PostgresqlDatabase

FAILURE = "type IN ('corrective', 'emergency') AND status <> 'cancelled'"
# The row id too: PostgreSQL needs it in the index to join from it without the table
# (SQLite keeps it in every index anyway).
SCOPE = "id, organisation_id, location_id"
INDEXES = (
    # name, key, covered columns, WHERE
    (
        "wo_report_client_created",
        "client_id, created_at",
        f"{SCOPE}, status, completed_at, due_at, type, asset_id",
        None,
    ),
    (
        "wo_report_client_done",
        "client_id, completed_at",
        f"{SCOPE}, type, status, created_at, asset_id",
        "completed_at IS NOT NULL",
    ),
    ("wo_report_project_created", "project_id, created_at", None, None),
    ("wo_report_failures", "asset_id, created_at", None, FAILURE),
)


def index_sql(db, name, key, covered, where):
    if covered:
        columns = (
            f"{key}) INCLUDE ({covered}"
            if isinstance(db, PostgresqlDatabase)
            else f"{key}, {covered}"
        )
    else:
        columns = key
    condition = f" WHERE {where}" if where else ""
    return f"CREATE INDEX {name} ON work_order ({columns}){condition}"


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("organisation", "logo_key", CharField(max_length=300, null=True))
    )
    for index in INDEXES:
        db.execute_sql(index_sql(db, *index))


def down(migrator, db):
    for name, *_rest in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    migrator.migrate(migrator.drop_column("organisation", "logo_key"))
