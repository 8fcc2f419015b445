"""Reports: the organisation's logo on its reports, and the indexes the period report's
aggregates read (see models/kpi.py and models/reports.py).

- Work of a client or a project raised in a range (raised counts, failures for MTBF, the
  assets with the most corrective work): (client_id, created_at), (project_id, created_at).
- Work of a client completed in a range (work done, MTTR, first-time fix, labour and parts);
  projects have migration 0009's wo_list_done.
- Failures on an asset in time order: MTBF's "previous failure" and first-time fix's
  "failure within 7 days" are each one probe of this partial index. Its WHERE is spelt as
  models/kpi.py is_failure() spells it (literals), or neither database would use it.
"""

from peewee import CharField

FAILURE = "type IN ('corrective', 'emergency') AND status <> 'cancelled'"
INDEXES = (
    ("wo_report_client_created", "client_id, created_at", None),
    ("wo_report_project_created", "project_id, created_at", None),
    ("wo_report_client_done", "client_id, completed_at", "completed_at IS NOT NULL"),
    ("wo_report_failures", "asset_id, created_at", FAILURE),
)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("organisation", "logo_key", CharField(max_length=300, null=True))
    )
    for name, columns, where in INDEXES:
        condition = f" WHERE {where}" if where else ""
        db.execute_sql(f"CREATE INDEX {name} ON work_order ({columns}){condition}")


def down(migrator, db):
    for name, _columns, _where in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    migrator.migrate(migrator.drop_column("organisation", "logo_key"))
