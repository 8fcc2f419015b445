"""Asset list at 200,000 assets: the list's covering indexes (migration 0006) also carry the
filter columns, and the filter indexes the tag, so a filtered page is read from one index.

0006 made every sort walk its own index, but a filter on another column (criticality,
status, category, warranty) still read each walked asset's row to test it: a deep page of
"critical" assets by tag read 100,000 rows (SQLite 100-125 ms of CPU). Each index below is
0006's, same name and key, with status, criticality, category and warranty_end added after
the key (PostgreSQL: INCLUDE), and the filter indexes and the location's (a limited
manager's scope) also the tag, the default sort: a walk tests the filters in the index, and
a short filtered list is sorted from one index alone (paginate's sort_matches). Measured on
SQLite at 200,000 assets, CPU ms of the query: critical by tag, page 400: 125 -> 16;
warranty within 90 days by tag, page 191: 60 -> 8; degraded + critical + warranty: 47 -> 2.

Three indexes go, to pay for the wider ones on every insert: asset_live_org (its count is
asset_list_location's, which leads with the same column on the same rows), and the full
(organisation, name, id) and (organisation, category), which 0006's partial indexes replace
for every query on live assets (the only ones that sort or filter on those columns).
"""

from peewee import PostgresqlDatabase

LIVE = "WHERE archived_at IS NULL"
FILTERS = ("status", "criticality", "category", "warranty_end")
SORTS = ("tag", "name", "category", "status", "criticality", "warranty_end")
DROPPED = (
    ("asset_live_org", "organisation_id", LIVE),
    ("asset_organisation_id_name_id", "organisation_id, name, id", ""),
    ("asset_organisation_id_category", "organisation_id, category", ""),
)


def _key(name):
    if name in ("project", "client"):
        return f"{name}_id, organisation_id, id"
    if name == "location":
        return "organisation_id, location_id"
    return f"organisation_id, {name}, id"


def _carried(name, postgres, wide):
    """The columns after the key: 0006's (the location; on SQLite archived_at, for a
    covering read), and with `wide` the filters and, for the indexes a filtered list is
    read from (a filter's, and the location's for a limited manager), the tag."""
    columns = [] if name == "location" else ["location_id"]
    columns += [] if postgres else ["archived_at"]
    if wide:
        columns += [c for c in FILTERS if c != name]
        if name in (*FILTERS, "location"):
            columns.append("tag")
        if name == "location" and postgres:
            columns.append("id")  # SQLite's indexes all hold the rowid
    return ", ".join(columns)


def _create(db, name, wide):
    postgres = isinstance(db, PostgresqlDatabase)
    key, carried = _key(name), _carried(name, postgres, wide)
    if not carried:
        columns = key
    elif postgres:
        columns = f"{key}) INCLUDE ({carried}"
    else:
        columns = f"{key}, {carried}"
    db.execute_sql(f"DROP INDEX IF EXISTS asset_list_{name}")
    db.execute_sql(f"CREATE INDEX asset_list_{name} ON asset ({columns}) {LIVE}")


INDEXES = (*SORTS, "project", "client", "location")


def _analyze(db):
    # A database with statistics gets them for the new indexes too (see 0006).
    if not isinstance(db, PostgresqlDatabase) and "sqlite_stat1" in db.get_tables():
        db.execute_sql("ANALYZE asset")


def up(migrator, db):
    for name in INDEXES:
        _create(db, name, wide=True)
    for name, _columns, _where in DROPPED:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    _analyze(db)


def down(migrator, db):
    for name, columns, where in DROPPED:
        db.execute_sql(f"CREATE INDEX {name} ON asset ({columns}) {where}")
    for name in INDEXES:
        _create(db, name, wide=False)
    _analyze(db)
